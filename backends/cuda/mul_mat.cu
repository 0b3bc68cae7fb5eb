// mul_mat: dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k], a any weight type with
// contiguous rows (broadcast over dims 2 and 3: grouped-query attention), b f32 with any strides, dst f32.
// The block types multiply in integers, as the CPU's quantized products do: b's columns are first
// quantized to 8 bits per 32 values exactly as the CPU quantizes its Q8_0 activations (quantize_act, into
// scratch), and 32-element units of a's rows meet them in integer dot products, four byte products an
// instruction (quant_dot.cuh). The float types multiply in f32, or, with many columns of f16 / bf16
// weights, on the tensor cores with b split into 16-bit parts that keep f32's precision (mul_mat_mma).
//  - N <= 8 (decode): mul_mat_vec, memory-bound. A group of G lanes of a warp (G = 8, 16 or 32, as K
//    allows) takes one output row m: its lanes walk a's row side by side (units, or 8-element chunks of
//    the float types, decoded by dequant8), each keeping one sum per column of b, and the group's sums
//    meet by shuffles; lane n of the group writes column n. Templated on the weight type and on the column
//    count rounded up to 1, 2, 4 or 8.
//  - More columns: a 64 x 64 output tile per block (blockIdx = (m tile, n tile, batch)). mul_mat_tiled
//    (block types, f32), 256 threads: for each slice of K the threads bring a's and b's parts of it into
//    shared memory, decoded, then each accumulates a 4 x 4 register tile (rows tm + 16 i, columns
//    tn + 16 j: neighbouring threads read neighbouring shared words and write neighbouring dst).
//    mul_mat_mma (f16, bf16), 128 threads: each warp a 32 x 32 part in 16 x 16 fragments.
#include <algorithm>
#include <stdexcept>

#include "backends/cuda/common.cuh"
#include "backends/cuda/dequant.cuh"
#include "backends/cuda/quant_dot.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kVecThreads = 128, kVecMaxN = 8;
constexpr int kBM = 64, kBN = 64, kBK = 32, kTM = 4, kTN = 4, kPad = 1;
constexpr int kTileThreads = (kBM / kTM) * (kBN / kTN);  // 256
constexpr int kSU = kTileThreads / kBM;  // units of 32 values per K slice of the block types' tiles
constexpr int64_t kMaxGridYZ = 65535;
static_assert(kBM * kBK / 8 == kTileThreads, "one a chunk per thread");
static_assert(kBK * kBN / kTileThreads == 8 && kTileThreads % kBK == 0, "8 b elements per thread");

// a's matrix for b's batch (i2, i3): a's batches are broadcast over b's.
__device__ __forceinline__ const char* a_matrix(const TensorDesc& a, const TensorDesc& b, int64_t i2, int64_t i3) {
    return a.data + (i2 / (b.ne[2] / a.ne[2])) * a.nb[2] + (i3 / (b.ne[3] / a.ne[3])) * a.nb[3];
}

// Eight consecutive f32 values of b at p, element stride s bytes (one 32-byte load when contiguous and
// aligned: k is a multiple of 8, so the column start decides).
__device__ __forceinline__ void load_b8(const char* p, int64_t s, float v[8]) {
    if (s == 4 && (reinterpret_cast<uintptr_t>(p) & 15u) == 0) {
        const float4 x0 = reinterpret_cast<const float4*>(p)[0], x1 = reinterpret_cast<const float4*>(p)[1];
        v[0] = x0.x, v[1] = x0.y, v[2] = x0.z, v[3] = x0.w;
        v[4] = x1.x, v[5] = x1.y, v[6] = x1.z, v[7] = x1.w;
        return;
    }
#pragma unroll
    for (int j = 0; j < 8; j++) v[j] = *reinterpret_cast<const float*>(p + j * s);
}

// Sum over the `group` lanes (a power of two <= 32, aligned) that share a row; every lane of the group
// gets it. The whole warp takes part.
__device__ __forceinline__ float group_sum(float v, int group) {
    for (int o = group / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// b's columns as ActUnits, [i3][i2][n][unit] (units = K / 32): one thread per unit, the arithmetic of
// quantize_act_q8_0_ref operation for operation.
__global__ void quantize_act(TensorDesc b, ActUnit* act, int64_t units, int64_t total) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t u = i % units, col = i / units;
        const int64_t n = col % b.ne[1], batch = col / b.ne[1];
        const char* p = b.at(u * 32, n, batch % b.ne[2], batch / b.ne[2]);
        float x[32], amax = 0.0f;
#pragma unroll
        for (int j = 0; j < 32; j++) {
            x[j] = *reinterpret_cast<const float*>(p + j * b.nb[0]);
            amax = fmaxf(amax, fabsf(x[j]));
        }
        const float d = __fdiv_rn(amax, 127.0f), id = d != 0.0f ? __fdiv_rn(1.0f, d) : 0.0f;
        ActUnit r;
        r.sum[0] = r.sum[1] = 0;
#pragma unroll
        for (int w = 0; w < 8; w++) {
            uint32_t word = 0;
#pragma unroll
            for (int k = 0; k < 4; k++) {
                const int c = int(rintf(__fmul_rn(x[4 * w + k], id)));
                word |= (uint32_t(c) & 0xFFu) << (8 * k);
                r.sum[w / 4] += c;
            }
            r.q[w] = int(word);
        }
        r.d = __half2float(__float2half_rn(d));
        r.pad = 0;
        act[i] = r;
    }
}

// One lane's share of row arow against the N (<= NC) columns: a float type's 8-element chunks sub,
// sub + group, ... against b's columns (bmat), in f32.
template <uint32_t T, int NC>
__device__ __forceinline__ void row_sums_float(const char* arow, const TensorDesc& b, const char* bmat, int sub,
                                               int group, float (&acc)[NC]) {
    const int64_t K = b.ne[0], N = b.ne[1], chunks = K / 8;
    for (int64_t u = sub; u < chunks; u += group) {
        float x[8];
        dequant8<T>(arow, u * 8, x);
#pragma unroll
        for (int n = 0; n < NC; n++) {
            if (n < N) {
                float y[8];
                load_b8(bmat + n * b.nb[1] + u * 8 * b.nb[0], b.nb[0], y);
#pragma unroll
                for (int j = 0; j < 8; j++) acc[n] = fmaf(x[j], y[j], acc[n]);
            }
        }
    }
    for (int64_t k = chunks * 8 + sub; k < K; k += group) {  // the last K % 8
        const float x = load_float(T, arow + k * TypeInfo<T>::kBytes);
#pragma unroll
        for (int n = 0; n < NC; n++)
            if (n < N) acc[n] = fmaf(x, *reinterpret_cast<const float*>(bmat + n * b.nb[1] + k * b.nb[0]), acc[n]);
    }
}

// The same for a block type: 32-element units sub, sub + group, ... against the quantized columns (acol,
// [n][unit]) in integers (quant_dot.cuh).
template <uint32_t T, int NC>
__device__ __forceinline__ void row_sums_quant(const char* arow, const ActUnit* acol, int64_t units, int64_t N,
                                               int sub, int group, float (&acc)[NC]) {
    for (int64_t u = sub; u < units; u += group) {
        WeightUnit w;
        row_unit<T>(arow, u, w);
#pragma unroll
        for (int n = 0; n < NC; n++)
            if (n < N) acc[n] += unit_dot<T>(w, load_act(acol + n * units + u));
    }
}

// Few columns: NC >= N (b.ne1) sums per lane. One block: kVecThreads / group rows of one batch. act: the
// columns quantized (block types; null for the float types).
template <uint32_t T, int NC>
__global__ void __launch_bounds__(kVecThreads) mul_mat_vec(TensorDesc a, TensorDesc b, const ActUnit* act,
                                                           TensorDesc d, int group) {
    const int64_t M = a.ne[1], N = b.ne[1];
    const int sub = threadIdx.x % group;
    const int rows_per_block = kVecThreads / group;
    const int64_t m_blocks = (M + rows_per_block - 1) / rows_per_block;
    const int64_t total = m_blocks * b.ne[2] * b.ne[3];
    for (int64_t blk = blockIdx.x; blk < total; blk += gridDim.x) {  // uniform per block: shuffles stay whole
        const int64_t batch = blk / m_blocks, m = (blk % m_blocks) * rows_per_block + threadIdx.x / group;
        const int64_t i2 = batch % b.ne[2], i3 = batch / b.ne[2];
        float acc[NC];
#pragma unroll
        for (int n = 0; n < NC; n++) acc[n] = 0.0f;
        if (m < M) {
            const char* arow = a_matrix(a, b, i2, i3) + m * a.nb[1];
            if constexpr (TypeInfo<T>::kBlock > 1) {
                const int64_t units = a.ne[0] / 32;
                row_sums_quant<T>(arow, act + batch * N * units, units, N, sub, group, acc);
            } else {
                row_sums_float<T>(arow, b, b.data + i2 * b.nb[2] + i3 * b.nb[3], sub, group, acc);
            }
        }
#pragma unroll
        for (int n = 0; n < NC; n++) acc[n] = group_sum(acc[n], group);
        if (m < M) {
            char* drow = d.data + m * d.nb[0] + i2 * d.nb[2] + i3 * d.nb[3];
#pragma unroll
            for (int n = 0; n < NC; n++)  // lane n of the group writes column n (group >= 8 >= NC)
                if (n < N && n == sub) *reinterpret_cast<float*>(drow + n * d.nb[1]) = acc[n];
        }
    }
}

// Many columns, a float type: the 64 x 64 output tile at (m0, n0) of one batch (arow: this thread's row
// of a, lr = tid / 4; bmat: the batch's columns) into this thread's 4 x 4 register tile. For each 32-wide
// slice of K the threads decode a's 64 x 32 tile (one dequant8 each) and load b's 32 x 64 tile into
// shared memory, then each accumulates rows tm + 16 i, columns tn + 16 j (neighbouring threads read
// neighbouring shared words).
template <uint32_t T>
__device__ __forceinline__ void tile_sums_float(const char* arow, bool arow_ok, const TensorDesc& b, const char* bmat,
                                                int64_t n0, float (&acc)[kTM][kTN]) {
    __shared__ float as[kBK][kBM + kPad];  // as[k][m]
    __shared__ float bs[kBK][kBN + kPad];  // bs[k][n]
    const int tid = threadIdx.x;
    const int64_t K = b.ne[0], N = b.ne[1];
    // This thread's share of the a tile: chunk lu of the K slice; of the b tile: k offset lk, columns ln + 8 j.
    const int lr = tid / (kBK / 8), lu = tid % (kBK / 8);
    const int lk = tid % kBK, ln = tid / kBK;
    const int tm = tid % (kBM / kTM), tn = tid / (kBM / kTM);
    for (int64_t k0 = 0; k0 < K; k0 += kBK) {
        {  // a: 8 consecutive k of row lr, decoded (zeros past M or K)
            const int64_t k = k0 + lu * 8;
            float v[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            if (arow_ok) {
                if (k + 8 <= K) {
                    dequant8<T>(arow, k, v);
                } else {
#pragma unroll
                    for (int j = 0; j < 8; j++)
                        if (k + j < K) v[j] = load_float(T, arow + (k + j) * TypeInfo<T>::kBytes);
                }
            }
#pragma unroll
            for (int j = 0; j < 8; j++) as[lu * 8 + j][lr] = v[j];
        }
        {  // b: column n0 + ln + 8 j at k0 + lk (zeros past N or K)
            const int64_t k = k0 + lk;
#pragma unroll
            for (int j = 0; j < kBN / 8; j++) {
                const int64_t n = n0 + ln + 8 * j;
                float x = 0.0f;
                if (k < K && n < N) x = *reinterpret_cast<const float*>(bmat + n * b.nb[1] + k * b.nb[0]);
                bs[lk][ln + 8 * j] = x;
            }
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kBK; kk++) {
            float av[kTM], bv[kTN];
#pragma unroll
            for (int i = 0; i < kTM; i++) av[i] = as[kk][tm + (kBM / kTM) * i];
#pragma unroll
            for (int j = 0; j < kTN; j++) bv[j] = bs[kk][tn + (kBN / kTN) * j];
#pragma unroll
            for (int i = 0; i < kTM; i++)
#pragma unroll
                for (int j = 0; j < kTN; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();  // before the next slice overwrites the tiles
    }
}

// The same for a block type, in integers: for each slice of kSU units (32 values each) of K the threads
// decode a's 64 x kSU weight units and copy the columns' 64 x kSU quantized units (acol: the batch's,
// [n][unit]) into shared memory, one of each a thread (row and column lr = tid % 64, unit tid / 64), then
// each accumulates its 4 x 4 unit dots per unit (quant_dot.cuh).
template <uint32_t T>
__device__ __forceinline__ void tile_sums_quant(const char* amat, int64_t lda, int64_t M, const ActUnit* acol,
                                                int64_t N, int64_t units, int64_t m0, int64_t n0,
                                                float (&acc)[kTM][kTN]) {
    __shared__ WeightUnit ws[kSU][kBM];
    __shared__ ActUnit xs[kSU][kBN];
    const int tid = threadIdx.x;
    const int lr = tid % kBM, ls = tid / kBM;
    const int tm = tid % (kBM / kTM), tn = tid / (kBM / kTM);
    for (int64_t u0 = 0; u0 < units; u0 += kSU) {
        const int64_t u = u0 + ls;
        WeightUnit w = {};  // zeros past M or K
        if (m0 + lr < M && u < units) row_unit<T>(amat + (m0 + lr) * lda, u, w);
        ws[ls][lr] = w;
        ActUnit x = {};  // zeros past N or K
        if (n0 + lr < N && u < units) x = load_act(acol + (n0 + lr) * units + u);
        xs[ls][lr] = x;
        __syncthreads();
#pragma unroll 1
        for (int s = 0; s < kSU; s++) {
            ActUnit xv[kTN];
#pragma unroll
            for (int j = 0; j < kTN; j++) xv[j] = xs[s][tn + (kBN / kTN) * j];
#pragma unroll
            for (int i = 0; i < kTM; i++) {
                const WeightUnit wv = ws[s][tm + (kBM / kTM) * i];
#pragma unroll
                for (int j = 0; j < kTN; j++) acc[i][j] += unit_dot<T>(wv, xv[j]);
            }
        }
        __syncthreads();  // before the next slice overwrites the tiles
    }
}

// Many columns: one 64 x 64 tile of dst per block and loop step (blockIdx = (m tile, n tile, batch),
// grid-stride in y and z past 65535); act as mul_mat_vec's.
template <uint32_t T>
__global__ void __launch_bounds__(kTileThreads) mul_mat_tiled(TensorDesc a, TensorDesc b, const ActUnit* act,
                                                              TensorDesc d) {
    const int tid = threadIdx.x;
    const int64_t M = a.ne[1], N = b.ne[1], batches = b.ne[2] * b.ne[3];
    const int64_t n_tiles = (N + kBN - 1) / kBN;
    const int64_t m0 = int64_t(blockIdx.x) * kBM;
    const int tm = tid % (kBM / kTM), tn = tid / (kBM / kTM);
    for (int64_t batch = blockIdx.z; batch < batches; batch += gridDim.z) {
        const int64_t i2 = batch % b.ne[2], i3 = batch / b.ne[2];
        for (int64_t nt = blockIdx.y; nt < n_tiles; nt += gridDim.y) {
            const int64_t n0 = nt * kBN;
            float acc[kTM][kTN];
#pragma unroll
            for (int i = 0; i < kTM; i++)
#pragma unroll
                for (int j = 0; j < kTN; j++) acc[i][j] = 0.0f;
            if constexpr (TypeInfo<T>::kBlock > 1) {
                const int64_t units = a.ne[0] / 32;
                tile_sums_quant<T>(a_matrix(a, b, i2, i3), a.nb[1], M, act + batch * N * units, N, units, m0, n0, acc);
            } else {
                const int lr = tid / (kBK / 8);
                tile_sums_float<T>(a_matrix(a, b, i2, i3) + (m0 + lr) * a.nb[1], m0 + lr < M, b,
                                   b.data + i2 * b.nb[2] + i3 * b.nb[3], n0, acc);
            }
            char* dmat = d.data + i2 * d.nb[2] + i3 * d.nb[3];
#pragma unroll
            for (int j = 0; j < kTN; j++) {
                const int64_t n = n0 + tn + (kBN / kTN) * j;
                if (n >= N) continue;
#pragma unroll
                for (int i = 0; i < kTM; i++) {
                    const int64_t m = m0 + tm + (kBM / kTM) * i;
                    if (m < M) *reinterpret_cast<float*>(dmat + m * d.nb[0] + n * d.nb[1]) = acc[i][j];
                }
            }
        }
    }
}

// ---- f16 / bf16 weights, many columns: tensor cores (nvcuda::wmma) ----
// The weights are exact in their 16-bit type; b's columns are split into 16-bit parts that add up to them
// (f16: hi + lo, 22 bits of each value; bf16: hi + mid + lo, 24 bits), each part multiplied on the
// tensor cores with f32 sums, so the result is as precise as f32 arithmetic. Each column is first scaled by
// a power of two that brings its largest value into [2^13, 2^14) (f16's range; exact, undone on the way
// out).

template <uint32_t T> constexpr int kSplitParts = T == kTypeF16 ? 2 : 3;
constexpr int kMmaThreads = 128;              // four warps, each a 32 x 32 part of the 64 x 64 tile
constexpr int kMmaBK = 32;                    // K per slice
constexpr int kMmaLd = kMmaBK + 8;            // shared row length: a multiple of 8 values, rows 16 apart 32-byte aligned
constexpr int kMmaLdC = kBN + 4;              // the f32 output tile's row length
using Frag16 = uint16_t;                      // 16-bit values kept as bits in memory

// The shared tiles, each 32-byte aligned as the warp matrix loads and stores need.
template <int P>
struct alignas(32) MmaTiles {
    Frag16 a[kBM][kMmaLd];     // a[m][k]: row-major a
    Frag16 b[P][kBN][kMmaLd];  // b[part][n][k]: column-major b
    float c[kBM][kMmaLdC];     // the output tile
};

// One column (blockIdx.x over [batch][n]) of b into kSplitParts<T> parts [part][batch][n][kp] (kp: K
// rounded up to kMmaBK, zeros past K) and its unscale (the power of two that undoes the scaling).
template <uint32_t T>
__global__ void __launch_bounds__(kMmaThreads) split_columns(TensorDesc b, Frag16* parts, float* unscale, int64_t kp) {
    __shared__ float red[kWarp];
    const int64_t col = blockIdx.x, cols = b.ne[1] * b.ne[2] * b.ne[3], K = b.ne[0];
    const int64_t n = col % b.ne[1], batch = col / b.ne[1];
    const char* p = b.at(0, n, batch % b.ne[2], batch / b.ne[2]);
    float amax = 0.0f;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) amax = fmaxf(amax, fabsf(*reinterpret_cast<const float*>(p + k * b.nb[0])));
    amax = block_max(amax, red);
    const int e = amax > 0.0f ? int((__float_as_uint(amax) >> 23) & 0xFFu) - 127 : 13;  // amax in [2^e, 2^(e+1))
    const int shift = min(max(13 - e, -100), 100);
    const float scale = __uint_as_float(uint32_t(127 + shift) << 23);
    if (threadIdx.x == 0) unscale[col] = __uint_as_float(uint32_t(127 - shift) << 23);
    for (int64_t k = threadIdx.x; k < kp; k += blockDim.x) {
        float r = k < K ? *reinterpret_cast<const float*>(p + k * b.nb[0]) * scale : 0.0f;
#pragma unroll
        for (int part = 0; part < kSplitParts<T>; part++) {
            Frag16 bits;
            float v;
            if constexpr (T == kTypeF16) {
                const __half h = __float2half_rn(r);
                bits = __half_as_ushort(h), v = __half2float(h);
            } else {
                const __nv_bfloat16 h = __float2bfloat16_rn(r);
                bits = __bfloat16_as_ushort(h), v = __bfloat162float(h);
            }
            parts[(part * cols + col) * kp + k] = bits;
            r -= v;  // exact: what the next part holds
        }
    }
}

// The 64 x 64 tile (blockIdx = (m tile, n tile, batch), grid-stride in y and z) of a (f16 or bf16) times
// the split columns. Each K slice: a's 64 x 32 values and each part's 32 x 64 into shared memory (two
// threads a row, sixteen values each), then each warp's 2 x 2 fragments take two steps of 16 along K per
// part. The f32 tile leaves through shared memory, unscaled per column.
template <uint32_t T>
__global__ void __launch_bounds__(kMmaThreads) mul_mat_mma(TensorDesc a, TensorDesc b, const Frag16* parts,
                                                           const float* unscale, int64_t kp, TensorDesc d) {
    namespace wmma = nvcuda::wmma;
    using H = std::conditional_t<T == kTypeF16, __half, __nv_bfloat16>;
    constexpr int P = kSplitParts<T>;
    __shared__ MmaTiles<P> tiles;
    auto& as = tiles.a;
    auto& bs = tiles.b;
    auto& cs = tiles.c;
    const int tid = threadIdx.x, warp = tid / kWarp;
    const int wm = (warp % 2) * 32, wn = (warp / 2) * 32;
    const int lr = tid / 2, lc = (tid % 2) * 16;  // this thread's row of the shared tiles and first value
    const int64_t K = a.ne[0], M = a.ne[1], N = b.ne[1], batches = b.ne[2] * b.ne[3], cols = N * batches;
    const int64_t n_tiles = (N + kBN - 1) / kBN;
    const int64_t m0 = int64_t(blockIdx.x) * kBM;
    for (int64_t batch = blockIdx.z; batch < batches; batch += gridDim.z) {
        const int64_t i2 = batch % b.ne[2], i3 = batch / b.ne[2];
        const Frag16* arow = reinterpret_cast<const Frag16*>(a_matrix(a, b, i2, i3) + (m0 + lr) * a.nb[1]);
        for (int64_t nt = blockIdx.y; nt < n_tiles; nt += gridDim.y) {
            const int64_t n0 = nt * kBN;
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
            for (int64_t k0 = 0; k0 < K; k0 += kMmaBK) {
                {  // a: zeros past M or K; whole 16-byte loads where the row allows
                    const Frag16* src = arow + k0 + lc;
                    uint4* dst = reinterpret_cast<uint4*>(&as[lr][lc]);
                    if (m0 + lr < M && k0 + lc + 16 <= K && (reinterpret_cast<uintptr_t>(src) & 15u) == 0) {
                        dst[0] = reinterpret_cast<const uint4*>(src)[0];
                        dst[1] = reinterpret_cast<const uint4*>(src)[1];
                    } else {
                        for (int j = 0; j < 16; j++) as[lr][lc + j] = m0 + lr < M && k0 + lc + j < K ? src[j] : Frag16(0);
                    }
                }
#pragma unroll
                for (int part = 0; part < P; part++) {  // rows kp apart (a multiple of 32): 32-byte aligned
                    const uint4* src = reinterpret_cast<const uint4*>(parts + (part * cols + batch * N + n0 + lr) * kp + k0 + lc);
                    uint4* dst = reinterpret_cast<uint4*>(&bs[part][lr][lc]);
                    const uint4 zero = make_uint4(0, 0, 0, 0);
                    dst[0] = n0 + lr < N ? src[0] : zero;
                    dst[1] = n0 + lr < N ? src[1] : zero;
                }
                __syncthreads();
#pragma unroll
                for (int kk = 0; kk < kMmaBK; kk += 16) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, H, wmma::row_major> fa[2];
#pragma unroll
                    for (int i = 0; i < 2; i++)
                        wmma::load_matrix_sync(fa[i], reinterpret_cast<const H*>(&as[wm + 16 * i][kk]), kMmaLd);
#pragma unroll
                    for (int part = 0; part < P; part++) {
                        wmma::fragment<wmma::matrix_b, 16, 16, 16, H, wmma::col_major> fb[2];
#pragma unroll
                        for (int j = 0; j < 2; j++)
                            wmma::load_matrix_sync(fb[j], reinterpret_cast<const H*>(&bs[part][wn + 16 * j][kk]), kMmaLd);
#pragma unroll
                        for (int i = 0; i < 2; i++)
#pragma unroll
                            for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
                    }
                }
                __syncthreads();  // before the next slice overwrites the tiles
            }
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++)
                    wmma::store_matrix_sync(&cs[wm + 16 * i][wn + 16 * j], acc[i][j], kMmaLdC, wmma::mem_row_major);
            __syncthreads();
            char* dmat = d.data + i2 * d.nb[2] + i3 * d.nb[3];
            for (int e = tid; e < kBM * kBN; e += kMmaThreads) {
                const int r = e % kBM, c = e / kBM;
                const int64_t m = m0 + r, n = n0 + c;
                if (m < M && n < N)
                    *reinterpret_cast<float*>(dmat + m * d.nb[0] + n * d.nb[1]) = cs[r][c] * unscale[batch * N + n];
            }
            __syncthreads();  // before the next tile overwrites cs
        }
    }
}

template <uint32_t T>
void launch_mma(const OpContext& c, const TensorDesc& a, const TensorDesc& b, const TensorDesc& d, dim3 grid) {
    const int64_t cols = b.ne[1] * b.ne[2] * b.ne[3], kp = (b.ne[0] + kMmaBK - 1) / kMmaBK * kMmaBK;
    const size_t part_bytes = size_t(kSplitParts<T> * cols * kp) * sizeof(Frag16);
    char* mem = static_cast<char*>(c.scratch->get(part_bytes + size_t(cols) * sizeof(float), c.stream));
    auto* parts = reinterpret_cast<Frag16*>(mem);
    auto* unscale = reinterpret_cast<float*>(mem + part_bytes);
    launch_kernel(split_columns<T>, unsigned(cols), kMmaThreads, 0, c.stream, b, parts, unscale, kp);
    launch_kernel(mul_mat_mma<T>, grid, kMmaThreads, 0, c.stream, a, b, static_cast<const Frag16*>(parts),
                  static_cast<const float*>(unscale), kp, d);
}

// The block types' activations: b's columns quantized into scratch (quantize_act), [batch][n][unit]; null
// for the float types.
template <uint32_t T>
const ActUnit* quantized_columns(const OpContext& c, const TensorDesc& b) {
    if constexpr (TypeInfo<T>::kBlock == 1) {
        return nullptr;
    } else {
        const int64_t units = b.ne[0] / 32, total = units * b.ne[1] * b.ne[2] * b.ne[3];
        auto* act = static_cast<ActUnit*>(c.scratch->get(size_t(total) * sizeof(ActUnit), c.stream));
        launch_kernel(quantize_act, blocks_for(total, kVecThreads), kVecThreads, 0, c.stream, b, act, units, total);
        return act;
    }
}

template <uint32_t T, int NC>
void launch_vec(const OpContext& c, const TensorDesc& a, const TensorDesc& b, const TensorDesc& d) {
    const int64_t K = a.ne[0], M = a.ne[1];
    constexpr bool kQuant = TypeInfo<T>::kBlock > 1;
    const int64_t units = kQuant ? K / 32 : (K + 7) / 8;  // what a lane takes at a time
    const int group = units >= 32 ? 32 : units >= 16 ? 16 : 8;  // short rows: several rows per warp
    const int rows_per_block = kVecThreads / group;
    const int64_t blocks = (M + rows_per_block - 1) / rows_per_block * b.ne[2] * b.ne[3];
    const unsigned grid = unsigned(std::min<int64_t>(blocks, 0x7FFFFFFF));
    launch_kernel(mul_mat_vec<T, NC>, grid, kVecThreads, 0, c.stream, a, b, quantized_columns<T>(c, b), d, group);
}

}  // namespace

void op_mul_mat(const OpContext& c, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* b = dst->src[1];
    if (!weight_type_supported(a->type) || b->type != Type::F32 || dst->type != Type::F32)
        throw std::logic_error("cuda mul_mat: unsupported types");
    const TensorDesc da = desc(a), db = desc(b), dd = desc(dst);
    const int64_t M = da.ne[1], N = db.ne[1], batches = db.ne[2] * db.ne[3];
    if (M == 0 || N == 0 || batches == 0) return;  // K == 0 runs: the sums are 0
    with_weight_type(da.type, [&](auto tag) {
        constexpr uint32_t T = decltype(tag)::value;
        if (da.nb[0] != TypeInfo<T>::kBytes) throw std::logic_error("cuda mul_mat: a's rows must be contiguous");
        if (da.ne[0] % TypeInfo<T>::kBlock) throw std::logic_error("cuda mul_mat: K must be whole blocks");
        if (N <= kVecMaxN) {
            if (N == 1) launch_vec<T, 1>(c, da, db, dd);
            else if (N == 2) launch_vec<T, 2>(c, da, db, dd);
            else if (N <= 4) launch_vec<T, 4>(c, da, db, dd);
            else launch_vec<T, 8>(c, da, db, dd);
        } else {
            const dim3 grid(unsigned((M + kBM - 1) / kBM), unsigned(std::min<int64_t>((N + kBN - 1) / kBN, kMaxGridYZ)),
                            unsigned(std::min<int64_t>(batches, kMaxGridYZ)));
            if constexpr (T == kTypeF16 || T == kTypeBF16) launch_mma<T>(c, da, db, dd, grid);
            else launch_kernel(mul_mat_tiled<T>, grid, kTileThreads, 0, c.stream, da, db, quantized_columns<T>(c, db), dd);
        }
    });
    check_launch("mul_mat");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
