// The quantized mul_mat driver (instruction-set neutral): activation quantization, the decode path (row
// dots) and the packed prefill path (weight / activation panels + the table's micro-kernel). See
// quant_dot.h for the panel layouts.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/range_steal.h"
#include "backends/cpu/repack.h"
#include "ggml/quants.h"
#include "ggml/threads.h"

namespace ggml::cpu {
namespace {

inline float h2f(uint16_t h) { return fp16_to_fp32(h); }

struct Bytes {
    uint8_t* p = nullptr;
    size_t n = 0;
    uint8_t* get(size_t want) {
        if (want > n) {
            std::free(p);
            p = static_cast<uint8_t*>(std::aligned_alloc(64, (want + 63) / 64 * 64));
            if (!p) throw std::bad_alloc();
            n = want;
        }
        return p;
    }
    ~Bytes() { std::free(p); }
};

// [begin, end) of part i of `parts` over `total` items, in whole units.
inline void split(int64_t i, int64_t parts, int64_t total, int64_t unit, int64_t* begin, int64_t* end) {
    const int64_t units = (total + unit - 1) / unit;
    *begin = std::min(total, units * i / parts * unit);
    *end = std::min(total, units * (i + 1) / parts * unit);
}

// ---- weight chunks -> panel -------------------------------------------------------------------------
// One 32-element chunk of one weight row, decoded: unsigned codes, float scale, the min terms of both
// halves, and (H kinds) the int scales of both halves.
struct Chunk {
    uint8_t q[32];
    float dw;
    float mw[2];
    int sc[2];
};

inline void nibbles(const uint8_t* qs, uint8_t* q) {
    for (int i = 0; i < 16; i++) q[i] = qs[i] & 15, q[i + 16] = qs[i] >> 4;
}
inline void add_bit5(const uint8_t* qh, uint8_t* q) {
    uint32_t h;
    std::memcpy(&h, qh, 4);
    for (int i = 0; i < 32; i++) q[i] = uint8_t(q[i] | (((h >> i) & 1) << 4));
}
inline void scale_min_k4(const uint8_t* s, int g, int* sc, int* mn) {
    if (g < 4) {
        *sc = s[g] & 63;
        *mn = s[g + 4] & 63;
    } else {
        *sc = (s[g + 4] & 15) | ((s[g - 4] >> 6) << 4);
        *mn = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
    }
}

// Decodes chunk j of a weight row of type t.
void decode_chunk(Type t, const char* row, int64_t j, Chunk* c) {
    c->sc[0] = c->sc[1] = 1;
    const int64_t sb = j / 8;
    const int s = int(j % 8);  // chunk within a K super-block
    switch (t) {
        case Type::Q4_0: {
            const block_q4_0& b = reinterpret_cast<const block_q4_0*>(row)[j];
            nibbles(b.qs, c->q);
            c->dw = h2f(b.d), c->mw[0] = c->mw[1] = -8.0f * c->dw;
            break;
        }
        case Type::Q4_1: {
            const block_q4_1& b = reinterpret_cast<const block_q4_1*>(row)[j];
            nibbles(b.qs, c->q);
            c->dw = h2f(b.d), c->mw[0] = c->mw[1] = h2f(b.m);
            break;
        }
        case Type::Q5_0: {
            const block_q5_0& b = reinterpret_cast<const block_q5_0*>(row)[j];
            nibbles(b.qs, c->q);
            add_bit5(b.qh, c->q);
            c->dw = h2f(b.d), c->mw[0] = c->mw[1] = -16.0f * c->dw;
            break;
        }
        case Type::Q5_1: {
            const block_q5_1& b = reinterpret_cast<const block_q5_1*>(row)[j];
            nibbles(b.qs, c->q);
            add_bit5(b.qh, c->q);
            c->dw = h2f(b.d), c->mw[0] = c->mw[1] = h2f(b.m);
            break;
        }
        case Type::Q8_0: {
            const block_q8_0& b = reinterpret_cast<const block_q8_0*>(row)[j];
            for (int i = 0; i < 32; i++) c->q[i] = uint8_t(b.qs[i] + 128);
            c->dw = h2f(b.d), c->mw[0] = c->mw[1] = -128.0f * c->dw;
            break;
        }
        case Type::Q2_K: {
            const block_q2_K& b = reinterpret_cast<const block_q2_K*>(row)[sb];
            const uint8_t* qs = b.qs + (s / 4) * 32;
            const int sh = 2 * (s % 4);
            for (int i = 0; i < 32; i++) c->q[i] = (qs[i] >> sh) & 3;
            const float d = h2f(b.d), dmin = h2f(b.dmin);
            c->dw = d;
            for (int h = 0; h < 2; h++) {
                c->sc[h] = b.scales[2 * s + h] & 15;
                c->mw[h] = -dmin * float(b.scales[2 * s + h] >> 4);
            }
            break;
        }
        case Type::Q3_K: {
            const block_q3_K& b = reinterpret_cast<const block_q3_K*>(row)[sb];
            const uint8_t* qs = b.qs + (s / 4) * 32;
            const int sh = 2 * (s % 4);
            for (int i = 0; i < 32; i++) c->q[i] = uint8_t(((qs[i] >> sh) & 3) | (((b.hmask[i] >> s) & 1) << 2));
            const float d = h2f(b.d);
            c->dw = d;
            for (int h = 0; h < 2; h++) {
                const int g = 2 * s + h;
                const int lo = g < 8 ? (b.scales[g] & 15) : (b.scales[g - 8] >> 4);
                const int hi = (b.scales[8 + g % 4] >> (2 * (g / 4))) & 3;
                c->sc[h] = (lo | (hi << 4)) - 32;
                c->mw[h] = -4.0f * d * float(c->sc[h]);
            }
            break;
        }
        case Type::Q4_K: case Type::Q5_K: {
            const bool five = t == Type::Q5_K;
            const uint8_t* scales = five ? reinterpret_cast<const block_q5_K*>(row)[sb].scales
                                         : reinterpret_cast<const block_q4_K*>(row)[sb].scales;
            const uint8_t* qs = five ? reinterpret_cast<const block_q5_K*>(row)[sb].qs
                                     : reinterpret_cast<const block_q4_K*>(row)[sb].qs;
            const uint16_t dh = five ? reinterpret_cast<const block_q5_K*>(row)[sb].d
                                     : reinterpret_cast<const block_q4_K*>(row)[sb].d;
            const uint16_t mh = five ? reinterpret_cast<const block_q5_K*>(row)[sb].dmin
                                     : reinterpret_cast<const block_q4_K*>(row)[sb].dmin;
            qs += (s / 2) * 32;
            const int sh = 4 * (s % 2);
            for (int i = 0; i < 32; i++) c->q[i] = (qs[i] >> sh) & 15;
            if (five) {
                const uint8_t* qh = reinterpret_cast<const block_q5_K*>(row)[sb].qh;
                for (int i = 0; i < 32; i++) c->q[i] = uint8_t(c->q[i] | (((qh[i] >> s) & 1) << 4));
            }
            int sc, mn;
            scale_min_k4(scales, s, &sc, &mn);
            c->dw = h2f(dh) * float(sc);
            c->mw[0] = c->mw[1] = -h2f(mh) * float(mn);
            break;
        }
        default: {  // Q6_K
            const block_q6_K& b = reinterpret_cast<const block_q6_K*>(row)[sb];
            const uint8_t* ql = b.ql + (s / 4) * 64 + 32 * (s % 2);
            const uint8_t* qh = b.qh + (s / 4) * 32;
            const int shl = 4 * ((s / 2) % 2), shh = 2 * (s % 4);
            for (int i = 0; i < 32; i++) c->q[i] = uint8_t(((ql[i] >> shl) & 15) | (((qh[i] >> shh) & 3) << 4));
            const float d = h2f(b.d);
            c->dw = d;
            for (int h = 0; h < 2; h++) {
                c->sc[h] = b.scales[2 * s + h];
                c->mw[h] = -32.0f * d * float(c->sc[h]);
            }
            break;
        }
    }
}

// Unpacks rows [0, rows) (rows <= 8) of a, chunks [c0, c0 + nc), into one panel (nc chunks).
void unpack_panel(Type t, QKind kind, const char* a, size_t lda, int rows, int64_t c0, int64_t nc, uint8_t* dst) {
    const size_t cb = qpanel_chunk_bytes(kind);
    const int planes = kind == QKind::U8 ? 2 : 1;
    const bool hs = kind == QKind::H2 || kind == QKind::H3 || kind == QKind::H6;
    Chunk c;
    for (int64_t j = 0; j < nc; j++, dst += cb) {
        float* dw = reinterpret_cast<float*>(dst + planes * 256);
        float* mw = dw + 8;
        int32_t* sc = reinterpret_cast<int32_t*>(mw + 16);
        for (int r = 0; r < kQPanelRows; r++) {
            if (r < rows) {
                decode_chunk(t, a + size_t(r) * lda, c0 + j, &c);
            } else {
                std::memset(&c, 0, sizeof c);
            }
            if (planes == 1) {
                for (int st = 0; st < 8; st++) std::memcpy(dst + st * 32 + r * 4, c.q + st * 4, 4);
            } else {
                for (int st = 0; st < 8; st++)
                    for (int b = 0; b < 4; b++) {
                        dst[st * 32 + r * 4 + b] = c.q[st * 4 + b] & 15;
                        dst[256 + st * 32 + r * 4 + b] = c.q[st * 4 + b] >> 4;
                    }
            }
            dw[r] = c.dw, mw[r] = c.mw[0], mw[8 + r] = c.mw[1];
            if (hs) {
                for (int h = 0; h < 2; h++) {
                    const uint32_t v = uint16_t(int16_t(c.sc[h]));
                    sc[h * 8 + r] = int32_t(v | (v << 16));
                }
            }
        }
    }
}

// ---- activation rows -> panel -----------------------------------------------------------------------
// Packs activation rows rows[0..nrows) (nrows <= 4; missing rows are zero) of format `at`, all chunks.
void pack_act_panel(Type at, const uint8_t* const* rows, int nrows, int64_t nchunks, uint8_t* dst) {
    for (int64_t j = 0; j < nchunks; j++, dst += kQActChunkBytes) {
        int8_t* q = reinterpret_cast<int8_t*>(dst);
        float* da = reinterpret_cast<float*>(dst + 128);
        float* sa = da + 4;
        for (int r = 0; r < kQActRows; r++) {
            if (r >= nrows) {
                std::memset(q + r * 32, 0, 32);
                da[r] = sa[r] = sa[4 + r] = sa[8 + r] = 0.0f;
                continue;
            }
            if (at == Type::Q8_K) {
                const block_q8_K& b = reinterpret_cast<const block_q8_K*>(rows[r])[j / 8];
                const int s = int(j % 8);
                std::memcpy(q + r * 32, b.qs + 32 * s, 32);
                da[r] = b.d;
                sa[r] = b.d * float(b.bsums[2 * s]);
                sa[4 + r] = b.d * float(b.bsums[2 * s + 1]);
            } else if (at == Type::Q8_1) {
                const block_q8_1& b = reinterpret_cast<const block_q8_1*>(rows[r])[j];
                std::memcpy(q + r * 32, b.qs, 32);
                da[r] = h2f(b.d);
                sa[r] = h2f(b.s);
                sa[4 + r] = 0.0f;
            } else {
                const block_q8_0& b = reinterpret_cast<const block_q8_0*>(rows[r])[j];
                std::memcpy(q + r * 32, b.qs, 32);
                int s0 = 0, s1 = 0;
                for (int i = 0; i < 16; i++) s0 += b.qs[i], s1 += b.qs[16 + i];
                da[r] = h2f(b.d);
                sa[r] = da[r] * float(s0);
                sa[4 + r] = da[r] * float(s1);
                sa[8 + r] = da[r] * float(s0 + s1);
                continue;
            }
            sa[8 + r] = sa[r] + sa[4 + r];
        }
    }
}

// ---- the two paths ----------------------------------------------------------------------------------
constexpr int64_t kKC = 32;   // chunks per k block (1024 k): one weight panel block stays in L1
constexpr int64_t kNC = 128;  // activation rows per n block: kNC x kKC activations stay in L2
constexpr int64_t kMB = 128;  // weight rows per task

struct Ctx {
    const QMatMul& s;
    Type at;
    size_t arow;         // bytes of one quantized activation row
    const uint8_t* act;  // quantized rows, [batch][n]
    const QActAux* aux;  // decode with Q8_0 activations: each row's nb = K / 32 aux, [batch][n]; else null
    // decode with N > 1 on interleaved weights: the rows as column panels (quant_dot.h), [batch][n] in passes
    // (r8_pass), panel_col bytes per column; else null
    const uint8_t* panels = nullptr;
    size_t panel_col = 0;
    const uint8_t* row(int64_t batch, int64_t n) const { return act + size_t(batch * s.N + n) * arow; }
    const char* a_mat(int64_t i2, int64_t i3) const {
        return s.a + size_t(i2 / s.r2) * s.a_nb[2] + size_t(i3 / s.r3) * s.a_nb[3];
    }
    float* d_mat(int64_t i2, int64_t i3) const {
        return reinterpret_cast<float*>(s.d + size_t(i2) * s.d_nb[2] + size_t(i3) * s.d_nb[3]);
    }
};

// The columns of pass p of N activation rows in panels of at most w columns: [*c0, *c1), the passes as
// even as can be (16 rows at 8 a pass: 8 + 8; 9 rows: 4 + 5).
inline void r8_pass(int64_t N, int w, int64_t p, int64_t* c0, int64_t* c1) {
    const int64_t npass = (N + w - 1) / w;
    *c0 = N * p / npass, *c1 = N * (p + 1) / npass;
}
inline int64_t r8_passes(int64_t N, int w) { return (N + w - 1) / w; }

// Few b rows: the weight rows, in units of 8 (an interleaved group), are split into one contiguous range
// per thread with stealing at the ends (range_steal.h), claimed about kDecodeChunkBytes of weights at a
// time; each weight row is read once and dotted with all N activation rows. Several products of the same
// activations (a layer's Q, K and V) share one pass: one fork and join for all, and the small ones ride in
// the stream of the large.
constexpr size_t kDecodeChunkBytes = size_t(64) << 10;
constexpr size_t kNextPrefetchBytes = size_t(16) << 10;

// One product's share of a decode pass: its kernels.
struct DecodeProduct {
    const Ctx* c;
    int64_t units, nb;
    QDotFn dot;
    QDotAuxFn dot_aux;  // Q4_0 / Q5_0 plain rows: the dot that takes the aux
    QDotR8Fn dot_r8;    // interleaved weights; null: the reference
    QDotR8ColsFn dot_r8_cols;  // interleaved weights, N > 1: several activation rows per pass over a group
    int r8_cols;

    explicit DecodeProduct(const Ctx& ctx) : c(&ctx) {
        const QMatMul& s = ctx.s;
        const QuantDotTable& tab = quant_dot_table();
        units = s.b2 * s.b3 * ((s.M + kRepackRows - 1) / kRepackRows);
        nb = s.K / QK8_0;
        dot = tab.dot[int(s.ta)];
        dot_aux = s.ta == Type::Q4_0 ? tab.dot_aux_q4_0 : s.ta == Type::Q5_0 ? tab.dot_aux_q5_0 : nullptr;
        dot_r8 = s.a_repacked ? tab.dot_r8[int(s.ta)] : nullptr;
        dot_r8_cols = s.a_repacked && dot_r8 && ctx.panels ? tab.dot_r8_cols[int(s.ta)] : nullptr;
        r8_cols = tab.r8_cols;
    }

    // Unit u: weight rows [8 (u % groups), +8) of batch u / groups against every activation row.
    void run(int64_t u) const {
        const QMatMul& s = c->s;
        const int64_t groups = (s.M + kRepackRows - 1) / kRepackRows;
        const int64_t batch = u / groups, m0 = (u % groups) * kRepackRows, m1 = std::min(s.M, m0 + kRepackRows);
        const char* am = c->a_mat(batch % s.b2, batch / s.b2);
        float* dm = c->d_mat(batch % s.b2, batch / s.b2);
        const size_t ldd = s.d_nb[1] / sizeof(float);
        const QActAux* baux = c->aux ? c->aux + batch * s.N * nb : nullptr;
        if (s.a_repacked) {  // M is a multiple of 8: whole groups
            const char* group = am + size_t(m0) * s.a_nb[1];
            if (dot_r8_cols) {  // the group read and unpacked once per pass of up to r8_cols columns
                for (int64_t p = 0, np = r8_passes(s.N, r8_cols); p < np; p++) {
                    int64_t c0, c1;
                    r8_pass(s.N, r8_cols, p, &c0, &c1);
                    dot_r8_cols(s.K, group, c->panels + size_t(batch * s.N + c0) * c->panel_col, int(c1 - c0),
                                dm + c0 * int64_t(ldd) + m0, int64_t(ldd));
                }
                return;
            }
            for (int64_t n = 0; n < s.N; n++) {
                float out[kRepackRows];
                if (dot_r8) dot_r8(s.K, group, c->row(batch, n), baux ? baux + n * nb : nullptr, out);
                else vec_dot_r8_ref(s.ta, s.K, group, c->row(batch, n), out);
                std::memcpy(dm + n * ldd + m0, out, sizeof out);
            }
            return;
        }
        for (int64_t m = m0; m < m1; m++) {
            const char* arow = am + size_t(m) * s.a_nb[1];
            for (int64_t n = 0; n < s.N; n++)
                dm[n * ldd + m] = dot_aux ? dot_aux(s.K, arow, c->row(batch, n), baux + n * nb) : dot(s.K, arow, c->row(batch, n));
        }
    }
};

void decode_path(const Ctx* cs, int count, int nth) {
    std::vector<DecodeProduct> prods;
    prods.reserve(size_t(count));
    int64_t units = 0;
    for (int p = 0; p < count; p++) prods.emplace_back(cs[p]), units += prods.back().units;
    nth = int(std::max<int64_t>(1, std::min<int64_t>(nth, units)));
    // The joint range holds each thread's share of every product in turn (thread 0's share of each, then
    // thread 1's, ...), so each thread still reads a slice of every matrix, as one product at a time would.
    struct Segment {
        int64_t begin;  // in the joint range
        int p;
        int64_t unit0;  // product p's unit at begin
    };
    std::vector<Segment> segs;
    int64_t total = 0;
    for (int t = 0; t < nth; t++)
        for (int p = 0; p < count; p++) {
            const int64_t u0 = prods[size_t(p)].units * t / nth, u1 = prods[size_t(p)].units * (t + 1) / nth;
            if (u1 > u0) segs.push_back({total, p, u0}), total += u1 - u0;
        }
    segs.push_back({total, 0, 0});
    const int64_t chunk = std::max<int64_t>(1, int64_t(kDecodeChunkBytes / (kRepackRows * cs[0].s.a_nb[1])));
    const QMatMul& last = cs[count - 1].s;  // its next_a: the weights after the whole pass
    RangeSteal work(total, nth);
    ggml::parallel_run(nth, [&](int ith, int) {
        int64_t lo, hi;
        bool own = true;
        size_t sg = 0;
        for (;;) {
            if (own && !work.take_own(ith, chunk, &lo, &hi)) {
                own = false;
                // Own range done: ask for the start of this thread's share of the next product's weights, so
                // that product does not begin on cold streams.
                if (last.next_a) {
                    const size_t share = last.next_bytes / size_t(nth), begin = share * size_t(ith);
                    const size_t len = std::min(share, kNextPrefetchBytes);
                    for (size_t o = 0; o < len; o += 64) __builtin_prefetch(last.next_a + begin + o, 0, 2);
                }
            }
            if (!own && !work.steal(ith, chunk, &lo, &hi)) break;
            for (int64_t v = lo; v < hi; v++) {
                while (v < segs[sg].begin) sg--;
                while (v >= segs[sg + 1].begin) sg++;
                prods[size_t(segs[sg].p)].run(segs[sg].unit0 + v - segs[sg].begin);
            }
        }
    });
}

void prefill_path(const Ctx& c, int nth) {
    const QMatMul& s = c.s;
    const QKind kind = qkind_of(s.ta);
    const size_t cb = qpanel_chunk_bytes(kind);
    const int64_t nchunks = s.K / kQChunk, nbatch = s.b2 * s.b3;
    const int64_t npan_n = (s.N + kQActRows - 1) / kQActRows;
    const size_t apanel_bytes = size_t(nchunks) * kQActChunkBytes;
    thread_local Bytes abuf;
    uint8_t* apack = abuf.get(size_t(nbatch * npan_n) * apanel_bytes);
    ggml::parallel_for_static(nbatch * npan_n, nth, [&](int64_t t) {
        const int64_t batch = t / npan_n, q = t % npan_n;
        const uint8_t* rows[kQActRows];
        const int nr = int(std::min<int64_t>(kQActRows, s.N - q * kQActRows));
        for (int r = 0; r < nr; r++) rows[r] = c.row(batch, q * kQActRows + r);
        pack_act_panel(c.at, rows, nr, nchunks, apack + size_t(t) * apanel_bytes);
    });

    // Tasks: (batch, m-block, n-range), handed out dynamically (a thread that loses its core does not
    // hold the others back). m-blocks of up to kMB rows; cutting n costs another unpacking of the weights,
    // so n is cut only when there are too few m-blocks to keep every thread busy.
    int64_t mb = kMB;
    while (mb > 16 && nbatch * ((s.M + mb - 1) / mb) < 4 * nth) mb /= 2;
    const int64_t per_m = (s.M + mb - 1) / mb;
    int64_t sn = 1;
    while (nbatch * per_m * sn < 2 * nth && sn * 2 <= npan_n) sn *= 2;
    const int64_t per = per_m * sn;
    const size_t ldd = s.d_nb[1] / sizeof(float);
    ggml::parallel_for(nbatch * per, nth, [&](int64_t t) {
        const QGemmFn gemm = quant_dot_table().gemm;
        const QGemmFn wide = kind == QKind::U4 || kind == QKind::U5 || kind == QKind::U8 ? quant_dot_table().gemm_wide : nullptr;
        const int64_t batch = t / per, piece = t % per;
        const int64_t i2 = batch % s.b2, i3 = batch / s.b2;
        const int64_t m0 = (piece / sn) * mb, m1 = std::min(s.M, m0 + mb);
        int64_t q0, q1;
        split(piece % sn, sn, npan_n, 1, &q0, &q1);
        if (m0 >= m1 || q0 >= q1) return;
        const int64_t npan_m = (m1 - m0 + kQPanelRows - 1) / kQPanelRows;
        thread_local Bytes wbuf, wbuf_wide;
        uint8_t* wpack = wbuf.get(size_t(npan_m * kKC) * cb);
        const size_t wcb = qpanel_wide_chunk_bytes(kind);
        uint8_t* wwide = wide ? wbuf_wide.get(size_t((npan_m + 1) / 2 * kKC) * wcb) : nullptr;
        const char* am = c.a_mat(i2, i3);
        const size_t lda = s.a_nb[1];
        float* dm = c.d_mat(i2, i3);
        const uint8_t* ap = apack + size_t(batch * npan_n) * apanel_bytes;
        for (int64_t c0 = 0; c0 < nchunks; c0 += kKC) {
            const int64_t kc = std::min(kKC, nchunks - c0);
            for (int64_t p = 0; p < npan_m; p++) {
                const int64_t m = m0 + p * kQPanelRows;
                // interleaved weights (m a multiple of 8: one group) go straight into the panel
                if (s.a_repacked) repacked_to_panel(s.ta, am + size_t(m) * lda, c0, kc, wpack + size_t(p * kc) * cb);
                else unpack_panel(s.ta, kind, am + size_t(m) * lda, lda,
                                  int(std::min<int64_t>(kQPanelRows, m1 - m)), c0, kc, wpack + size_t(p * kc) * cb);
            }
            // The micro-kernel's weight operands: pairs of panels (16 rows), or with the wide kernel pairs
            // of wide panels (32 rows), each of kc chunks of tcb bytes.
            const uint8_t* tiles = wpack;
            size_t tcb = cb;
            if (wide) {
                for (int64_t p = 0; p < npan_m; p += 2)
                    widen_panels(kind, kc, wpack + size_t(p * kc) * cb, p + 1 < npan_m ? wpack + size_t((p + 1) * kc) * cb : nullptr,
                                 wwide + size_t(p / 2 * kc) * wcb);
                tiles = wwide, tcb = wcb;
            }
            const int64_t tile_rows = wide ? 2 * kQWideRows : 2 * kQPanelRows;
            const int64_t ntiles_m = (m1 - m0 + tile_rows / 2 - 1) / (tile_rows / 2);  // operands (half tiles)
            for (int64_t qb = q0; qb < q1; qb += kNC / kQActRows) {
                const int64_t qe = std::min(q1, qb + kNC / kQActRows);
                for (int64_t p = 0; p < ntiles_m; p += 2) {
                    const int64_t m = m0 + p * (tile_rows / 2);
                    const int mrows = int(std::min<int64_t>(tile_rows, m1 - m));
                    const uint8_t* w0 = tiles + size_t(p * kc) * tcb;
                    const uint8_t* w1 = p + 1 < ntiles_m ? w0 + size_t(kc) * tcb : nullptr;
                    for (int64_t q = qb; q < qe; q++) {
                        const int ncols = int(std::min<int64_t>(kQActRows, s.N - q * kQActRows));
                        (wide ? wide : gemm)(kind, kc, w0, w1, ap + size_t(q) * apanel_bytes + size_t(c0) * kQActChunkBytes,
                                             dm + q * kQActRows * int64_t(ldd) + m, int64_t(ldd), mrows, ncols, c0 > 0);
                    }
                }
            }
        }
    });
}

// Quantizes the activation rows (b) of s to type at; returns them, arow bytes apart.
const uint8_t* quantize_activations(const QMatMul& s, Type at, size_t arow, Bytes& buf, int nth) {
    const int64_t nbatch = s.b2 * s.b3, nrows = nbatch * s.N;
    uint8_t* act = buf.get(size_t(nrows) * arow);
    const bool contiguous = s.b_nb[0] == sizeof(float);
    auto row = [&](int64_t r, std::vector<float>& gathered) {
        const int64_t batch = r / s.N, n = r % s.N;
        const char* brow = s.b + size_t(batch % s.b2) * s.b_nb[2] + size_t(batch / s.b2) * s.b_nb[3] +
                           size_t(n) * s.b_nb[1];
        const float* x = reinterpret_cast<const float*>(brow);
        if (!contiguous) {
            gathered.resize(size_t(s.K));
            for (int64_t k = 0; k < s.K; k++) gathered[size_t(k)] = *reinterpret_cast<const float*>(brow + size_t(k) * s.b_nb[0]);
            x = gathered.data();
        }
        quantize_act(at, x, act + size_t(r) * arow, s.K);
    };
    if (nrows == 1 || nth == 1) {  // decode: no OpenMP region for one row (see for_each_row)
        thread_local std::vector<float> gathered;
        for (int64_t r = 0; r < nrows; r++) row(r, gathered);
        return act;
    }
    const int qth = int(std::min<int64_t>(nth, nrows));
    ggml::parallel_run(qth, [&](int ith, int nt) {
        std::vector<float> gathered;
        for (int64_t r = nrows * ith / nt; r < nrows * (ith + 1) / nt; r++) row(r, gathered);
    });
    return act;
}

}  // namespace

void mul_mat_quant(const QMatMul* s, int count, int nth) {
    if (count <= 0) return;
    // Each product by itself (its results do not depend on the company it is computed in): decode below
    // kQGemmMinN activation rows where it has a multi-column kernel (interleaved weights), below
    // kQGemmMinNPlain otherwise. The decode products share one pass, the others go one at a time.
    auto decodes = [&](const QMatMul& m) {
        const bool multi = m.a_repacked && quant_dot_table().dot_r8_cols[int(m.ta)] != nullptr;
        return m.N < (multi ? kQGemmMinN : kQGemmMinNPlain);
    };
    int ndecode = 0;
    for (int p = 0; p < count; p++) ndecode += decodes(s[p]);
    const bool decode = ndecode > 0;
    // The activations quantized once per activation type the products need (Q8_0, Q8_1, Q8_K: at most
    // three), and at decode the Q8_0 rows' aux made once for all the products that read them.
    constexpr int kActTypes = 3;
    thread_local Bytes qbuf[kActTypes];
    thread_local std::vector<QActAux> auxbuf;
    thread_local Bytes panelbuf[kActTypes];
    const uint8_t* panels[kActTypes] = {};
    Type done[kActTypes];
    const uint8_t* acts[kActTypes] = {};
    const QActAux* auxs[kActTypes] = {};
    int ndone = 0;
    std::vector<Ctx> cs;
    cs.reserve(size_t(count));
    for (int p = 0; p < count; p++) {
        const Type at = quant_act_type(s[p].ta);
        const size_t arow = quant_row_size(at, s[p].K);
        int k = 0;
        while (k < ndone && done[k] != at) k++;
        if (k == ndone) {
            done[k] = at, acts[k] = quantize_activations(s[p], at, arow, qbuf[k], nth), ndone++;
            if (decode && at == Type::Q8_0) {  // one activation type per buffer: only Q8_0 has an aux
                const int64_t rows = s[p].b2 * s[p].b3 * s[p].N, nb = s[p].K / QK8_0;
                auxbuf.resize(size_t(rows * nb));
                for (int64_t r = 0; r < rows; r++) make_act_aux(acts[k] + size_t(r) * arow, s[p].K, auxbuf.data() + r * nb);
                auxs[k] = auxbuf.data();
            }
        }
        {
            const QuantDotTable& tab = quant_dot_table();
            if (!panels[k] && decodes(s[p]) && s[p].N > 1 && s[p].a_repacked && tab.r8_cols > 0 && (at == Type::Q8_0 || at == Type::Q8_K)) {
                // the column panels of the multi-column kernels, made once for all the products that read them
                const int64_t nbatch = s[p].b2 * s[p].b3;
                const size_t col = r8_act_panel_bytes(at, s[p].K, 1);
                uint8_t* pp = panelbuf[k].get(size_t(nbatch * s[p].N) * col);
                for (int64_t b = 0; b < nbatch; b++)
                    for (int64_t q = 0, np = r8_passes(s[p].N, tab.r8_cols); q < np; q++) {
                        int64_t c0, c1;
                        r8_pass(s[p].N, tab.r8_cols, q, &c0, &c1);
                        pack_r8_act_panel(at, s[p].K, acts[k] + size_t(b * s[p].N + c0) * arow, arow, int(c1 - c0),
                                          pp + size_t(b * s[p].N + c0) * col);
                    }
                panels[k] = pp;
            }
        }
        cs.push_back(Ctx{s[p], at, arow, acts[k], auxs[k], panels[k], panels[k] ? r8_act_panel_bytes(at, s[p].K, 1) : 0});
    }
    if (ndecode == count) {
        decode_path(cs.data(), count, nth);
        return;
    }
    std::vector<Ctx> dec;
    for (int p = 0; p < count; p++) {
        if (decodes(s[p])) dec.push_back(cs[size_t(p)]);
        else prefill_path(cs[size_t(p)], nth);  // prefill: one product at a time
    }
    if (!dec.empty()) decode_path(dec.data(), int(dec.size()), nth);
}

}  // namespace ggml::cpu
