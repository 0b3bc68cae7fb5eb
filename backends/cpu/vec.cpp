// Scalar reference kernels behind vec.h and the run-time dispatch to the SIMD tables.
#include "backends/cpu/vec.h"

#include <cmath>
#include <limits>

#include "backends/cpu/gemm.h"
#include "ggml/type.h"

namespace ggml::cpu {
namespace {

void s_add(int64_t n, float* z, const float* x, const float* y) { for (int64_t i = 0; i < n; i++) z[i] = x[i] + y[i]; }
void s_sub(int64_t n, float* z, const float* x, const float* y) { for (int64_t i = 0; i < n; i++) z[i] = x[i] - y[i]; }
void s_mul(int64_t n, float* z, const float* x, const float* y) { for (int64_t i = 0; i < n; i++) z[i] = x[i] * y[i]; }
void s_div(int64_t n, float* z, const float* x, const float* y) { for (int64_t i = 0; i < n; i++) z[i] = x[i] / y[i]; }
void s_scale(int64_t n, float* z, const float* x, float s, float b) {
    for (int64_t i = 0; i < n; i++) z[i] = x[i] * s + b;
}

// Eight partial sums (a fixed order the compiler may keep in SSE registers), then combined.
template <class Load>
float dot8(int64_t n, const Load& load, const float* y) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += load(i + j) * y[i + j];
    float s = 0;
    for (; i < n; i++) s += load(i) * y[i];
    return s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}
float s_dot_f32(int64_t n, const float* x, const float* y) {
    return dot8(n, [x](int64_t i) { return x[i]; }, y);
}
float s_dot_f16(int64_t n, const uint16_t* x, const float* y) {
    return dot8(n, [x](int64_t i) { return fp16_to_fp32(x[i]); }, y);
}
float s_dot_bf16(int64_t n, const uint16_t* x, const float* y) {
    return dot8(n, [x](int64_t i) { return bf16_to_fp32(x[i]); }, y);
}
double s_sum_sq(int64_t n, const float* x) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += double(x[i]) * double(x[i]);
    return s;
}
double s_sum(int64_t n, const float* x) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += double(x[i]);
    return s;
}
float s_max(int64_t n, const float* x) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
float s_exp_sum(int64_t n, float* z, const float* x, float m) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        z[i] = std::exp(x[i] - m);
        s += double(z[i]);
    }
    return float(s);
}
inline float silu1(float x) { return x / (1.0f + std::exp(-x)); }
void s_silu(int64_t n, float* z, const float* x) { for (int64_t i = 0; i < n; i++) z[i] = silu1(x[i]); }
void s_swiglu(int64_t n, float* z, const float* g, const float* u) {
    for (int64_t i = 0; i < n; i++) z[i] = silu1(g[i]) * u[i];
}
void s_f16_to_f32(int64_t n, float* z, const uint16_t* x) { for (int64_t i = 0; i < n; i++) z[i] = fp16_to_fp32(x[i]); }
void s_f32_to_f16(int64_t n, uint16_t* z, const float* x) { for (int64_t i = 0; i < n; i++) z[i] = fp32_to_fp16(x[i]); }
void s_bf16_to_f32(int64_t n, float* z, const uint16_t* x) { for (int64_t i = 0; i < n; i++) z[i] = bf16_to_fp32(x[i]); }
void s_f32_to_bf16(int64_t n, uint16_t* z, const float* x) { for (int64_t i = 0; i < n; i++) z[i] = fp32_to_bf16(x[i]); }

void s_mad_rows(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* w, size_t ldw, int ny,
                float* acc, size_t lda, const PrefetchRows& ahead) {
    LinePrefetcher(ahead, 0).rest();
    mad_columns(t, 0, n, ny, static_cast<const char*>(x), ldx, nx, w, 1, ldw, acc, lda);
}

// Eight independent lanes, so that loads, not a dependency chain, set the pace.
uint64_t s_xor_lines(const void* p, size_t lines) {
    const uint64_t* w = static_cast<const uint64_t*>(p);
    uint64_t acc[8] = {};
    for (size_t i = 0; i < lines * 8; i += 8)
        for (int j = 0; j < 8; j++) acc[j] ^= w[i + j];
    uint64_t x = 0;
    for (uint64_t a : acc) x ^= a;
    return x;
}

}  // namespace

void mad_columns(Type t, int64_t d0, int64_t n, int ny, const char* x, size_t ldx, int64_t nx, const float* w,
                 size_t wi, size_t wj, float* acc, size_t lda) {
    if (d0 >= n) return;  // the SIMD kernels' usual case: no columns left
    for (int64_t i = 0; i < nx; i++) {
        const char* row = x + size_t(i) * ldx;
        for (int j = 0; j < ny; j++) {
            const float wij = w[size_t(i) * wi + size_t(j) * wj];
            float* a = acc + size_t(j) * lda;
            if (t == Type::F32) {
                const float* r = reinterpret_cast<const float*>(row);
                for (int64_t d = d0; d < n; d++) a[d] += wij * r[d];
            } else {
                const uint16_t* r = reinterpret_cast<const uint16_t*>(row);
                for (int64_t d = d0; d < n; d++) a[d] += wij * (t == Type::BF16 ? bf16_to_fp32(r[d]) : fp16_to_fp32(r[d]));
            }
        }
    }
}

const VecTable& vec_table_scalar() {
    static const VecTable t = {s_add, s_sub, s_mul, s_div, s_scale, s_dot_f32, s_dot_f16, s_dot_bf16,
                               s_sum_sq, s_sum, s_max, s_exp_sum, s_silu, s_swiglu, s_f16_to_f32,
                               s_f32_to_f16, s_bf16_to_f32, s_f32_to_bf16, nullptr, nullptr, nullptr, s_mad_rows,
                               s_xor_lines};
    return t;
}

const VecTable& vec_table() {
    switch (simd_level()) {
#if defined(GIRAFFE_X86)
        case SimdLevel::Avx512: return vec_table_avx512();
        case SimdLevel::Avx2: return vec_table_avx2();
#endif
#if defined(GIRAFFE_ARM)
        case SimdLevel::Neon:
        case SimdLevel::NeonDotprod: return vec_table_neon();
#endif
        default: return vec_table_scalar();
    }
}

void vec_add(int64_t n, float* z, const float* x, const float* y) { vec_table().add(n, z, x, y); }
void vec_sub(int64_t n, float* z, const float* x, const float* y) { vec_table().sub(n, z, x, y); }
void vec_mul(int64_t n, float* z, const float* x, const float* y) { vec_table().mul(n, z, x, y); }
void vec_div(int64_t n, float* z, const float* x, const float* y) { vec_table().div(n, z, x, y); }
void vec_scale(int64_t n, float* z, const float* x, float s, float b) { vec_table().scale(n, z, x, s, b); }
float vec_dot_f32(int64_t n, const float* x, const float* y) { return vec_table().dot_f32(n, x, y); }
float vec_dot_f16(int64_t n, const uint16_t* x, const float* y) { return vec_table().dot_f16(n, x, y); }
float vec_dot_bf16(int64_t n, const uint16_t* x, const float* y) { return vec_table().dot_bf16(n, x, y); }
bool vec_dot_many_native() {
    const VecTable& t = vec_table();
    return t.dot_rows16 && t.dot_block16;
}
void vec_dot_rows16(Type type, int64_t n, const void* x, size_t ldx, int64_t nx, const float* y, size_t ldy, int ny,
                    float* out, size_t ldo, const PrefetchRows& ahead) {
    const VecTable& t = vec_table();
    if (t.dot_rows16 && n % 16 == 0 && n <= 256) return t.dot_rows16(type, n, x, ldx, nx, y, ldy, ny, out, ldo, ahead);
    LinePrefetcher(ahead, 0).rest();
    for (int64_t i = 0; i < nx; i++) {
        const char* xi = static_cast<const char*>(x) + size_t(i) * ldx;
        for (int j = 0; j < ny; j++)
            out[size_t(j) * ldo + size_t(i)] =
                type == Type::F32 ? t.dot_f32(n, reinterpret_cast<const float*>(xi), y + size_t(j) * ldy)
                                  : t.dot_f16(n, reinterpret_cast<const uint16_t*>(xi), y + size_t(j) * ldy);
    }
}
void vec_dequant(Type type, const void* x, float* y, int64_t n) {
    const VecTable& t = vec_table();
    if (!t.dequant || !t.dequant(type, x, y, n)) type_traits(type).to_float(x, y, n);
}
void vec_dot_block16(Type type, int64_t n, const uint16_t* x, size_t ldx, int nx, const float* const* y, int ny,
                     float* out, size_t ldo) {
    const VecTable& t = vec_table();
    if (t.dot_block16) return t.dot_block16(type, n, x, ldx, nx, y, ny, out, ldo);
    const auto dot = type == Type::BF16 ? t.dot_bf16 : t.dot_f16;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) out[size_t(j) * ldo + size_t(i)] = dot(n, x + size_t(i) * ldx, y[j]);
}
void vec_mad_rows(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* w, size_t ldw, int ny,
                  float* acc, size_t lda, const PrefetchRows& ahead) {
    const VecTable& v = vec_table();
    (v.mad_rows ? v.mad_rows : vec_table_scalar().mad_rows)(t, n, x, ldx, nx, w, ldw, ny, acc, lda, ahead);
}
double vec_sum_sq(int64_t n, const float* x) { return vec_table().sum_sq(n, x); }
double vec_sum(int64_t n, const float* x) { return vec_table().sum(n, x); }
float vec_max(int64_t n, const float* x) { return vec_table().max(n, x); }
float vec_exp_sum(int64_t n, float* z, const float* x, float m) { return vec_table().exp_sum(n, z, x, m); }
void vec_silu(int64_t n, float* z, const float* x) { vec_table().silu(n, z, x); }
void vec_swiglu(int64_t n, float* z, const float* g, const float* u) { vec_table().swiglu(n, z, g, u); }
void vec_f16_to_f32(int64_t n, float* z, const uint16_t* x) { vec_table().f16_to_f32(n, z, x); }
void vec_f32_to_f16(int64_t n, uint16_t* z, const float* x) { vec_table().f32_to_f16(n, z, x); }
void vec_bf16_to_f32(int64_t n, float* z, const uint16_t* x) { vec_table().bf16_to_f32(n, z, x); }
void vec_f32_to_bf16(int64_t n, uint16_t* z, const float* x) { vec_table().f32_to_bf16(n, z, x); }

}  // namespace ggml::cpu
