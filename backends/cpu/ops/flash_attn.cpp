// flash_attn: softmax(scale * q.k + mask) v per (query head, token), the scores never stored whole.
//
// Work is cut into jobs of (KV head, block of tokens, range of cells). A job takes the query rows of every
// head that shares its KV head (grouped-query attention: the keys and values are read once for the whole
// group) for its tokens, and walks its cells in tiles of kTile:
//   * a tile whose cells the mask hides from every token of the job (causal future, outside a sliding
//     window) is skipped, and the tile is trimmed to the span of cells any of its tokens can see;
//   * scores S = K_tile . Q^T for all rows at once with the packed GEMM (gemm.h), which reads f32 / f16 /
//     bf16 keys in place; block-quantized keys (q8_0, q4_0, ...) are converted a tile at a time;
//   * an online-softmax update per row (running maximum M and sum L; the accumulator is rescaled by
//     exp(M_old - M_new) when the maximum grows), then P . V_tile into the accumulator, again one GEMM.
// A job of few rows (decode, short chunks) would leave the GEMM's panels mostly empty: it takes row
// kernels instead (sixteen keys against all its rows at once, then each value row added into every row's
// accumulator), and asks for the rows of the next step ahead, since these kernels outrun the hardware
// prefetchers and the cache's bytes are what decode at depth waits for.
// Decode has one token, so a job per KV head leaves threads idle on models with few KV heads: few-row
// jobs take the cells in fixed ranges, each keeps its own (M, L, accumulator), and a merge rescales them
// to the largest M and sums them (flash decoding). A row whose mask hides every cell gives zeros.
// With several sequences in one cache (kv_start), a block of tokens never mixes sequences: its tokens
// share their cells, so the keys and values are still read once per job.
#include <cmath>
#include <stdexcept>
#include <string>
#include <cstring>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {
namespace {

constexpr int64_t kTile = 128;       // cells per online-softmax step
// Query rows (heads of a group x tokens) a job aims for. Each tile's K, S and V are packed once per job, so
// more rows spread that cost over more products, and 128 rows fill the GEMM's 12-column panels (64 left a
// tenth of them empty).
constexpr int64_t kRowsPerJob = 128;
constexpr int64_t kSplitCells = 512;       // a range of cells for a job (whole tiles) ...
constexpr int64_t kSplitCellsLong = 2048;  // ... or where there are jobs enough
constexpr int64_t kFewRows = 16;         // rows up to which a job uses row kernels instead of the GEMM
constexpr int64_t kStep = 32;            // value rows per row-kernel step

size_t elem_size(Type t) { return type_traits(t).block_bytes; }

// Whether the GEMM reads this tensor's rows (dimension 0 contiguous) without a conversion.
bool gemm_reads(const Tensor* t) {
    return (t->type == Type::F32 || t->type == Type::F16 || t->type == Type::BF16) && t->nb[0] == elem_size(t->type);
}

// Requests n rows of `bytes` bytes, `stride` apart, into L2. The row kernels below outrun the hardware
// prefetchers on the cache's rows, so each step asks for rows it will need a step later, and the memory
// reads overlap the arithmetic instead of following it.
void prefetch_rows(const char* p, size_t stride, int64_t n, size_t bytes) {
    for (int64_t i = 0; i < n; i++)
        for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + size_t(i) * stride + o, 0, 2);
}

// S[r * kTile + j] = K_j . q_r for nj 16-bit key rows (F16 / BF16, ldk bytes apart) and `rows` query rows:
// sixteen keys at a time converted once for every row where the kernel exists, else 16-bit block dots.
// Meanwhile the tile's value rows (vrows, ldv apart, vbytes each) are requested.
void scores_few_rows(Type kt, const char* krows, size_t ldk, int64_t nj, const float* q, int64_t hd, int64_t rows,
                     float* s, const char* vrows, size_t ldv, size_t vbytes) {
    const auto* kc = reinterpret_cast<const uint16_t*>(krows);
    const size_t ldc = ldk / 2;
    int64_t j = 0;
    if (kt == Type::F16 && hd % 16 == 0 && hd <= 256 && vec_dot_many_native())
        for (; j + 16 <= nj; j += 16) {
            prefetch_rows(vrows + j * ldv, ldv, 16, vbytes);
            vec_dot_f16_rows16(hd, kc + j * ldc, ldc, q, size_t(hd), int(rows), s + j, kTile);
        }
    if (j == nj) return;
    prefetch_rows(vrows + j * ldv, ldv, nj - j, vbytes);
    const float* qr[kFewRows];
    for (int64_t r = 0; r < rows; r++) qr[r] = q + r * hd;
    vec_dot_block16(kt, hd, kc + j * ldc, ldc, int(nj - j), qr, int(rows), s + j, kTile);
}

struct Shapes {
    const Tensor *q, *k, *v, *mask;
    const int32_t* kv_start;  // per token, or null: every token's cells start at 0
    Tensor* dst;
    float scale;
    int64_t hd_k, hd_v, n_kv, n_head, n_tok, group, n_kv_head;
    int64_t tok_per_job;
    std::vector<std::pair<int64_t, int64_t>> blocks;  // (first token, tokens): at most tok_per_job sharing cells
};

// One job's running state per row: maximum, sum, and the accumulator (hd_v floats).
struct RowState {
    float* m;
    float* l;
    float* acc;
};

struct Scratch {
    std::vector<float> q, s, kt, vt, ot;
    void size_for(const Shapes& sh, int64_t rows) {
        q.resize(size_t(rows * sh.hd_k));
        s.resize(size_t(rows * kTile));
        kt.resize(size_t(kTile * sh.hd_k));
        vt.resize(size_t(kTile * sh.hd_v));
        ot.resize(size_t(sh.hd_v * rows));
    }
};

// A job: KV head kvh, token block tb, cells [c_begin, c_end). Rows r = tt * group + g are head
// kvh * group + g at token t0 + tt. `whole`: the job sees all the cells and writes the output itself.
struct Job {
    int64_t kvh, tb, c_begin, c_end;
    bool whole;
};

void run_job(const Shapes& sh, const Job& job, const RowState& st, Scratch& w) {
    const Tensor *q = sh.q, *k = sh.k, *v = sh.v, *mask = sh.mask;
    const int64_t kvh = job.kvh, c_begin = job.c_begin, c_end = job.c_end;
    const int64_t t0 = sh.blocks[size_t(job.tb)].first, nt = sh.blocks[size_t(job.tb)].second;
    const int64_t rows = nt * sh.group, G = sh.group;
    w.size_for(sh, rows);
    for (int64_t tt = 0; tt < nt; tt++)
        for (int64_t g = 0; g < G; g++)
            load_f32(Type::F32, row_ptr(q, t0 + tt, kvh * G + g, 0), q->nb[0], sh.hd_k, &w.q[size_t((tt * G + g) * sh.hd_k)]);
    for (int64_t r = 0; r < rows; r++) {
        st.m[r] = -INFINITY;
        st.l[r] = 0.0f;
        std::fill(st.acc + r * sh.hd_v, st.acc + (r + 1) * sh.hd_v, 0.0f);
    }
    const int64_t first_cell = sh.kv_start ? sh.kv_start[t0] : 0;
    const char* kbase = static_cast<const char*>(k->data) + kvh * k->nb[2] + first_cell * k->nb[1];
    const char* vbase = static_cast<const char*>(v->data) + kvh * v->nb[2] + first_cell * v->nb[1];
    auto mask_row = [&](int64_t tt) {
        return mask ? reinterpret_cast<const float*>(row_ptr(mask, t0 + tt, 0, 0)) : nullptr;
    };
    const bool k_direct = gemm_reads(k), v_direct = v->type == Type::F32;
    // Decode and short chunks: too few rows to fill the GEMM's panels; row dots and row updates instead.
    const bool few_rows = rows <= kFewRows;

    for (int64_t j0 = c_begin; j0 < c_end; j0 += kTile) {
        int64_t lo = std::min(kTile, c_end - j0), hi = 0;  // cells [lo, hi) of the tile some token sees
        for (int64_t tt = 0; tt < nt; tt++) {
            const float* mr = mask_row(tt);
            const int64_t n = std::min(kTile, c_end - j0);
            if (!mr) {
                lo = 0, hi = n;
                break;
            }
            int64_t a = 0, b = n;
            while (a < b && mr[j0 + a] == -INFINITY) a++;
            while (b > a && mr[j0 + b - 1] == -INFINITY) b--;
            if (a < b) lo = std::min(lo, a), hi = std::max(hi, b);
        }
        if (lo >= hi) continue;  // hidden from every token of the job
        const int64_t c0 = j0 + lo, nj = hi - lo;

        // Scores: S[r][j] = K[c0 + j] . q_r.
        const char* krows = kbase + c0 * k->nb[1];
        Type kt = k->type;
        size_t ldk = k->nb[1];
        if (!k_direct) {
            for (int64_t j = 0; j < nj; j++)
                load_f32(k->type, krows + j * k->nb[1], k->nb[0], sh.hd_k, &w.kt[size_t(j * sh.hd_k)]);
            krows = reinterpret_cast<const char*>(w.kt.data()), kt = Type::F32, ldk = size_t(sh.hd_k) * 4;
        }
        if (few_rows && kt != Type::F32 && ldk % 2 == 0)
            scores_few_rows(kt, krows, ldk, nj, w.q.data(), sh.hd_k, rows, w.s.data(), vbase + c0 * v->nb[1], v->nb[1],
                            row_size(v->type, sh.hd_v));
        else
            gemm_tile(kt, krows, ldk, reinterpret_cast<const char*>(w.q.data()), size_t(sh.hd_k) * 4, 4, w.s.data(),
                      kTile, sh.hd_k, 0, nj, 0, rows);

        // Online softmax per row; S becomes the weights P.
        bool any = false;
        for (int64_t tt = 0; tt < nt; tt++) {
            const float* mr = mask_row(tt);
            for (int64_t g = 0; g < G; g++) {
                const int64_t r = tt * G + g;
                float* s = &w.s[size_t(r * kTile)];
                // Hidden cells get -inf (the cache holds finite values: it starts zeroed), so exp gives 0.
                vec_scale(nj, s, s, sh.scale, 0.0f);
                if (mr) vec_add(nj, s, s, mr + c0);
                const float mx = vec_max(nj, s);
                if (mx == -INFINITY) {  // nothing of this tile for this row
                    std::fill(s, s + nj, 0.0f);
                    continue;
                }
                any = true;
                if (mx > st.m[r]) {
                    const float alpha = st.m[r] == -INFINITY ? 0.0f : std::exp(st.m[r] - mx);
                    vec_scale(sh.hd_v, st.acc + r * sh.hd_v, st.acc + r * sh.hd_v, alpha, 0.0f);
                    st.l[r] *= alpha;
                    st.m[r] = mx;
                }
                st.l[r] += vec_exp_sum(nj, s, s, st.m[r]);
            }
        }
        if (!any) continue;

        // O^T[d][r] = sum_j V[c0 + j][d] P[r][j], added to the accumulators.
        const char* vrows = vbase + c0 * v->nb[1];
        if (few_rows) {  // straight into the accumulators, each value row read once for all rows
            Type vt = v->type;
            size_t ldv = v->nb[1];
            if (!gemm_reads(v)) {
                for (int64_t j = 0; j < nj; j++)
                    load_f32(v->type, vrows + j * v->nb[1], v->nb[0], sh.hd_v, &w.vt[size_t(j * sh.hd_v)]);
                vrows = reinterpret_cast<const char*>(w.vt.data()), vt = Type::F32, ldv = size_t(sh.hd_v) * 4;
            }
            // in steps, each asking for the next tile's key rows
            const int64_t next = j0 + kTile, n_next = std::max<int64_t>(0, std::min(kTile, c_end - next));
            for (int64_t j = 0; j < nj; j += kStep) {
                const int64_t n = std::min(kStep, nj - j);
                if (j < n_next)
                    prefetch_rows(kbase + (next + j) * k->nb[1], k->nb[1], std::min(kStep, n_next - j),
                                  row_size(k->type, sh.hd_k));
                vec_mad_rows(vt, sh.hd_v, vrows + j * ldv, ldv, n, w.s.data() + j, kTile, int(rows), st.acc,
                             size_t(sh.hd_v));
            }
            continue;
        }
        size_t ldv = v->nb[0], ev = v->nb[1];
        if (!v_direct) {
            for (int64_t j = 0; j < nj; j++)
                load_f32(v->type, vrows + j * v->nb[1], v->nb[0], sh.hd_v, &w.vt[size_t(j * sh.hd_v)]);
            vrows = reinterpret_cast<const char*>(w.vt.data()), ldv = 4, ev = size_t(sh.hd_v) * 4;
        }
        gemm_tile(Type::F32, reinterpret_cast<const char*>(w.s.data()), kTile * 4, vrows, ldv, ev, w.ot.data(), rows,
                  nj, 0, rows, 0, sh.hd_v);
        for (int64_t r = 0; r < rows; r++) {
            float* acc = st.acc + r * sh.hd_v;
            const float* o = w.ot.data() + r;
            for (int64_t d = 0; d < sh.hd_v; d++) acc[d] += o[d * rows];
        }
    }
    if (job.whole) {  // the job saw every cell: normalise into the output
        for (int64_t r = 0; r < rows; r++) {
            float* out = f32_row(sh.dst, kvh * G + r % G, t0 + r / G, 0);
            const float inv = st.l[r] > 0.0f ? 1.0f / st.l[r] : 0.0f;  // 0: every cell hidden, zeros
            const float* acc = st.acc + r * sh.hd_v;
            for (int64_t d = 0; d < sh.hd_v; d++) out[d] = acc[d] * inv;
        }
    }
}

}  // namespace

void op_flash_attn(Tensor* dst, const OpContext& ctx) {
    Shapes sh;
    sh.dst = dst;
    sh.q = dst->src[0], sh.k = dst->src[1], sh.v = dst->src[2], sh.mask = dst->src[3];
    sh.kv_start = dst->src[4] ? static_cast<const int32_t*>(dst->src[4]->data) : nullptr;
    sh.scale = dst->param<float>(0);
    sh.hd_k = sh.q->ne[0], sh.hd_v = sh.v->ne[0], sh.n_head = sh.q->ne[2], sh.n_tok = sh.q->ne[1];
    sh.n_kv = sh.kv_start ? sh.mask->ne[0] : sh.k->ne[1];
    sh.n_kv_head = sh.k->ne[2];
    sh.group = sh.n_head / sh.n_kv_head;
    sh.tok_per_job = std::max<int64_t>(1, std::min(sh.n_tok, kRowsPerJob / sh.group));
    for (int64_t t = 0; t < sh.n_tok; t++) {
        if (sh.kv_start && (sh.kv_start[t] < 0 || sh.kv_start[t] + sh.n_kv > sh.k->ne[1]))
            throw std::out_of_range("flash_attn: token " + std::to_string(t) + "'s cells from " + std::to_string(sh.kv_start[t]) +
                                    " pass the cache's " + std::to_string(sh.k->ne[1]));
        const bool joins = !sh.blocks.empty() && sh.blocks.back().second < sh.tok_per_job &&
                           (!sh.kv_start || sh.kv_start[t] == sh.kv_start[sh.blocks.back().first]);
        if (joins) sh.blocks.back().second++;
        else sh.blocks.push_back({t, 1});
    }
    // Jobs: each (block, KV head) over its cells in fixed ranges, merged afterwards (flash decoding): one
    // job per KV head would leave threads idle on models with few KV heads, at decode and in short chunks
    // at depth. The ranges depend only on the cells, the model and the thread count, so a token's result
    // is the same whatever else the op computes (other sequences in the batch).
    const int64_t n_blocks = int64_t(sh.blocks.size());
    std::vector<Job> jobs;
    std::vector<std::pair<int64_t, int64_t>> merges;  // (first job, ranges) of each split (block, KV head)
    for (int64_t tb = 0; tb < n_blocks; tb++) {
        // Few-row blocks: short ranges where the KV heads alone cannot keep the threads busy.
        const bool few = sh.blocks[size_t(tb)].second * sh.group <= kFewRows;
        const int64_t split = few && sh.n_kv_head < 2 * int64_t(ctx.n_threads) ? kSplitCells : kSplitCellsLong;
        const int64_t ranges = (sh.n_kv + split - 1) / split;
        for (int64_t kvh = 0; kvh < sh.n_kv_head; kvh++) {
            if (ranges <= 1) {
                jobs.push_back({kvh, tb, 0, sh.n_kv, true});
                continue;
            }
            merges.push_back({int64_t(jobs.size()), ranges});
            for (int64_t c = 0; c < sh.n_kv; c += split) jobs.push_back({kvh, tb, c, std::min(sh.n_kv, c + split), false});
        }
    }
    const int64_t n_jobs = int64_t(jobs.size());
    const int64_t rows_per_job = sh.tok_per_job * sh.group;

    // Each job's (M, L, accumulator) rows: job j's at state + j * rows_per_job * stride.
    const int64_t stride = sh.hd_v + 2;
    std::vector<float> state(size_t(n_jobs * rows_per_job * stride));
    auto state_of = [&](int64_t j) {
        float* p = state.data() + j * rows_per_job * stride;
        return RowState{p, p + rows_per_job, p + 2 * rows_per_job};
    };
    const int64_t work = sh.n_tok * sh.n_head * sh.n_kv * (sh.hd_k + sh.hd_v);
    const int nth = int(std::min<int64_t>(threads_for(work, ctx.n_threads), n_jobs));
    if (nth <= 1) {
        thread_local Scratch w;
        for (int64_t j = 0; j < n_jobs; j++) run_job(sh, jobs[size_t(j)], state_of(j), w);
    } else {
        // Jobs differ in cost (a causal mask shows later tokens more cells): handed out one at a time.
        std::atomic<int64_t> next{0};
        ggml::parallel_run(nth, [&](int, int) {
            Scratch w;
            for (int64_t j; (j = next.fetch_add(1, std::memory_order_relaxed)) < n_jobs;)
                run_job(sh, jobs[size_t(j)], state_of(j), w);
        });
    }

    // Merge the ranges of each row and normalise: out = sum_s e^(M_s - M) acc_s / sum_s e^(M_s - M) L_s.
    for (const auto& [first, ranges] : merges) {
        const Job& jb = jobs[size_t(first)];
        const int64_t t0 = sh.blocks[size_t(jb.tb)].first, nt = sh.blocks[size_t(jb.tb)].second;
        for (int64_t r = 0; r < nt * sh.group; r++) {
            const int64_t tt = r / sh.group, g = r % sh.group;
            float* out = f32_row(dst, jb.kvh * sh.group + g, t0 + tt, 0);
            float mx = -INFINITY;
            for (int64_t sp = 0; sp < ranges; sp++) mx = std::max(mx, state_of(first + sp).m[r]);
            std::fill(out, out + sh.hd_v, 0.0f);
            if (mx == -INFINITY) continue;  // every cell hidden: zeros
            float l = 0.0f;
            for (int64_t sp = 0; sp < ranges; sp++) {
                const RowState st = state_of(first + sp);
                if (st.m[r] == -INFINITY) continue;
                const float f = std::exp(st.m[r] - mx);
                l += f * st.l[r];
                const float* acc = st.acc + r * sh.hd_v;
                for (int64_t d = 0; d < sh.hd_v; d++) out[d] += f * acc[d];
            }
            const float inv = 1.0f / l;
            for (int64_t d = 0; d < sh.hd_v; d++) out[d] *= inv;
        }
    }
}

}  // namespace ggml::cpu
