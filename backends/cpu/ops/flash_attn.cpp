// flash_attn: softmax(scale * q.k + mask) v per (query head, token), the scores never stored whole.
//
// Work is cut into jobs of (KV heads, block of tokens, range of cells). A job takes the query rows of every
// head that shares its KV head (grouped-query attention: the keys and values are read once for the whole
// group) for its tokens, and walks its cells in tiles of kTile:
//   * a tile whose cells the mask hides from every token of the job (causal future, outside a sliding
//     window) is skipped, and the tile is trimmed to the span of cells any of its tokens can see;
//   * scores S = K_tile . Q^T for all rows at once with the packed GEMM (gemm.h), which reads f32 / f16 /
//     bf16 keys in place; block-quantized keys (q8_0, q4_0, ...) are converted a tile at a time;
//   * an online-softmax update per row (running maximum M and sum L; the accumulator is rescaled by
//     exp(M_old - M_new) when the maximum grows), then P . V_tile into the accumulator, again one GEMM.
// A job of few rows (decode, short chunks) would leave the GEMM's panels mostly empty: it takes row
// kernels instead (keys sixteen at a time against all its rows, then each value row added into every row's
// accumulator), and asks for the rows of the next step ahead, since these kernels outrun the hardware
// prefetchers and the cache's bytes are what decode at depth waits for. It also takes every KV head of its
// cells, a step of cells at a time: the cache holds a cell's heads side by side, and a job of one head
// would use a quarter of each line it pulls from memory (four KV heads) while another job, later, pulls the
// same lines again. Decode has one token, so it cuts the cells into ranges, a job each, to keep the threads
// busy; each keeps its own (M, L, accumulator), and a merge rescales them to the largest M and sums them
// (flash decoding). A row whose mask hides every cell gives zeros.
// With several sequences in one cache (kv_start), a block of tokens never mixes sequences: its tokens
// share their cells, so the keys and values are still read once per job.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
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
// At most this many cells for a few-row job (whole tiles): a job's first step comes without its lines asked
// for ahead, so long jobs start cold less often (512 measured a few per cent slower at depth 32768).
constexpr int64_t kSplitCells = 2048;
constexpr int64_t kSplitCellsLong = 2048;  // the cells of a many-row job, where the heads give jobs enough
constexpr int64_t kFewRows = 16;         // rows up to which a job uses row kernels instead of the GEMM
// Cells per row-kernel step: two a tile, so that each kernel call's setup (the query rows laid out for the
// score kernel, the weights for the value kernel) is spread over more rows (32 measured slower at depth).
constexpr int64_t kStep = 64;

size_t elem_size(Type t) { return type_traits(t).block_bytes; }

// Whether the GEMM reads this tensor's rows (dimension 0 contiguous) without a conversion.
bool gemm_reads(const Tensor* t) {
    return (t->type == Type::F32 || t->type == Type::F16 || t->type == Type::BF16) && t->nb[0] == elem_size(t->type);
}

// The lines of the cells [c, c + n) of KV head h of a cache tensor, `bytes` of each. The few-row kernels
// outrun the hardware prefetchers on the cache, so each head's pass over a step asks for that head's rows of
// the step after it, a few lines at a time as it works: the memory reads overlap the arithmetic instead of
// following it.
PrefetchRows cells(const Tensor* t, const char* base, int64_t h, int64_t c, int64_t n, size_t bytes) {
    return {base + c * t->nb[1] + h * t->nb[2], t->nb[1], bytes, n};
}

// S[r * kTile + j] = K_j . q_r for n key rows (F32 / F16 / BF16, ldk bytes apart) and `rows` query rows:
// f32 and f16 keys sixteen at a time, converted once for every row, where the kernel exists; else 16-bit
// block dots, or the GEMM for f32 keys. The lines `ahead` are asked for on the way.
void scores_few_rows(Type kt, const char* krows, size_t ldk, int64_t n, const float* q, int64_t hd, int64_t rows,
                     float* s, const PrefetchRows& ahead) {
    int64_t j = 0;
    if (kt != Type::BF16 && hd % 16 == 0 && hd <= 256 && vec_dot_many_native()) {
        j = n / 16 * 16;
        if (j) vec_dot_rows16(kt, hd, krows, ldk, j, q, size_t(hd), int(rows), s, kTile, ahead);
    }
    if (!j) LinePrefetcher(ahead, 0).rest();
    if (j == n) return;
    if (kt == Type::F32) {
        gemm_tile(kt, krows + j * ldk, ldk, reinterpret_cast<const char*>(q), size_t(hd) * 4, 4, s + j, kTile, hd, 0,
                  n - j, 0, rows);
        return;
    }
    const auto* kc = reinterpret_cast<const uint16_t*>(krows);
    const size_t ldc = ldk / 2;
    const float* qr[kFewRows];
    for (int64_t r = 0; r < rows; r++) qr[r] = q + r * hd;
    vec_dot_block16(kt, hd, kc + j * ldc, ldc, int(n - j), qr, int(rows), s + j, kTile);
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
    std::vector<char> any;  // per head: whether the tile showed it a cell
    std::vector<char> biased;  // per token: whether its mask adds anything but zeros to the tile's cells
    std::vector<std::pair<int64_t, int64_t>> tiles;  // (first cell, cells) of each tile some token sees
    void size_for(const Shapes& sh, int64_t rows, int64_t heads) {
        any.resize(size_t(heads));
        biased.resize(size_t(rows));
        q.resize(size_t(heads * rows * sh.hd_k));
        s.resize(size_t(heads * rows * kTile));
        kt.resize(size_t(kTile * sh.hd_k));
        vt.resize(size_t(kTile * sh.hd_v));
        ot.resize(size_t(sh.hd_v * rows));
    }
};

// A job: KV heads [kvh, kvh_end), token block tb, cells [c_begin, c_end). Its rows
// r = (h - kvh) * nt * group + tt * group + g are head h * group + g at token t0 + tt (nt tokens in the
// block). `whole`: the job sees all the cells and writes the output itself.
struct Job {
    int64_t kvh, kvh_end, tb, c_begin, c_end;
    bool whole;
    int64_t rows(const Shapes& sh) const { return (kvh_end - kvh) * sh.blocks[size_t(tb)].second * sh.group; }
};

void run_job(const Shapes& sh, const Job& job, const RowState& st, Scratch& w) {
    const Tensor *q = sh.q, *k = sh.k, *v = sh.v, *mask = sh.mask;
    const int64_t c_begin = job.c_begin, c_end = job.c_end, G = sh.group;
    const int64_t t0 = sh.blocks[size_t(job.tb)].first, nt = sh.blocks[size_t(job.tb)].second;
    const int64_t rows = nt * G, heads = job.kvh_end - job.kvh;  // rows per KV head
    w.size_for(sh, rows, heads);
    for (int64_t h = 0; h < heads; h++)
        for (int64_t tt = 0; tt < nt; tt++)
            for (int64_t g = 0; g < G; g++)
                load_f32(Type::F32, row_ptr(q, t0 + tt, (job.kvh + h) * G + g, 0), q->nb[0], sh.hd_k,
                         &w.q[size_t((h * rows + tt * G + g) * sh.hd_k)]);
    // The scale goes into the query rows once, not into every tile's scores.
    vec_scale(heads * rows * sh.hd_k, w.q.data(), w.q.data(), sh.scale, 0.0f);
    for (int64_t r = 0; r < heads * rows; r++) {
        st.m[r] = -INFINITY;
        st.l[r] = 0.0f;
        std::fill(st.acc + r * sh.hd_v, st.acc + (r + 1) * sh.hd_v, 0.0f);
    }
    const int64_t first_cell = sh.kv_start ? sh.kv_start[t0] : 0;
    const char* kbase = static_cast<const char*>(k->data) + first_cell * k->nb[1];
    const char* vbase = static_cast<const char*>(v->data) + first_cell * v->nb[1];
    const size_t kbytes = row_size(k->type, sh.hd_k), vbytes = row_size(v->type, sh.hd_v);
    auto mask_row = [&](int64_t tt) {
        return mask ? reinterpret_cast<const float*>(row_ptr(mask, t0 + tt, 0, 0)) : nullptr;
    };
    auto q_of = [&](int64_t h) { return w.q.data() + h * rows * sh.hd_k; };
    auto state_of = [&](int64_t h) {
        return RowState{st.m + h * rows, st.l + h * rows, st.acc + h * rows * sh.hd_v};
    };
    // Rows [c, c + n) of head h of a cache tensor as F32 / F16 / BF16 rows the kernels read: in place, or
    // converted into `tmp`. Returns (rows, type, row stride).
    auto readable = [&](const Tensor* t, const char* base, int64_t h, int64_t c, int64_t n, int64_t hd,
                        std::vector<float>& tmp) {
        const char* p = base + h * t->nb[2] + c * t->nb[1];
        if (gemm_reads(t)) return std::make_tuple(p, t->type, t->nb[1]);
        for (int64_t j = 0; j < n; j++) load_f32(t->type, p + j * t->nb[1], t->nb[0], hd, &tmp[size_t(j * hd)]);
        return std::make_tuple(reinterpret_cast<const char*>(tmp.data()), Type::F32, size_t(hd) * 4);
    };

    // Online softmax of head h's rows over the tile's cells [c0, c0 + nj): its scores S become the weights P,
    // and M, L and the accumulators are rescaled where the maximum grows. Whether any row sees a cell.
    auto softmax = [&](int64_t h, int64_t c0, int64_t nj) {
        const RowState hs = state_of(h);
        bool any = false;
        for (int64_t tt = 0; tt < nt; tt++) {
            const float* mr = mask_row(tt);
            for (int64_t g = 0; g < G; g++) {
                const int64_t r = tt * G + g;
                float* s = &w.s[size_t((h * rows + r) * kTile)];
                // Hidden cells get -inf (the cache holds finite values: it starts zeroed), so exp gives 0.
                if (w.biased[size_t(tt)]) vec_add(nj, s, s, mr + c0);
                const float mx = vec_max(nj, s);
                if (mx == -INFINITY) {  // nothing of this tile for this row
                    std::fill(s, s + nj, 0.0f);
                    continue;
                }
                any = true;
                if (mx > hs.m[r]) {
                    const float alpha = hs.m[r] == -INFINITY ? 0.0f : std::exp(hs.m[r] - mx);
                    vec_scale(sh.hd_v, hs.acc + r * sh.hd_v, hs.acc + r * sh.hd_v, alpha, 0.0f);
                    hs.l[r] *= alpha;
                    hs.m[r] = mx;
                }
                hs.l[r] += vec_exp_sum(nj, s, s, hs.m[r]);
            }
        }
        return any;
    };

    // Few rows (decode, short chunks): too few to fill the GEMM's panels; row dots and row updates instead,
    // kStep cells at a time for all the job's heads, so that each step reads whole cache rows, one run of
    // memory. Each head's pass over a step asks for its part of the next step: the keys' steps, then the
    // values', then the next tile's keys (asked in the order the passes will need them).
    auto tile_few_rows = [&](int64_t c0, int64_t nj, int64_t c_next, int64_t nj_next) {
        const int64_t h0 = job.kvh;
        const int64_t steps = (nj + kStep - 1) / kStep;
        // The rows of head h that the passes read at position pos: this tile's key steps, its value steps, then
        // the next tile's key steps. Each pass over a step asks for the position after its own (asking two or
        // three ahead measured the same).
        auto rows_at = [&](int64_t h, int64_t pos) -> PrefetchRows {
            if (pos < 2 * steps) {
                const bool key = pos < steps;
                const int64_t j = (key ? pos : pos - steps) * kStep;
                return key ? cells(k, kbase, h0 + h, c0 + j, std::min(kStep, nj - j), kbytes)
                           : cells(v, vbase, h0 + h, c0 + j, std::min(kStep, nj - j), vbytes);
            }
            const int64_t j = (pos - 2 * steps) * kStep;
            if (j >= nj_next) return {};
            return cells(k, kbase, h0 + h, c_next + j, std::min(kStep, nj_next - j), kbytes);
        };
        for (int64_t j = 0; j < nj; j += kStep) {
            const int64_t n = std::min(kStep, nj - j);
            for (int64_t h = 0; h < heads; h++) {
                const PrefetchRows ahead = rows_at(h, j / kStep + 1);
                const auto [krows, kt, ldk] = readable(k, kbase, h0 + h, c0 + j, n, sh.hd_k, w.kt);
                scores_few_rows(kt, krows, ldk, n, q_of(h), sh.hd_k, rows, &w.s[size_t(h * rows * kTile + j)], ahead);
            }
        }
        bool some = false;
        for (int64_t h = 0; h < heads; h++) some |= w.any[size_t(h)] = softmax(h, c0, nj);
        if (!some) return;
        for (int64_t j = 0; j < nj; j += kStep) {
            const int64_t n = std::min(kStep, nj - j);
            for (int64_t h = 0; h < heads; h++) {
                const PrefetchRows ahead = rows_at(h, steps + j / kStep + 1);
                if (!w.any[size_t(h)]) {
                    LinePrefetcher(ahead, 0).rest();
                    continue;
                }
                const auto [vrows, vt, ldv] = readable(v, vbase, h0 + h, c0 + j, n, sh.hd_v, w.vt);
                vec_mad_rows(vt, sh.hd_v, vrows, ldv, n, &w.s[size_t(h * rows * kTile + j)], kTile, int(rows),
                             state_of(h).acc, size_t(sh.hd_v), ahead);
            }
        }
    };

    // Many rows (prefill): one head per job; the tile's scores and values through the packed GEMM.
    auto tile_gemm = [&](int64_t c0, int64_t nj) {
        const auto [krows, kt, ldk] = readable(k, kbase, job.kvh, c0, nj, sh.hd_k, w.kt);
        gemm_tile(kt, krows, ldk, reinterpret_cast<const char*>(q_of(0)), size_t(sh.hd_k) * 4, 4, w.s.data(), kTile,
                  sh.hd_k, 0, nj, 0, rows);
        if (!softmax(0, c0, nj)) return;
        // O^T[d][r] = sum_j V[c0 + j][d] P[r][j], added to the accumulators.
        const char* vrows = vbase + job.kvh * v->nb[2] + c0 * v->nb[1];
        size_t ldv = v->nb[0], ev = v->nb[1];
        if (v->type != Type::F32) {
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
    };

    std::vector<std::pair<int64_t, int64_t>>& seen = w.tiles;
    seen.clear();
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
        if (lo < hi) seen.push_back({j0 + lo, hi - lo});  // else hidden from every token of the job
    }
    for (size_t i = 0; i < seen.size(); i++) {
        const auto [c0, nj] = seen[i];
        // A mask of zeros over the tile (every cell visible: decode, and most of a causal prefill) adds
        // nothing: the tokens whose rows skip that pass over their scores.
        for (int64_t tt = 0; tt < nt; tt++) {
            const float* mr = mask_row(tt);
            w.biased[size_t(tt)] = mr && std::any_of(mr + c0, mr + c0 + nj, [](float x) { return x != 0.0f; });
        }
        const auto [c_next, nj_next] = i + 1 < seen.size() ? seen[i + 1] : std::pair<int64_t, int64_t>(c_end, 0);
        if (rows <= kFewRows) tile_few_rows(c0, nj, c_next, nj_next);
        else tile_gemm(c0, nj);
    }
    if (job.whole) {  // the job saw every cell: normalise into the output
        for (int64_t r = 0; r < heads * rows; r++) {
            const int64_t h = r / rows, tt = r % rows / G, g = r % G;
            float* out = f32_row(sh.dst, (job.kvh + h) * G + g, t0 + tt, 0);
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
    // Jobs. A many-row block takes a job per KV head (over long contexts, per range of kSplitCellsLong cells);
    // a few-row block takes all its KV heads per job and cuts the cells into ranges enough for the threads
    // (flash decoding), merged afterwards. The ranges depend only on the number of cells and threads.
    const int64_t n_blocks = int64_t(sh.blocks.size());
    std::vector<Job> jobs;
    std::vector<std::pair<int64_t, int64_t>> merges;  // (first job, ranges) of each split job
    auto add_jobs = [&](int64_t kvh, int64_t kvh_end, int64_t tb, int64_t split) {
        const int64_t ranges = (sh.n_kv + split - 1) / split;
        if (ranges <= 1) return jobs.push_back({kvh, kvh_end, tb, 0, sh.n_kv, true});
        merges.push_back({int64_t(jobs.size()), ranges});
        for (int64_t c = 0; c < sh.n_kv; c += split) jobs.push_back({kvh, kvh_end, tb, c, std::min(sh.n_kv, c + split), false});
    };
    const int64_t per_thread = (sh.n_kv + 2 * ctx.n_threads - 1) / (2 * ctx.n_threads);  // two ranges a thread
    const int64_t few_split = std::clamp((per_thread + kTile - 1) / kTile * kTile, kTile, kSplitCells);
    for (int64_t tb = 0; tb < n_blocks; tb++) {
        if (sh.blocks[size_t(tb)].second * sh.group <= kFewRows) add_jobs(0, sh.n_kv_head, tb, few_split);
        else
            for (int64_t kvh = 0; kvh < sh.n_kv_head; kvh++) add_jobs(kvh, kvh + 1, tb, kSplitCellsLong);
    }
    const int64_t n_jobs = int64_t(jobs.size());
    int64_t rows_per_job = 0;
    for (const Job& j : jobs) rows_per_job = std::max(rows_per_job, j.rows(sh));

    // Each job's (M, L, accumulator) rows: job j's at state + j * rows_per_job * stride.
    const int64_t stride = sh.hd_v + 2;
    std::vector<float> state(size_t(n_jobs * rows_per_job * stride));
    auto state_of = [&](int64_t j) {
        float* p = state.data() + j * rows_per_job * stride;
        return RowState{p, p + rows_per_job, p + 2 * rows_per_job};
    };

    const int64_t work = sh.n_tok * sh.n_head * sh.n_kv * (sh.hd_k + sh.hd_v);
    const int nth = int(std::min<int64_t>(threads_for(work, ctx.n_threads), n_jobs));
    // Each thread keeps its scratch from call to call: a decode step's layers are short, and allocating
    // and zeroing the tile buffers for every call cost about as much as a sliding-window layer's arithmetic.
    auto scratch = []() -> Scratch& {
        thread_local Scratch w;
        return w;
    };
    if (nth <= 1) {
        for (int64_t j = 0; j < n_jobs; j++) run_job(sh, jobs[size_t(j)], state_of(j), scratch());
    } else {
        // Jobs differ in cost (a causal mask shows later tokens more cells): handed out one at a time.
        std::atomic<int64_t> next{0};
        ggml::parallel_run(nth, [&](int, int) {
            Scratch& w = scratch();
            for (int64_t j; (j = next.fetch_add(1, std::memory_order_relaxed)) < n_jobs;)
                run_job(sh, jobs[size_t(j)], state_of(j), w);
        });
    }

    // Merge the ranges of each row and normalise: out = sum_s e^(M_s - M) acc_s / sum_s e^(M_s - M) L_s.
    for (const auto& [first, ranges] : merges) {
        const Job& jb = jobs[size_t(first)];
        const int64_t t0 = sh.blocks[size_t(jb.tb)].first, rows = sh.blocks[size_t(jb.tb)].second * sh.group;
        for (int64_t r = 0; r < jb.rows(sh); r++) {
            const int64_t h = r / rows, tt = r % rows / sh.group, g = r % sh.group;
            float* out = f32_row(dst, (jb.kvh + h) * sh.group + g, t0 + tt, 0);
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
