// The f16 / bf16 row-block dot (VecTable::dot_block16) over a tile kernel that each SIMD file defines before
// including this: dot_h16_tile<BF16, NX, NY>(n, x, ldx, y, out, ldo, ahead), NX rows of x against NY rows of
// y, with `ahead` the next rows of x to prefetch (or null). Only the tiles differ between instruction sets;
// this cuts the block into them.
template <bool BF16, int NX>
void dot_h16_rows(int64_t n, const uint16_t* x, size_t ldx, const float* const* y, int ny, float* out, size_t ldo,
                  const uint16_t* ahead) {
    for (int j = 0; j < ny; j += 4, y += 4, out += 4 * ldo, ahead = nullptr) {
        switch (std::min(4, ny - j)) {
            case 1: dot_h16_tile<BF16, NX, 1>(n, x, ldx, y, out, ldo, ahead); break;
            case 2: dot_h16_tile<BF16, NX, 2>(n, x, ldx, y, out, ldo, ahead); break;
            case 3: dot_h16_tile<BF16, NX, 3>(n, x, ldx, y, out, ldo, ahead); break;
            default: dot_h16_tile<BF16, NX, 4>(n, x, ldx, y, out, ldo, ahead); break;
        }
    }
}
// out[j * ldo + i] = dot(x row i, y[j]) for i < nx (rows ldx codes apart), j < ny: 4 x 4 tiles, the x
// rows re-read from cache for each 4 rows of y (decode attention's value product: V rows against 8 query
// rows of probabilities; f16 / bf16 weights against one activation row), a tile's rows read together.
template <bool BF16>
void dot_h16_block(int64_t n, const uint16_t* x, size_t ldx, int nx, const float* const* y, int ny, float* out,
                   size_t ldo) {
    for (int i = 0; i < nx; i += 4, x += 4 * ldx, out += 4) {
        const uint16_t* ahead = i + 4 < nx ? x + 4 * ldx : nullptr;
        switch (std::min(4, nx - i)) {
            case 1: dot_h16_rows<BF16, 1>(n, x, ldx, y, ny, out, ldo, ahead); break;
            case 2: dot_h16_rows<BF16, 2>(n, x, ldx, y, ny, out, ldo, ahead); break;
            case 3: dot_h16_rows<BF16, 3>(n, x, ldx, y, ny, out, ldo, ahead); break;
            default: dot_h16_rows<BF16, 4>(n, x, ldx, y, ny, out, ldo, ahead); break;
        }
    }
}
void v_dot_block16(Type t, int64_t n, const uint16_t* x, size_t ldx, int nx, const float* const* y, int ny,
                   float* out, size_t ldo) {
    if (t == Type::BF16) dot_h16_block<true>(n, x, ldx, nx, y, ny, out, ldo);
    else dot_h16_block<false>(n, x, ldx, nx, y, ny, out, ldo);
}
