// mul_mat: dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k], with a (F32/F16/BF16 or a
// block-quantized type) broadcast over dims 2 and 3 (grouped-query attention). Quantized a goes to
// mul_mat_quant (quant_dot_matmul.cpp). Many columns go through the packed GEMM (gemm.cpp), each
// thread owning whole (batch, m-range, n-range) tiles; few columns (decode) are row dot products with the
// rows split across threads.
#include "ggml/threads.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/ops/ops.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "backends/cpu/vec.h"

namespace ggml::cpu {
namespace {

constexpr int64_t kGemmMinN = 8;  // below this many columns, dot products beat packing a
// f16 / bf16 rows at least this long against kGemmMinN columns (decode attention's value product: V rows
// as long as the context, 8 query rows) take block dots (vec_dot_block16): each row read once, no packing.
constexpr int64_t kDotBlockMinK = 512;

// [begin, end) of part i of `parts` over `total` items, in whole units (the last part takes the remainder).
inline void split(int64_t i, int64_t parts, int64_t total, int64_t unit, int64_t* begin, int64_t* end) {
    const int64_t units = (total + unit - 1) / unit;
    *begin = std::min(total, units * i / parts * unit);
    *end = std::min(total, units * (i + 1) / parts * unit);
}

[[noreturn]] void fail(const std::string& what, const Tensor* dst) {
    throw std::invalid_argument("mul_mat: " + what + " (dst " + shape_str(dst) + ", a " + shape_str(dst->src[0]) +
                                ", b " + shape_str(dst->src[1]) + ")");
}

struct Shape {
    int64_t K, M, N, b2, b3, r2, r3;
    Type ta;
    const char *a, *b;
    char* d;
    size_t a_nb[4], b_nb[4], d_nb[4];
    const char* a_mat(int64_t i2, int64_t i3) const { return a + size_t(i2 / r2) * a_nb[2] + size_t(i3 / r3) * a_nb[3]; }
    const char* b_mat(int64_t i2, int64_t i3) const { return b + size_t(i2) * b_nb[2] + size_t(i3) * b_nb[3]; }
    float* d_mat(int64_t i2, int64_t i3) const {
        return reinterpret_cast<float*>(d + size_t(i2) * d_nb[2] + size_t(i3) * d_nb[3]);
    }
};

// Few columns: each thread takes a contiguous range of the (batch, m) rows and dots each a row with the
// N b rows (gathered into a contiguous scratch when b's elements are strided).
void mul_mat_dot(const Shape& s, int nth) {
    const DotFn dot = dot_kernel_for_type(s.ta);
    const int64_t rows = s.b2 * s.b3 * s.M;
    nth = int(std::max<int64_t>(1, std::min<int64_t>(nth, rows)));
    ggml::parallel_run(nth, [&](int tid, int nt) {
        int64_t r0, r1;
        split(tid, nt, rows, 1, &r0, &r1);
        std::vector<float> gathered;
        std::vector<const float*> brow(size_t(s.N));
        const size_t ldd = s.d_nb[1] / sizeof(float);
        for (int64_t r = r0; r < r1;) {
            const int64_t batch = r / s.M, m_begin = r % s.M, m_end = std::min(s.M, m_begin + (r1 - r));
            const int64_t i2 = batch % s.b2, i3 = batch / s.b2;
            const char* bm = s.b_mat(i2, i3);
            if (s.b_nb[0] == sizeof(float)) {
                for (int64_t n = 0; n < s.N; n++) brow[n] = reinterpret_cast<const float*>(bm + size_t(n) * s.b_nb[1]);
            } else {
                gathered.resize(size_t(s.N * s.K));
                for (int64_t n = 0; n < s.N; n++) {
                    float* g = gathered.data() + n * s.K;
                    for (int64_t k = 0; k < s.K; k++)
                        g[k] = *reinterpret_cast<const float*>(bm + size_t(n) * s.b_nb[1] + size_t(k) * s.b_nb[0]);
                    brow[n] = g;
                }
            }
            const char* am = s.a_mat(i2, i3);
            float* dm = s.d_mat(i2, i3);
            if ((s.ta == Type::F16 || s.ta == Type::BF16) && s.a_nb[1] % sizeof(uint16_t) == 0) {
                const auto* a0 = reinterpret_cast<const uint16_t*>(am + size_t(m_begin) * s.a_nb[1]);
                vec_dot_block16(s.ta, s.K, a0, s.a_nb[1] / sizeof(uint16_t), int(m_end - m_begin), brow.data(),
                                int(s.N), dm + m_begin, ldd);
            } else {
                for (int64_t m = m_begin; m < m_end; m++) {
                    const char* arow = am + size_t(m) * s.a_nb[1];
                    for (int64_t n = 0; n < s.N; n++) dm[n * ldd + m] = dot(s.K, arow, brow[n]);
                }
            }
            r += m_end - m_begin;
        }
    });
}

// Whether kGemmMinN columns take mul_mat_dot's block dots rather than the GEMM (see kDotBlockMinK).
bool block_dots_fit(const Shape& s) {
    return s.N == kGemmMinN && (s.ta == Type::F16 || s.ta == Type::BF16) && s.K >= kDotBlockMinK &&
           vec_dot_many_native();
}

// Decode attention's scores: short f16 rows (the cached keys of a KV head) against its few query rows.
// Each thread takes one contiguous range of cells and walks it 16 cells at a time, all heads of those
// cells together, so it reads one run of the cache; the 16 keys are converted once and their dots with
// each query row leave the kernel as one vector (vec_dot_rows16).
bool scores_decode_fits(const Shape& s) {
    return s.ta == Type::F16 && s.N <= kGemmMinN && s.K % 16 == 0 && s.K <= 256 && s.M >= 16 &&
           s.a_nb[1] % sizeof(uint16_t) == 0 && s.b_nb[0] == sizeof(float) && s.b_nb[1] % sizeof(float) == 0 &&
           vec_dot_many_native();
}
constexpr int64_t kScoresAhead = 64;  // cells
void mul_mat_scores_decode(const Shape& s, int nth) {
    const int64_t nbatch = s.b2 * s.b3;
    const size_t ldd = s.d_nb[1] / sizeof(float), lda = s.a_nb[1] / sizeof(uint16_t), ldb = s.b_nb[1] / sizeof(float);
    nth = int(std::max<int64_t>(1, std::min<int64_t>(nth, s.M / 16)));
    ggml::parallel_run(nth, [&](int ith, int nt) {
        int64_t m0, m1;
        split(ith, nt, s.M, 16, &m0, &m1);
        for (int64_t m = m0; m < m1; m += 16)
            for (int64_t batch = 0; batch < nbatch; batch++) {
                const int64_t i2 = batch % s.b2, i3 = batch / s.b2;
                const auto* a = reinterpret_cast<const uint16_t*>(s.a_mat(i2, i3)) + size_t(m) * lda;
                const auto* b = reinterpret_cast<const float*>(s.b_mat(i2, i3));
                float* d = s.d_mat(i2, i3) + m;
                // this head's keys of the next cells (the hardware prefetchers alone fall behind here)
                for (int64_t r = m + kScoresAhead; r < std::min(m1, m + kScoresAhead + 16); r++)
                    for (size_t o = 0; o < size_t(s.K) * sizeof(uint16_t); o += 64)
                        __builtin_prefetch(reinterpret_cast<const char*>(a + size_t(r - m) * lda) + o, 0, 3);
                if (m + 16 <= m1) {
                    vec_dot_rows16(Type::F16, s.K, a, lda * sizeof(uint16_t), 16, b, ldb, int(s.N), d, ldd);
                    continue;
                }
                for (int64_t i = 0; i < m1 - m; i++)  // the last few cells
                    for (int64_t n = 0; n < s.N; n++)
                        d[size_t(n) * ldd + size_t(i)] = vec_dot_f16(s.K, a + size_t(i) * lda, b + size_t(n) * ldb);
            }
    });
}

// Many columns: tasks = (batch, m-range, n-range). Each batch is cut into `per` tiles so that the task
// count is a multiple of the thread count (equal shares); the cut between m and n minimises repacking
// (each m cut repacks b, each n cut repacks and re-reads a).
void mul_mat_gemm(const Shape& s, int nth) {
    const GemmKernels& g = gemm_kernels();
    const int64_t nbatch = s.b2 * s.b3;
    // Few columns (decode attention where the f16 kernels above do not apply): every batch is cut along m
    // into one piece per thread and thread i takes piece i of every batch, so each thread reads one
    // contiguous run of the cache rows, all heads of a row together.
    const bool m_major = s.N <= kGemmMinN && nbatch > 1;
    const int64_t per = m_major ? nth : nth / std::gcd<int64_t>(nbatch, nth);
    const int64_t munits = (s.M + 31) / 32, nunits = (s.N + g.nr - 1) / g.nr;
    int64_t sm = 1;
    double best = 1e300;
    for (int64_t c = 1; c <= per; c++) {
        if (per % c) continue;
        const int64_t cn = per / c;
        double cost = double(c) * double(s.N) + 2.0 * double(cn) * double(s.M);
        if (c > munits || cn > nunits) cost += 1e200;  // would leave tasks empty
        if (cost < best) best = cost, sm = c;
    }
    const int64_t sn = per / sm;
    const int64_t tasks = nbatch * per;
    const size_t ldd = s.d_nb[1] / sizeof(float);
    ggml::parallel_for_static(tasks, nth, [&](int64_t t) {
        const int64_t batch = m_major ? t % nbatch : t / per, piece = m_major ? t / nbatch : t % per;
        const int64_t i2 = batch % s.b2, i3 = batch / s.b2;
        int64_t m0, m1, n0, n1;
        split(piece / sn, sm, s.M, 32, &m0, &m1);
        split(piece % sn, sn, s.N, g.nr, &n0, &n1);
        if (m0 >= m1 || n0 >= n1) return;
        gemm_tile(s.ta, s.a_mat(i2, i3), s.a_nb[1], s.b_mat(i2, i3), s.b_nb[1], s.b_nb[0], s.d_mat(i2, i3),
                  int64_t(ldd), s.K, m0, m1, n0, n1);
    });
}

// dst's product, checked; false when there is nothing to compute (an empty dst, or K = 0: zeros written).
bool shape_of(const Tensor* dst, Shape* out) {
    const Tensor* a = dst->src[0];
    const Tensor* b = dst->src[1];
    if (!a || !b) throw std::invalid_argument("mul_mat: missing source");
    if (!gemm_supports_type(a->type)) fail(std::string("unsupported weight type ") + type_name(a->type), dst);
    if (b->type != Type::F32 || dst->type != Type::F32) fail("b and dst must be f32", dst);
    if (a->nb[0] != type_traits(a->type).block_bytes) fail("a's rows must be contiguous", dst);
    if (b->ne[0] != a->ne[0]) fail("a and b differ in ne[0]", dst);
    if (dst->ne[0] != a->ne[1] || dst->ne[1] != b->ne[1] || dst->ne[2] != b->ne[2] || dst->ne[3] != b->ne[3])
        fail("dst shape", dst);
    if (a->ne[2] <= 0 || a->ne[3] <= 0 || b->ne[2] % a->ne[2] || b->ne[3] % a->ne[3])
        fail("b's dims 2, 3 must be multiples of a's", dst);
    if (dst->nb[0] != sizeof(float) || dst->nb[1] != size_t(dst->ne[0]) * sizeof(float)) fail("dst rows not contiguous", dst);
    if (quant_dot_supported(a->type) && a->ne[0] % type_traits(a->type).block_size)
        fail("ne[0] must be a multiple of the block size", dst);

    Shape& s = *out;
    s.K = a->ne[0], s.M = a->ne[1], s.N = b->ne[1], s.b2 = b->ne[2], s.b3 = b->ne[3];
    s.r2 = b->ne[2] / a->ne[2], s.r3 = b->ne[3] / a->ne[3];
    s.ta = a->type;
    s.a = static_cast<const char*>(a->data), s.b = static_cast<const char*>(b->data);
    s.d = static_cast<char*>(dst->data);
    for (int i = 0; i < 4; i++) s.a_nb[i] = a->nb[i], s.b_nb[i] = b->nb[i], s.d_nb[i] = dst->nb[i];
    if (s.M == 0 || s.N == 0 || s.b2 == 0 || s.b3 == 0) return false;
    if (s.K == 0) {
        for (int64_t i3 = 0; i3 < s.b3; i3++)
            for (int64_t i2 = 0; i2 < s.b2; i2++) std::memset(s.d_mat(i2, i3), 0, size_t(s.M * s.N) * sizeof(float));
        return false;
    }
    return true;
}

}  // namespace

void op_mul_mat(Tensor* dst, const OpContext& ctx) { op_mul_mat_siblings(&dst, 1, ctx); }

void op_mul_mat_siblings(Tensor* const* dsts, int count, const OpContext& ctx) {
    const int nth = std::max(1, ctx.n_threads);
    std::vector<QMatMul> quantized;
    for (int i = 0; i < count; i++) {
        Shape s;
        if (!shape_of(dsts[i], &s)) continue;
        if (quant_dot_supported(s.ta)) {
            QMatMul q{s.K, s.M, s.N, s.b2, s.b3, s.r2, s.r3, s.ta, s.a, s.b, s.d, {}, {}, {}};
            for (int j = 0; j < 4; j++) q.a_nb[j] = s.a_nb[j], q.b_nb[j] = s.b_nb[j], q.d_nb[j] = s.d_nb[j];
            q.a_repacked = is_repacked(dsts[i]->src[0]);
            quantized.push_back(q);
        } else if (scores_decode_fits(s)) {
            mul_mat_scores_decode(s, nth);
        } else if (s.N < kGemmMinN || block_dots_fit(s)) {
            mul_mat_dot(s, nth);
        } else {
            mul_mat_gemm(s, nth);
        }
    }
    if (quantized.empty()) return;
    if (const Tensor* w = ctx.next_weight) quantized.back().next_a = static_cast<const char*>(w->data), quantized.back().next_bytes = w->nbytes();
    mul_mat_quant(quantized.data(), int(quantized.size()), nth);
}

}  // namespace ggml::cpu
