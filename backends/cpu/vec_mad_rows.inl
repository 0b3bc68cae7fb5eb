// Decode attention's value update (VecTable::mad_rows) over a kernel that each SIMD file defines before
// including this: mad_rows_ny<NY, NV>(t, n, x, ldx, nx, w, ldw, acc, lda), NY accumulator rows kept in
// registers NV vectors wide, with kMadNV and kMadNVMany the widths for up to four rows and for five to eight.
// Only the kernels differ between instruction sets; this cuts the rows into them, eight at a time.
void v_mad_rows(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* w, size_t ldw, int ny,
                float* acc, size_t lda) {
    const char* xr = static_cast<const char*>(x);
    for (int j = 0; j < ny; j += 8, w += 8 * ldw, acc += 8 * lda) {
        switch (std::min(8, ny - j)) {
            case 1: mad_rows_ny<1, kMadNV>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 2: mad_rows_ny<2, kMadNV>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 3: mad_rows_ny<3, kMadNV>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 4: mad_rows_ny<4, kMadNV>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 5: mad_rows_ny<5, kMadNVMany>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 6: mad_rows_ny<6, kMadNVMany>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            case 7: mad_rows_ny<7, kMadNVMany>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
            default: mad_rows_ny<8, kMadNVMany>(t, n, xr, ldx, nx, w, ldw, acc, lda); break;
        }
    }
}
