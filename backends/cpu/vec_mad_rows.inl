// Decode attention's value update (VecTable::mad_rows) over a kernel that each SIMD file defines (inline)
// before including this: mad_rows_ny<NY, NV>(t, n, x, ldx, nx, w, acc, lda, pf), NY accumulator rows kept
// in registers NV vectors of kMadLanes floats wide, with kMadNV and kMadNVMany the widths for up to four rows
// and for five to eight, calling pf.step() once per value row of each column block. Only the kernels differ
// between instruction sets; this cuts the rows into them, eight at a time.
// The kernels take the weights value row by value row, w[i * kMadRows + j] (weight of value row i for
// accumulator row j): each weight is then one pointer plus a constant offset (with the rows ldw apart the
// eight row pointers spill), and AVX-512 reads it straight into its multiply-add as a broadcast operand.
// This file lays out kMadKeys value rows' weights at a time.
// The f16 cache, and f32 rows (the quantized caches' rows converted), at the usual head sizes get copies of
// the kernel with the type and width fixed: the loop counts and column masks known, the compiler's code for
// them is markedly faster.
template <int NY, int NV, Type T>
void mad_rows_sized(int64_t n, const char* x, size_t ldx, int64_t nx, const float* w, float* acc, size_t lda,
                    LinePrefetcher& pf) {
    switch (n) {
        case 64: return mad_rows_ny<NY, NV>(T, 64, x, ldx, nx, w, acc, lda, pf);
        case 128: return mad_rows_ny<NY, NV>(T, 128, x, ldx, nx, w, acc, lda, pf);
        case 256: return mad_rows_ny<NY, NV>(T, 256, x, ldx, nx, w, acc, lda, pf);
        default: return mad_rows_ny<NY, NV>(T, n, x, ldx, nx, w, acc, lda, pf);
    }
}
template <int NY, int NV>
void mad_rows_typed(Type t, int64_t n, const char* x, size_t ldx, int64_t nx, const float* w, float* acc, size_t lda,
                    LinePrefetcher& pf) {
    if (t == Type::F16) return mad_rows_sized<NY, NV, Type::F16>(n, x, ldx, nx, w, acc, lda, pf);
    if (t == Type::F32) return mad_rows_sized<NY, NV, Type::F32>(n, x, ldx, nx, w, acc, lda, pf);
    mad_rows_ny<NY, NV>(t, n, x, ldx, nx, w, acc, lda, pf);
}
void v_mad_rows(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* w, size_t ldw, int ny,
                float* acc, size_t lda, const PrefetchRows& ahead) {
    const char* xr = static_cast<const char*>(x);
    const int64_t width = kMadLanes * (ny >= 5 ? kMadNVMany : kMadNV);
    LinePrefetcher pf(ahead, (ny + kMadRows - 1) / kMadRows * (n + width - 1) / width * nx);
    alignas(64) float wt[kMadKeys * kMadRows];
    for (int j = 0; j < ny; j += kMadRows, w += kMadRows * ldw, acc += kMadRows * lda) {
        const int rows = std::min(kMadRows, ny - j);
        for (int64_t i0 = 0; i0 < nx; i0 += kMadKeys) {
            const int64_t m = std::min(kMadKeys, nx - i0);
            for (int r = 0; r < rows; r++)
                for (int64_t i = 0; i < m; i++) wt[i * kMadRows + r] = w[size_t(r) * ldw + size_t(i0 + i)];
            const char* xi = xr + size_t(i0) * ldx;
            switch (rows) {
                case 1: mad_rows_typed<1, kMadNV>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 2: mad_rows_typed<2, kMadNV>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 3: mad_rows_typed<3, kMadNV>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 4: mad_rows_typed<4, kMadNV>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 5: mad_rows_typed<5, kMadNVMany>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 6: mad_rows_typed<6, kMadNVMany>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                case 7: mad_rows_typed<7, kMadNVMany>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
                default: mad_rows_typed<8, kMadNVMany>(t, n, xi, ldx, m, wt, acc, lda, pf); break;
            }
        }
    }
    pf.rest();
}
