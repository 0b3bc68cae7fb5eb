// Scalar reference kernels of the quantized dot products (the truth every SIMD table is tested
// against), the max-abs activation quantizers, the scalar packed micro-kernel, and the run-time dispatch.
// Baseline x86-64: nothing here may execute AVX.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/cpu/features.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "ggml/quants.h"

namespace ggml::cpu {
namespace {

inline float h2f(uint16_t h) { return fp16_to_fp32(h); }

// Nibble i (0..31) of a legacy block: low nibbles hold elements 0..15, high nibbles 16..31.
inline int nibble(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 15) : (qs[i - 16] >> 4); }
inline int bit5(const uint8_t* qh, int i) { return ((qh[i >> 3] >> (i & 7)) & 1) << 4; }

// The 6-bit scale and min of group g (0..7) in the 12-byte Q4_K / Q5_K scale field.
inline void scale_min_k4(const uint8_t* s, int g, int* sc, int* mn) {
    if (g < 4) {
        *sc = s[g] & 63;
        *mn = s[g + 4] & 63;
    } else {
        *sc = (s[g + 4] & 15) | ((s[g - 4] >> 6) << 4);
        *mn = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
    }
}
// The signed 6-bit scale of group g (0..15) of a Q3_K super-block.
inline int scale_q3(const uint8_t* s, int g) {
    const int lo = g < 8 ? (s[g] & 15) : (s[g - 8] >> 4);
    const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Activation quantizers. d = amax / 127, codes = nearest-even(x * (1 / d)): the SIMD versions compute
// exactly the same floats, so every level produces the same bytes.
void quantize_act_q8_0_ref(const float* x, void* y, int64_t n) {
    block_q8_0* b = static_cast<block_q8_0*>(y);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = std::fmax(amax, std::fabs(x[i]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[ib].d = fp32_to_fp16(d);
        for (int i = 0; i < 32; i++) b[ib].qs[i] = int8_t(std::nearbyint(x[i] * id));
    }
}

void quantize_act_q8_1_ref(const float* x, void* y, int64_t n) {
    block_q8_1* b = static_cast<block_q8_1*>(y);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, x += QK8_1) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = std::fmax(amax, std::fabs(x[i]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            b[ib].qs[i] = int8_t(std::nearbyint(x[i] * id));
            sum += b[ib].qs[i];
        }
        b[ib].d = fp32_to_fp16(d);
        b[ib].s = fp32_to_fp16(h2f(b[ib].d) * float(sum));
    }
}

void quantize_act_q8_K_ref(const float* x, void* y, int64_t n) {
    block_q8_K* b = static_cast<block_q8_K*>(y);
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        float amax = 0.0f;
        for (int i = 0; i < QK_K; i++) amax = std::fmax(amax, std::fabs(x[i]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[ib].d = d;
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                const int q = int(std::nearbyint(x[g * 16 + i] * id));
                b[ib].qs[g * 16 + i] = int8_t(q);
                sum += q;
            }
            b[ib].bsums[g] = int16_t(sum);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Scalar dot products: exact integer sums per block (super-block), one float product per block.
float vec_dot_q4_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK4_0; ib++) {
        int isum = 0;
        for (int i = 0; i < 32; i++) isum += (nibble(x[ib].qs, i) - 8) * y[ib].qs[i];
        sum += h2f(x[ib].d) * h2f(y[ib].d) * float(isum);
    }
    return sum;
}

void make_act_aux(const void* a_q8_0, int64_t n, QActAux* aux) {
    const block_q8_0* y = static_cast<const block_q8_0*>(a_q8_0);
    for (int64_t ib = 0; ib < n / QK8_0; ib++) {
        int s = 0;
        for (int i = 0; i < 32; i++) s += y[ib].qs[i];
        aux[ib].d = h2f(y[ib].d);
        aux[ib].sum = s;
    }
}

size_t r8_act_panel_bytes(Type act, int64_t n, int ncols) {
    return act == Type::Q8_K ? size_t(n / QK_K) * 308 * size_t(ncols) : size_t(n / QK8_0) * 40 * size_t(ncols);
}

void pack_r8_act_panel(Type act, int64_t n, const void* rows, size_t row_stride, int ncols, void* dst) {
    const char* base = static_cast<const char*>(rows);
    uint8_t* o = static_cast<uint8_t*>(dst);
    const size_t nc = size_t(ncols);
    auto put32 = [](uint8_t* p, const void* v) { std::memcpy(p, v, 4); };
    auto pair = [](int a, int b) { return int32_t(uint32_t(uint16_t(int16_t(a))) | (uint32_t(uint16_t(int16_t(b))) << 16)); };
    if (act == Type::Q8_K) {
        for (int64_t ib = 0; ib < n / QK_K; ib++, o += 308 * nc) {
            for (size_t c = 0; c < nc; c++) {
                const block_q8_K& y = reinterpret_cast<const block_q8_K*>(base + c * row_stride)[ib];
                for (size_t w = 0; w < 64; w++) put32(o + 4 * (w * nc + c), y.qs + 4 * w);
                put32(o + 256 * nc + 4 * c, &y.d);
                for (size_t s = 0; s < 8; s++) {
                    const int32_t v = pair(y.bsums[2 * s], y.bsums[2 * s + 1]);
                    put32(o + 260 * nc + 4 * (s * nc + c), &v);
                }
                for (size_t p = 0; p < 4; p++) {
                    const int16_t* bs = y.bsums + 4 * p;
                    const int32_t v = pair(bs[0] + bs[1], bs[2] + bs[3]);
                    put32(o + 292 * nc + 4 * (p * nc + c), &v);
                }
            }
        }
        return;
    }
    for (int64_t ib = 0; ib < n / QK8_0; ib++, o += 40 * nc) {
        for (size_t c = 0; c < nc; c++) {
            const block_q8_0& y = reinterpret_cast<const block_q8_0*>(base + c * row_stride)[ib];
            for (size_t j = 0; j < 8; j++) put32(o + 4 * (j * nc + c), y.qs + 4 * j);
            const float d = h2f(y.d);
            int32_t sum = 0;
            for (int i = 0; i < 32; i++) sum += y.qs[i];
            put32(o + 32 * nc + 4 * c, &d);
            put32(o + 36 * nc + 4 * c, &sum);
        }
    }
}

float vec_dot_q4_0_q8_0_aux_ref(int64_t n, const void* w, const void* a, const QActAux* aux) {
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK4_0; ib++) {
        int isum = -8 * aux[ib].sum;
        for (int i = 0; i < 32; i++) isum += nibble(x[ib].qs, i) * y[ib].qs[i];
        sum += h2f(x[ib].d) * aux[ib].d * float(isum);
    }
    return sum;
}

float vec_dot_q5_0_q8_0_aux_ref(int64_t n, const void* w, const void* a, const QActAux* aux) {
    const block_q5_0* x = static_cast<const block_q5_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK5_0; ib++) {
        int isum = -16 * aux[ib].sum;
        for (int i = 0; i < 32; i++) isum += (nibble(x[ib].qs, i) | bit5(x[ib].qh, i)) * y[ib].qs[i];
        sum += h2f(x[ib].d) * aux[ib].d * float(isum);
    }
    return sum;
}

float vec_dot_q4_1_q8_1_ref(int64_t n, const void* w, const void* a) {
    const block_q4_1* x = static_cast<const block_q4_1*>(w);
    const block_q8_1* y = static_cast<const block_q8_1*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK4_1; ib++) {
        int isum = 0;
        for (int i = 0; i < 32; i++) isum += nibble(x[ib].qs, i) * y[ib].qs[i];
        sum += h2f(x[ib].d) * h2f(y[ib].d) * float(isum) + h2f(x[ib].m) * h2f(y[ib].s);
    }
    return sum;
}

float vec_dot_q5_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const block_q5_0* x = static_cast<const block_q5_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK5_0; ib++) {
        int isum = 0;
        for (int i = 0; i < 32; i++) isum += ((nibble(x[ib].qs, i) | bit5(x[ib].qh, i)) - 16) * y[ib].qs[i];
        sum += h2f(x[ib].d) * h2f(y[ib].d) * float(isum);
    }
    return sum;
}

float vec_dot_q5_1_q8_1_ref(int64_t n, const void* w, const void* a) {
    const block_q5_1* x = static_cast<const block_q5_1*>(w);
    const block_q8_1* y = static_cast<const block_q8_1*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK5_1; ib++) {
        int isum = 0;
        for (int i = 0; i < 32; i++) isum += (nibble(x[ib].qs, i) | bit5(x[ib].qh, i)) * y[ib].qs[i];
        sum += h2f(x[ib].d) * h2f(y[ib].d) * float(isum) + h2f(x[ib].m) * h2f(y[ib].s);
    }
    return sum;
}

float vec_dot_q8_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const block_q8_0* x = static_cast<const block_q8_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK8_0; ib++) {
        int isum = 0;
        for (int i = 0; i < 32; i++) isum += x[ib].qs[i] * y[ib].qs[i];
        sum += h2f(x[ib].d) * h2f(y[ib].d) * float(isum);
    }
    return sum;
}

float vec_dot_q2_K_q8_K_ref(int64_t n, const void* w, const void* a) {
    const block_q2_K* x = static_cast<const block_q2_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        int isum = 0, imin = 0;
        for (int g = 0; g < 16; g++) {
            int gs = 0;
            for (int i = 0; i < 16; i++) {
                const int e = g * 16 + i;
                gs += ((x[ib].qs[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3) * y[ib].qs[e];
            }
            isum += (x[ib].scales[g] & 15) * gs;
            imin += (x[ib].scales[g] >> 4) * y[ib].bsums[g];
        }
        sum += y[ib].d * (h2f(x[ib].d) * float(isum) - h2f(x[ib].dmin) * float(imin));
    }
    return sum;
}

float vec_dot_q3_K_q8_K_ref(int64_t n, const void* w, const void* a) {
    const block_q3_K* x = static_cast<const block_q3_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        int isum = 0;
        for (int g = 0; g < 16; g++) {
            int gs = 0;
            for (int i = 0; i < 16; i++) {
                const int e = g * 16 + i;
                const int lo = (x[ib].qs[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
                const int hi = (x[ib].hmask[e % 32] >> (e / 32)) & 1;
                gs += (lo + 4 * hi - 4) * y[ib].qs[e];
            }
            isum += scale_q3(x[ib].scales, g) * gs;
        }
        sum += y[ib].d * h2f(x[ib].d) * float(isum);
    }
    return sum;
}

namespace {
template <bool kFive, class Block>
float dot_k45_ref(int64_t n, const Block* x, const block_q8_K* y) {
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        int isum = 0, imin = 0;
        for (int g = 0; g < 8; g++) {
            int sc, mn;
            scale_min_k4(x[ib].scales, g, &sc, &mn);
            int gs = 0;
            for (int i = 0; i < 32; i++) {
                int q = (x[ib].qs[(g / 2) * 32 + i] >> (4 * (g % 2))) & 15;
                if constexpr (kFive) q |= ((x[ib].qh[i] >> g) & 1) << 4;
                gs += q * y[ib].qs[g * 32 + i];
            }
            isum += sc * gs;
            imin += mn * (y[ib].bsums[2 * g] + y[ib].bsums[2 * g + 1]);
        }
        sum += y[ib].d * (h2f(x[ib].d) * float(isum) - h2f(x[ib].dmin) * float(imin));
    }
    return sum;
}
}  // namespace

float vec_dot_q4_K_q8_K_ref(int64_t n, const void* w, const void* a) {
    return dot_k45_ref<false>(n, static_cast<const block_q4_K*>(w), static_cast<const block_q8_K*>(a));
}
float vec_dot_q5_K_q8_K_ref(int64_t n, const void* w, const void* a) {
    return dot_k45_ref<true>(n, static_cast<const block_q5_K*>(w), static_cast<const block_q8_K*>(a));
}

float vec_dot_q6_K_q8_K_ref(int64_t n, const void* w, const void* a) {
    const block_q6_K* x = static_cast<const block_q6_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        int isum = 0;
        for (int g = 0; g < 16; g++) {
            int gs = 0;
            for (int i = 0; i < 16; i++) {
                const int e = g * 16 + i;
                const int lo = (x[ib].ql[(e / 128) * 64 + e % 64] >> (4 * ((e / 64) % 2))) & 15;
                const int hi = (x[ib].qh[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
                gs += ((lo | (hi << 4)) - 32) * y[ib].qs[e];
            }
            isum += x[ib].scales[g] * gs;
        }
        sum += y[ib].d * h2f(x[ib].d) * float(isum);
    }
    return sum;
}

// ---------------------------------------------------------------------------------------------------
size_t qpanel_chunk_bytes(QKind kind) {
    const size_t planes = kind == QKind::U8 ? 2 : 1;
    const bool hs = kind == QKind::H2 || kind == QKind::H3 || kind == QKind::H6;
    return planes * 256 + 3 * 32 + (hs ? 64 : 0);
}

QKind qkind_of(Type t) {
    switch (t) {
        case Type::Q4_0: case Type::Q4_1: case Type::Q4_K: return QKind::U4;
        case Type::Q5_0: case Type::Q5_1: case Type::Q5_K: return QKind::U5;
        case Type::Q8_0: return QKind::U8;
        case Type::Q2_K: return QKind::H2;
        case Type::Q3_K: return QKind::H3;
        default: return QKind::H6;
    }
}

size_t qpanel_wide_chunk_bytes(QKind kind) { return 2 * qpanel_chunk_bytes(kind); }

void widen_panels(QKind kind, int64_t nc, const uint8_t* a, const uint8_t* b, uint8_t* dst) {
    const size_t cb = qpanel_chunk_bytes(kind);
    const int planes = kind == QKind::U8 ? 2 : 1;
    for (int64_t c = 0; c < nc; c++, a += cb, b = b ? b + cb : nullptr, dst += 2 * cb) {
        for (int pl = 0; pl < planes; pl++)
            for (int st = 0; st < 8; st++) {
                uint8_t* d = dst + pl * 512 + st * 64;
                std::memcpy(d, a + pl * 256 + st * 32, 32);
                if (b) std::memcpy(d + 32, b + pl * 256 + st * 32, 32);
                else std::memset(d + 32, 0, 32);
            }
        const float* fa = reinterpret_cast<const float*>(a + planes * 256);  // dw[8], mw[2][8]
        const float* fb = b ? reinterpret_cast<const float*>(b + planes * 256) : nullptr;
        float* fd = reinterpret_cast<float*>(dst + planes * 512);            // dw[16], mw[2][16]
        for (int v = 0; v < 3; v++) {
            std::memcpy(fd + 16 * v, fa + 8 * v, 32);
            if (fb) std::memcpy(fd + 16 * v + 8, fb + 8 * v, 32);
            else std::memset(fd + 16 * v + 8, 0, 32);
        }
    }
}

namespace {

// The scalar packed micro-kernel: the same arithmetic as the SIMD ones (integer sums per half chunk,
// one float product per chunk plus the two half-chunk min terms).
void gemm_scalar_panel(QKind kind, int64_t nchunks, const uint8_t* wp, const uint8_t* ap, float* c, int64_t ldc,
                       int mrows, int ncols, bool accumulate) {
    const size_t cb = qpanel_chunk_bytes(kind);
    const int planes = kind == QKind::U8 ? 2 : 1;
    const bool hs = kind == QKind::H2 || kind == QKind::H3 || kind == QKind::H6;
    float acc[kQActRows][kQPanelRows] = {};
    for (int64_t ch = 0; ch < nchunks; ch++, wp += cb, ap += kQActChunkBytes) {
        const float* dw = reinterpret_cast<const float*>(wp + planes * 256);
        const float* mw = dw + 8;
        const int32_t* sc = reinterpret_cast<const int32_t*>(mw + 16);
        const int8_t* aq = reinterpret_cast<const int8_t*>(ap);
        const float* da = reinterpret_cast<const float*>(ap + 128);
        const float* sa = da + 4;
        for (int j = 0; j < kQActRows; j++) {
            for (int r = 0; r < kQPanelRows; r++) {
                int half[2] = {0, 0};
                for (int i = 0; i < 32; i++) {
                    int code = 0;
                    for (int p = 0; p < planes; p++) code |= wp[p * 256 + (i / 4) * 32 + r * 4 + i % 4] << (4 * p);
                    half[i / 16] += code * aq[j * 32 + i];
                }
                const int isum = hs ? half[0] * int16_t(sc[r] & 0xFFFF) + half[1] * int16_t(sc[8 + r] & 0xFFFF)
                                    : half[0] + half[1];
                float v = std::fma(float(isum), dw[r] * da[j], acc[j][r]);
                if (hs) {
                    v = std::fma(mw[r], sa[j], v);
                    acc[j][r] = std::fma(mw[8 + r], sa[4 + j], v);
                } else {
                    acc[j][r] = std::fma(mw[r], sa[8 + j], v);  // both halves share the min
                }
            }
        }
    }
    for (int j = 0; j < ncols; j++)
        for (int i = 0; i < mrows; i++) c[j * ldc + i] = accumulate ? c[j * ldc + i] + acc[j][i] : acc[j][i];
}

void gemm_scalar(QKind kind, int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c,
                 int64_t ldc, int mrows, int ncols, bool accumulate) {
    gemm_scalar_panel(kind, nchunks, w0, ap, c, ldc, std::min(mrows, kQPanelRows), ncols, accumulate);
    if (w1 && mrows > kQPanelRows)
        gemm_scalar_panel(kind, nchunks, w1, ap, c + kQPanelRows, ldc, mrows - kQPanelRows, ncols, accumulate);
}

QuantDotTable make_scalar() {
    QuantDotTable t;
    t.dot[int(Type::Q4_0)] = vec_dot_q4_0_q8_0_ref;
    t.dot[int(Type::Q4_1)] = vec_dot_q4_1_q8_1_ref;
    t.dot[int(Type::Q5_0)] = vec_dot_q5_0_q8_0_ref;
    t.dot[int(Type::Q5_1)] = vec_dot_q5_1_q8_1_ref;
    t.dot[int(Type::Q8_0)] = vec_dot_q8_0_q8_0_ref;
    t.dot[int(Type::Q2_K)] = vec_dot_q2_K_q8_K_ref;
    t.dot[int(Type::Q3_K)] = vec_dot_q3_K_q8_K_ref;
    t.dot[int(Type::Q4_K)] = vec_dot_q4_K_q8_K_ref;
    t.dot[int(Type::Q5_K)] = vec_dot_q5_K_q8_K_ref;
    t.dot[int(Type::Q6_K)] = vec_dot_q6_K_q8_K_ref;
    t.dot_aux_q4_0 = vec_dot_q4_0_q8_0_aux_ref;
    t.dot_aux_q5_0 = vec_dot_q5_0_q8_0_aux_ref;
    t.act_q8_0 = quantize_act_q8_0_ref;
    t.act_q8_1 = quantize_act_q8_1_ref;
    t.act_q8_K = quantize_act_q8_K_ref;
    t.gemm = gemm_scalar;
    return t;
}

}  // namespace

void vec_dot_r8_ref(Type w, int64_t n, const void* group, const void* a, float* out) {
    const size_t row = row_size(w, n);
    std::vector<uint8_t> rows(row * kRepackRows);
    unrepack_group(w, group, rows.data(), n);
    for (int r = 0; r < kRepackRows; r++) out[r] = quant_dot_table_scalar().dot[int(w)](n, rows.data() + row * size_t(r), a);
}

const QuantDotTable& quant_dot_table_scalar() {
    static const QuantDotTable t = make_scalar();
    return t;
}

const QuantDotTable& quant_dot_table() {
    switch (simd_level()) {
#if defined(GIRAFFE_X86)
        case SimdLevel::Avx512:
            // The AVX-512 table is built around VNNI; plain AVX-512 parts run the AVX2 kernels.
            return features().avx512_vnni ? quant_dot_table_avx512() : quant_dot_table_avx2();
        case SimdLevel::Avx2: return quant_dot_table_avx2();
#endif
#if defined(GIRAFFE_ARM)
        case SimdLevel::Neon: return quant_dot_table_neon();
        case SimdLevel::NeonDotprod: return quant_dot_table_neon_dotprod();
#endif
        default: return quant_dot_table_scalar();
    }
}

Type quant_act_type(Type w) {
    switch (w) {
        case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: return Type::Q8_0;
        case Type::Q4_1: case Type::Q5_1: return Type::Q8_1;
        case Type::Q2_K: case Type::Q3_K: case Type::Q4_K: case Type::Q5_K: case Type::Q6_K: return Type::Q8_K;
        default: return Type::F32;
    }
}

bool quant_dot_supported(Type w) { return quant_act_type(w) != Type::F32; }

QDotFn quant_dot_fn(Type w) {
    const uint32_t id = uint32_t(w);
    return id < 32 && quant_dot_supported(w) ? quant_dot_table().dot[id] : nullptr;
}

void quantize_act(Type act, const float* x, void* y, int64_t n) {
    const QuantDotTable& t = quant_dot_table();
    switch (act) {
        case Type::Q8_0: t.act_q8_0(x, y, n); break;
        case Type::Q8_1: t.act_q8_1(x, y, n); break;
        case Type::Q8_K: t.act_q8_K(x, y, n); break;
        default: break;
    }
}

}  // namespace ggml::cpu
