// flash_attn: out[t][h] = sum_j softmax_j(scale * q[h][t].k[kvh][j] + mask[t][j]) v[kvh][j], the scores never
// written to global memory (CPU reference: backends/cpu/ops/flash_attn.cpp; GPU model: the Vulkan shader).
//
// A block of 4 warps takes R = 4 * NR query rows -- the heads of one KV head (grouped-query attention: the
// keys and values are read once for the group) times a block of tokens, row r owned by warp r % 4 -- and
// one range of cells, which it walks in tiles of 32 (a lane per cell):
//   1. each warp reads its rows' mask values for the tile; a tile hidden from every row is skipped;
//   2. the tile's keys and values go to shared memory as f32 (float types with any strides, or q8_0 /
//      q4_0 / q5_0 rows decoded by dequant.cuh);
//   3. scores scale * q.k + mask, then per row the online softmax: running maximum m, running sum l, the
//      accumulator (registers: row r, channels lane + 32 i) rescaled by exp(m_old - m_new);
//   4. weights times the tile's values into the accumulators.
// Decode and short chunks give too few blocks to fill the GPU: the cells are then split into ranges
// (flash decoding), each block writes its rows' (m, l, accumulator) to scratch, and a second kernel merges
// them: out = sum_s e^(m_s - M) acc_s / sum_s e^(m_s - M) l_s. A row whose mask hides every cell gives zeros.
// kv_start (per token, device memory): token t reads cells kv_start[t] + j for mask column j. Tokens of a
// block may belong to different sequences, so the block makes one pass over its cells per distinct start
// among its tokens, the other tokens' rows masked out during that pass (one pass without kv_start).
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "backends/cuda/common.cuh"
#include "backends/cuda/dequant.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kWarps = 4, kThreads = kWarps * kWarp;
constexpr int kTile = 32;  // cells per tile: one per lane

struct Params {
    TensorDesc q, k, v, dst;
    const char* mask;  // f32 rows of >= n_kv columns (contiguous), mask_nb1 bytes apart; null: no mask
    int64_t mask_nb1;
    const int32_t* kv_start;  // per token, or null: cells from 0
    float* part;              // null: write dst; else (m, l, acc[hd_v]) per (token, head, split)
    float scale;
    int hd_k, hd_v;
    int64_t n_tok, n_head, n_kv;
    int group;             // query heads per KV head
    int hb, bt, n_hg;      // a block's heads of the group, its tokens, head blocks per group
    int64_t split_cells;   // cells per split (whole tiles)
    int splits;
    int ldq, ldk, ldv;     // shared row strides (floats)
};

__host__ __device__ constexpr int round4(int x) { return (x + 3) & ~3; }

// Row r of a block: token t0 + r / hb, head kvh * group + hg * hb + r % hb. False past the tokens or the group.
__device__ __forceinline__ bool row_of(const Params& p, int r, int64_t t0, int64_t hg, int kvh, int64_t* t, int64_t* h) {
    const int tt = r / p.hb, i = r % p.hb;
    const int64_t g = hg * p.hb + i;
    *t = t0 + tt;
    *h = int64_t(kvh) * p.group + g;
    return tt < p.bt && *t < p.n_tok && g < p.group;
}

// Rows c of a tile (cells cell0 + c, the first nc of them wanted) to dst[c * ld + d], in chunks of 8
// elements (rows whose elements are adjacent, hd % 8 == 0). Rows not wanted or outside the cache are zeros.
template <uint32_t T>
__device__ void load_chunks(const TensorDesc& t, const char* base, int64_t cell0, int nc, int hd, float* dst, int ld) {
    const int cpr = hd / 8;
    for (int e = threadIdx.x; e < kTile * cpr; e += kThreads) {
        const int c = e / cpr, i = (e % cpr) * 8;
        const int64_t cell = cell0 + c;
        float x[8];
        if (c < nc && cell >= 0 && cell < t.ne[1]) {
            dequant8<T>(base + cell * t.nb[1], i, x);
        } else {
#pragma unroll
            for (int j = 0; j < 8; j++) x[j] = 0.0f;
        }
        float4* o = reinterpret_cast<float4*>(dst + c * ld + i);  // ld and i multiples of 4
        o[0] = make_float4(x[0], x[1], x[2], x[3]);
        o[1] = make_float4(x[4], x[5], x[6], x[7]);
    }
}

// The same one element at a time for float types with any strides; columns hd .. cols-1 are zeros. The
// transposed value cache (cells adjacent) is read with neighbouring threads on neighbouring cells.
__device__ void load_elems(const TensorDesc& t, const char* base, int64_t cell0, int nc, int hd, int cols, float* dst, int ld) {
    const bool cells_fast = t.nb[1] < t.nb[0];
    for (int e = threadIdx.x; e < kTile * cols; e += kThreads) {
        const int c = cells_fast ? e % kTile : e / cols, d = cells_fast ? e / kTile : e % cols;
        const int64_t cell = cell0 + c;
        float x = 0.0f;
        if (d < hd && c < nc && cell >= 0 && cell < t.ne[1]) x = load_float(t.type, base + cell * t.nb[1] + d * t.nb[0]);
        dst[c * ld + d] = x;
    }
}

// A tile of KV head kvh of k or v into shared memory as f32 (cols >= hd columns written; see above).
__device__ void load_tile(const TensorDesc& t, int kvh, int64_t cell0, int nc, int hd, int cols, float* dst, int ld) {
    const char* base = t.data + kvh * t.nb[2];
    const uint32_t ty = t.type;
    const bool blocks = ty == kTypeQ8_0 || ty == kTypeQ4_0 || ty == kTypeQ5_0;  // nb[0] is the block's bytes
    if (hd % 8 == 0 && (blocks || t.nb[0] == (ty == kTypeF32 ? 4 : 2))) {
        switch (ty) {
        case kTypeF32: load_chunks<kTypeF32>(t, base, cell0, nc, hd, dst, ld); return;
        case kTypeF16: load_chunks<kTypeF16>(t, base, cell0, nc, hd, dst, ld); return;
        case kTypeBF16: load_chunks<kTypeBF16>(t, base, cell0, nc, hd, dst, ld); return;
        case kTypeQ8_0: load_chunks<kTypeQ8_0>(t, base, cell0, nc, hd, dst, ld); return;
        case kTypeQ4_0: load_chunks<kTypeQ4_0>(t, base, cell0, nc, hd, dst, ld); return;
        case kTypeQ5_0: load_chunks<kTypeQ5_0>(t, base, cell0, nc, hd, dst, ld); return;
        default: break;
        }
    }
    load_elems(t, base, cell0, nc, hd, cols, dst, ld);
}

// NR rows per warp; DV >= hd_v (channels per row: DV / 32 per lane). Grid: (token block x head block,
// split, KV head). Shared: queries [R][ldq], keys [32][ldk], values [32][ldv], weights [R][32], starts [R].
template <int NR, int DV>
__global__ void __launch_bounds__(kThreads) flash_attn_kernel(const Params p) {
    constexpr int R = kWarps * NR, NV = DV / kWarp;
    GGML_CUDA_DYNAMIC_SHARED(float4, smem4);  // float4: 16-byte aligned for the vector accesses
    float* qs = reinterpret_cast<float*>(smem4);
    float* ks = qs + R * p.ldq;
    float* vs = ks + kTile * p.ldk;
    float* ps = vs + kTile * p.ldv;
    int* starts = reinterpret_cast<int*>(ps + R * kTile);

    const int tid = threadIdx.x, lane = tid % kWarp, warp = tid / kWarp;
    const int64_t hg = blockIdx.x % p.n_hg, t0 = int64_t(blockIdx.x / p.n_hg) * p.bt;
    const int split = blockIdx.y, kvh = blockIdx.z;
    const int hd4 = round4(p.hd_k);

    // Queries (zero past hd_k and in rows past the tokens or the group: they dot to 0, nothing NaN).
    for (int e = tid; e < R * p.ldq; e += kThreads) {
        const int r = e / p.ldq, d = e % p.ldq;
        int64_t t, h;
        float x = 0.0f;
        if (d < p.hd_k && row_of(p, r, t0, hg, kvh, &t, &h)) x = *reinterpret_cast<const float*>(p.q.at(d, t, h, 0));
        qs[e] = x;
    }
    if (tid < p.bt) starts[tid] = p.kv_start && t0 + tid < p.n_tok ? p.kv_start[t0 + tid] : 0;

    int tok[NR];  // this thread's rows warp + 4 i: the token's index in the block, -1 for no row
#pragma unroll
    for (int i = 0; i < NR; i++) {
        int64_t t, h;
        tok[i] = row_of(p, warp + kWarps * i, t0, hg, kvh, &t, &h) ? int(t - t0) : -1;
    }
    float m[NR], l[NR], acc[NR][NV];
#pragma unroll
    for (int i = 0; i < NR; i++) {
        m[i] = -INFINITY, l[i] = 0.0f;
#pragma unroll
        for (int j = 0; j < NV; j++) acc[i][j] = 0.0f;
    }
    const int64_t c_begin = split * p.split_cells, c_end = min(p.n_kv, c_begin + p.split_cells);
    __syncthreads();

    // One pass per distinct start among the block's tokens, in token order (uniform over the block).
    for (int lead = 0; lead < p.bt && t0 + lead < p.n_tok; lead++) {
        const int s = starts[lead];
        bool first = true;
        for (int x = 0; x < lead; x++) first = first && starts[x] != s;
        if (!first) continue;
        unsigned active = 0;  // bit i: row i reads this pass's cells
#pragma unroll
        for (int i = 0; i < NR; i++)
            if (tok[i] >= 0 && starts[tok[i]] == s) active |= 1u << i;

        for (int64_t j0 = c_begin; j0 < c_end; j0 += kTile) {
            const int nc = int(min(int64_t(kTile), c_end - j0));
            // 1. mask values of lane's cell; -inf for rows not in this pass and past the range.
            float mv[NR];
            bool open = false;
#pragma unroll
            for (int i = 0; i < NR; i++) {
                float x = -INFINITY;
                if ((active >> i & 1u) && lane < nc)
                    x = p.mask ? reinterpret_cast<const float*>(p.mask + (t0 + tok[i]) * p.mask_nb1)[j0 + lane] : 0.0f;
                mv[i] = x;
                open = open || x != -INFINITY;
            }
            // Also orders the previous tile's readers of ks / vs before the writes below.
            if (!__syncthreads_or(open)) continue;

            // 2. keys and values (zeros past nc: the values' zeros keep hidden cells' weights 0 * 0).
            load_tile(p.k, kvh, s + j0, nc, p.hd_k, hd4, ks, p.ldk);
            load_tile(p.v, kvh, s + j0, nc, p.hd_v, p.hd_v, vs, p.ldv);
            __syncthreads();

            // 3. scores of lane's cell for the warp's rows, then the online softmax per row.
            float dot[NR];
#pragma unroll
            for (int i = 0; i < NR; i++) dot[i] = 0.0f;
            const float* kr = ks + lane * p.ldk;
            for (int d = 0; d < hd4; d += 4) {
                const float4 kv = *reinterpret_cast<const float4*>(kr + d);
#pragma unroll
                for (int i = 0; i < NR; i++) {
                    const float4 qv = *reinterpret_cast<const float4*>(qs + (warp + kWarps * i) * p.ldq + d);
                    dot[i] = fmaf(qv.x, kv.x, dot[i]);
                    dot[i] = fmaf(qv.y, kv.y, dot[i]);
                    dot[i] = fmaf(qv.z, kv.z, dot[i]);
                    dot[i] = fmaf(qv.w, kv.w, dot[i]);
                }
            }
#pragma unroll
            for (int i = 0; i < NR; i++) {
                const float sc = mv[i] == -INFINITY ? -INFINITY : dot[i] * p.scale + mv[i];
                const float mx = warp_max(sc);
                float w = 0.0f;
                if (mx != -INFINITY) {  // uniform over the warp: the row sees some cell of the tile
                    const float mn = fmaxf(m[i], mx);
                    const float alpha = m[i] == -INFINITY ? 0.0f : expf(m[i] - mn);
                    w = expf(sc - mn);
                    l[i] = l[i] * alpha + warp_sum(w);
                    m[i] = mn;
#pragma unroll
                    for (int j = 0; j < NV; j++) acc[i][j] *= alpha;
                }
                ps[(warp + kWarps * i) * kTile + lane] = w;
            }
            __syncwarp();  // the warp's weights, written by its lanes, read by all of them

            // 4. acc[i][j] += sum_c w[row i][c] v[c][lane + 32 j]
            for (int c = 0; c < kTile; c += 4) {
                float4 w[NR];
#pragma unroll
                for (int i = 0; i < NR; i++) w[i] = *reinterpret_cast<const float4*>(ps + (warp + kWarps * i) * kTile + c);
#pragma unroll
                for (int j = 0; j < NV; j++) {
                    if (j * kWarp >= p.hd_v) break;
                    const float* vc = vs + c * p.ldv + lane + kWarp * j;  // ldv > DV: in bounds past hd_v
                    const float v0 = vc[0], v1 = vc[p.ldv], v2 = vc[2 * p.ldv], v3 = vc[3 * p.ldv];
#pragma unroll
                    for (int i = 0; i < NR; i++) {
                        acc[i][j] = fmaf(w[i].x, v0, acc[i][j]);
                        acc[i][j] = fmaf(w[i].y, v1, acc[i][j]);
                        acc[i][j] = fmaf(w[i].z, v2, acc[i][j]);
                        acc[i][j] = fmaf(w[i].w, v3, acc[i][j]);
                    }
                }
            }
        }
    }

    // The rows' results: normalised into dst, or this split's state for the merge.
#pragma unroll
    for (int i = 0; i < NR; i++) {
        int64_t t, h;
        if (!row_of(p, warp + kWarps * i, t0, hg, kvh, &t, &h)) continue;
        if (!p.part) {
            const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;  // 0: every cell hidden, zeros
#pragma unroll
            for (int j = 0; j < NV; j++) {
                const int d = lane + kWarp * j;
                if (d < p.hd_v) *reinterpret_cast<float*>(p.dst.at(d, h, t, 0)) = acc[i][j] * inv;
            }
        } else {
            float* st = p.part + ((t * p.n_head + h) * p.splits + split) * (p.hd_v + 2);
            if (lane == 0) st[0] = m[i], st[1] = l[i];
#pragma unroll
            for (int j = 0; j < NV; j++) {
                const int d = lane + kWarp * j;
                if (d < p.hd_v) st[2 + d] = acc[i][j];
            }
        }
    }
}

// One block per (token, head): the splits' states rescaled to the largest maximum and summed.
__global__ void flash_attn_merge(const float* part, TensorDesc dst, int hd_v, int64_t n_head, int splits) {
    const int64_t row = blockIdx.x, t = row / n_head, h = row % n_head;
    const int64_t stride = hd_v + 2;
    const float* st = part + row * splits * stride;
    float mx = -INFINITY;
    for (int s = 0; s < splits; s++) mx = fmaxf(mx, st[s * stride]);
    for (int d = threadIdx.x; d < hd_v; d += blockDim.x) {
        float o = 0.0f, l = 0.0f;
        if (mx != -INFINITY) {  // else every cell hidden: zeros
            for (int s = 0; s < splits; s++) {
                const float ms = st[s * stride];
                if (ms == -INFINITY) continue;
                const float f = expf(ms - mx);
                l += f * st[s * stride + 1];
                o += f * st[s * stride + 2 + d];
            }
            o *= 1.0f / l;
        }
        *reinterpret_cast<float*>(dst.at(d, h, t, 0)) = o;
    }
}

// Shared memory of a block of `rows` rows, and its row strides. Rows float4-aligned; the keys' stride an
// odd number of float4s, so that lanes reading float4s of consecutive cells hit different banks; the
// values' padded past DV (lanes read channels up to DV).
size_t shared_layout(int rows, int hd_k, int dv, int* ldq, int* ldk, int* ldv) {
    *ldq = round4(hd_k);
    *ldk = round4(hd_k);
    if ((*ldk / 4) % 2 == 0) *ldk += 4;
    *ldv = dv + 4;
    return (size_t(rows) * *ldq + size_t(kTile) * *ldk + size_t(kTile) * *ldv + size_t(rows) * kTile) * sizeof(float) +
           size_t(rows) * sizeof(int);
}
// The most a kernel asks for: keys up to 256 long, but only up to 128 with 8 rows a warp (op_flash_attn).
size_t max_shmem(int nr, int dv) {
    int ldq, ldk, ldv;
    return shared_layout(kWarps * nr, nr == 8 ? 128 : int(kFlashAttnMaxHead), dv, &ldq, &ldk, &ldv);
}

// Above 48 KiB of shared memory a kernel must opt in, once per device: to the most any launch of it asks
// for (kept under 99 KiB, every target's limit). Done at its first launch on the device, which is never
// inside a graph capture (the backend captures a piece only the second time it runs).
template <int NR, int DV>
void launch(const Params& p, dim3 grid, size_t shmem, cudaStream_t stream) {
    static std::atomic<uint64_t> raised{0};  // bit d: done on device d
    int dev = 0;
    if (shmem > 48 * 1024 && cudaGetDevice(&dev) == cudaSuccess && dev < 64 && !(raised.load() >> dev & 1u)) {
        const cudaError_t e = cudaFuncSetAttribute(flash_attn_kernel<NR, DV>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                   int(max_shmem(NR, DV)));
        if (e != cudaSuccess) throw std::runtime_error(std::string("cuda flash_attn: ") + cudaGetErrorString(e));
        raised.fetch_or(uint64_t(1) << dev);
    }
    launch_kernel(flash_attn_kernel<NR, DV>, grid, kThreads, shmem, stream, p);
}

template <int DV>
void launch_nr(int nr, const Params& p, dim3 grid, size_t shmem, cudaStream_t stream) {
    switch (nr) {
    case 1: launch<1, DV>(p, grid, shmem, stream); return;
    case 2: launch<2, DV>(p, grid, shmem, stream); return;
    case 4: launch<4, DV>(p, grid, shmem, stream); return;
    default:
        if constexpr (DV <= 128) launch<8, DV>(p, grid, shmem, stream);  // NR 8 only for heads <= 128
        return;
    }
}

}  // namespace

void op_flash_attn(const OpContext& c, const Tensor* dst) {
    const Tensor *q = dst->src[0], *k = dst->src[1], *v = dst->src[2], *mask = dst->src[3], *kv_start = dst->src[4];
    Params p{};
    p.q = desc(q), p.k = desc(k), p.v = desc(v), p.dst = desc(dst);
    p.mask = mask ? static_cast<const char*>(mask->data) : nullptr;
    p.mask_nb1 = mask ? int64_t(mask->nb[1]) : 0;
    p.kv_start = kv_start ? static_cast<const int32_t*>(kv_start->data) : nullptr;
    p.scale = dst->param<float>(0);
    p.hd_k = int(q->ne[0]), p.hd_v = int(v->ne[0]);
    p.n_tok = q->ne[1], p.n_head = q->ne[2];
    p.n_kv = kv_start ? mask->ne[0] : k->ne[1];
    const int64_t n_kv_head = k->ne[2];
    p.group = int(p.n_head / n_kv_head);
    if (p.n_tok == 0 || p.n_head == 0 || p.hd_v == 0) return;
    if (p.hd_k > kFlashAttnMaxHead || p.hd_v > kFlashAttnMaxHead)
        throw std::invalid_argument("cuda flash_attn: head size above " + std::to_string(kFlashAttnMaxHead));

    // Rows per block: enough for the group's heads times the tokens, up to 32 (16 for heads over 128,
    // keeping shared memory under 99 KiB).
    const int64_t need = std::min<int64_t>(int64_t(p.group) * p.n_tok, 32);
    int nr = 1;
    while (kWarps * nr < need) nr *= 2;
    if (std::max(p.hd_k, p.hd_v) > 128) nr = std::min(nr, 4);
    const int rows = kWarps * nr;
    p.hb = std::min(p.group, rows);
    p.bt = rows / p.hb;
    p.n_hg = (p.group + p.hb - 1) / p.hb;
    const int64_t n_tb = (p.n_tok + p.bt - 1) / p.bt;
    const int dv = p.hd_v <= 64 ? 64 : p.hd_v <= 128 ? 128 : 256;

    // Too few blocks for the GPU: split the cells into ranges of whole tiles (flash decoding).
    const int64_t sms = std::max(1, c.sm_count);
    const int64_t n_tiles = std::max<int64_t>(1, (p.n_kv + kTile - 1) / kTile);
    const int64_t base = n_tb * p.n_hg * n_kv_head;
    int64_t splits = base < 2 * sms ? std::min(n_tiles, (4 * sms + base - 1) / base) : 1;
    const int64_t tiles_per_split = (n_tiles + splits - 1) / splits;
    splits = (n_tiles + tiles_per_split - 1) / tiles_per_split;
    p.split_cells = tiles_per_split * kTile;
    p.splits = int(splits);
    if (splits > 1)
        p.part = static_cast<float*>(c.scratch->get(size_t(p.n_tok * p.n_head * splits * (p.hd_v + 2)) * sizeof(float), c.stream));

    const size_t shmem = shared_layout(rows, p.hd_k, dv, &p.ldq, &p.ldk, &p.ldv);
    const dim3 grid(unsigned(n_tb * p.n_hg), unsigned(splits), unsigned(n_kv_head));
    switch (dv) {
    case 64: launch_nr<64>(nr, p, grid, shmem, c.stream); break;
    case 128: launch_nr<128>(nr, p, grid, shmem, c.stream); break;
    default: launch_nr<256>(nr, p, grid, shmem, c.stream); break;
    }
    check_launch("flash_attn");
    if (splits > 1) {
        launch_kernel(flash_attn_merge, unsigned(p.n_tok * p.n_head), 128, 0, c.stream, p.part, p.dst, p.hd_v, p.n_head, p.splits);
        check_launch("flash_attn");
    }
}

}  // namespace ggml::GIRAFFE_CUDA_NS
