// The warp matrix functions (CUDA's <mma.h>, nvcuda::wmma) for the emulation: fragments of 16-bit or
// float matrices, loaded, multiplied and stored by a whole warp. On a GPU a fragment's elements are spread
// over the warp's lanes in a layout the API does not expose; here every lane holds the whole matrix (row
// by row in x), which code that only loads, fills, multiplies and stores fragments cannot tell apart.
// As on the GPU: every function is a warp operation (the 32 lanes meet at it), a matrix in memory must
// start 32-byte aligned and have rows (ldm) a multiple of 16 bytes apart, which fails loudly here.
// Products are exact in f32 (16-bit inputs) and added in order of k onto the accumulator.
#pragma once
#include <cstdio>
#include <cstdlib>

namespace nvcuda::wmma {

using ggml::cuda_emu::__half;
using ggml::cuda_emu::__nv_bfloat16;

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

namespace detail {

template <class Use, int M, int N, int K> struct Shape;
template <int M, int N, int K> struct Shape<matrix_a, M, N, K> { static constexpr int rows = M, cols = K; };
template <int M, int N, int K> struct Shape<matrix_b, M, N, K> { static constexpr int rows = K, cols = N; };
template <int M, int N, int K> struct Shape<accumulator, M, N, K> { static constexpr int rows = M, cols = N; };

inline float value(float v) { return v; }
inline float value(__half v) { return ggml::cuda_emu::__half2float(v); }
inline float value(__nv_bfloat16 v) { return ggml::cuda_emu::__bfloat162float(v); }

inline void check(const void* p, unsigned ldm, size_t elem_bytes, const char* what) {
    if (reinterpret_cast<uintptr_t>(p) % 32 != 0 || (ldm * elem_bytes) % 16 != 0) {
        std::fprintf(stderr, "cuda emulator: %s of a matrix at %p, ldm %u: not 32-byte aligned or ldm not a "
                             "multiple of 16 bytes\n", what, p, ldm);
        std::abort();
    }
}

inline void warp_sync() { ggml::cuda_emu::__syncwarp(); }

}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static constexpr int rows = detail::Shape<Use, M, N, K>::rows, cols = detail::Shape<Use, M, N, K>::cols;
    static constexpr int num_elements = rows * cols;
    T x[num_elements];
};

template <class Use, int M, int N, int K, class T, class Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, T v) {
    detail::warp_sync();
    for (T& e : f.x) e = v;
}

// A matrix_a or matrix_b fragment from p: element (r, c) at p[r * ldm + c] (row_major) or p[c * ldm + r].
template <class Use, int M, int N, int K, class T, class Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const T* p, unsigned ldm) {
    using F = fragment<Use, M, N, K, T, Layout>;
    detail::check(p, ldm, sizeof(T), "load");
    detail::warp_sync();
    for (int r = 0; r < F::rows; r++)
        for (int c = 0; c < F::cols; c++)
            f.x[r * F::cols + c] = std::is_same_v<Layout, row_major> ? p[size_t(r) * ldm + c] : p[size_t(c) * ldm + r];
    detail::warp_sync();
}

template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const float* p, unsigned ldm, layout_t l) {
    detail::check(p, ldm, sizeof(float), "load");
    detail::warp_sync();
    for (int r = 0; r < M; r++)
        for (int c = 0; c < N; c++) f.x[r * N + c] = l == mem_row_major ? p[size_t(r) * ldm + c] : p[size_t(c) * ldm + r];
    detail::warp_sync();
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t l) {
    detail::check(p, ldm, sizeof(float), "store");
    detail::warp_sync();
    for (int r = 0; r < M; r++)
        for (int c = 0; c < N; c++) (l == mem_row_major ? p[size_t(r) * ldm + c] : p[size_t(c) * ldm + r]) = f.x[r * N + c];
    detail::warp_sync();
}

// d = a b + c (d may be c).
template <int M, int N, int K, class T, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
              const fragment<matrix_b, M, N, K, T, LB>& b, const fragment<accumulator, M, N, K, float>& c) {
    detail::warp_sync();
    float out[M * N];
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float s = c.x[m * N + n];
            for (int k = 0; k < K; k++) s += detail::value(a.x[m * K + k]) * detail::value(b.x[k * N + n]);
            out[m * N + n] = s;
        }
    for (int i = 0; i < M * N; i++) d.x[i] = out[i];
    detail::warp_sync();
}

}  // namespace nvcuda::wmma
