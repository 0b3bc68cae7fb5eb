// Shared by every CUDA op file: the tensor descriptor kernels take by value, loads and stores of the float
// element types, warp and block reductions, and the launch shapes. Device code only reads this; the host
// side of an op (the launcher at the bottom of each <op>.cu) builds descriptors with desc().
#pragma once
#include <cstdint>
#include <utility>

#include "backends/cuda/cuda_api.h"
#include "backends/cuda/ops.h"

namespace ggml::GIRAFFE_CUDA_NS {

// A tensor as a kernel sees it: its first byte, sizes and byte strides (64-bit: no binding limits here).
struct TensorDesc {
    char* data;
    int64_t ne[4];
    int64_t nb[4];
    uint32_t type;  // GGUF type id (ggml/type.h)

    __device__ __forceinline__ char* at(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const {
        return data + i0 * nb[0] + i1 * nb[1] + i2 * nb[2] + i3 * nb[3];
    }
    __host__ __device__ __forceinline__ int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    __host__ __device__ __forceinline__ int64_t nrows() const { return ne[1] * ne[2] * ne[3]; }
    // Linear element index -> (i0, i1, i2, i3).
    __device__ __forceinline__ void unravel(int64_t i, int64_t* i0, int64_t* i1, int64_t* i2, int64_t* i3) const {
        *i0 = i % ne[0];
        i /= ne[0];
        *i1 = i % ne[1];
        i /= ne[1];
        *i2 = i % ne[2];
        *i3 = i / ne[2];
    }
    // Row index (over dims 1..3) -> (i1, i2, i3).
    __device__ __forceinline__ void unravel_row(int64_t r, int64_t* i1, int64_t* i2, int64_t* i3) const {
        *i1 = r % ne[1];
        r /= ne[1];
        *i2 = r % ne[2];
        *i3 = r / ne[2];
    }
};

// Host: t's descriptor (t's data is a device pointer).
TensorDesc desc(const Tensor* t);

constexpr uint32_t kTypeF32 = 0, kTypeF16 = 1, kTypeBF16 = 30, kTypeI32 = 26;

__device__ __forceinline__ float load_float(uint32_t type, const char* p) {
    if (type == kTypeF32) return *reinterpret_cast<const float*>(p);
    if (type == kTypeF16) return __half2float(*reinterpret_cast<const __half*>(p));
    return __bfloat162float(*reinterpret_cast<const __nv_bfloat16*>(p));
}
// Round to nearest even, as the CPU's conversions do (bit-exact with them).
__device__ __forceinline__ void store_float(uint32_t type, char* p, float v) {
    if (type == kTypeF32) *reinterpret_cast<float*>(p) = v;
    else if (type == kTypeF16) *reinterpret_cast<__half*>(p) = __float2half_rn(v);
    else *reinterpret_cast<__nv_bfloat16*>(p) = __float2bfloat16_rn(v);
}

constexpr int kWarp = 32;

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = kWarp / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
// Sum over the whole block (blockDim.x a multiple of 32, at most 1024) of floats or doubles (the row sums
// the CPU keeps in double); every thread gets the result. `shared` holds 32 values. Safe to call
// repeatedly: it synchronises before reusing `shared`.
template <class T>
__device__ __forceinline__ T block_sum(T v, T* shared) {
    v = warp_sum(v);
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, n_warps = blockDim.x / kWarp;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    v = lane < n_warps ? shared[lane] : T(0);
    return warp_sum(v);
}
__device__ __forceinline__ float block_max(float v, float* shared) {
    v = warp_max(v);
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, n_warps = blockDim.x / kWarp;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    v = lane < n_warps ? shared[lane] : -INFINITY;
    return warp_max(v);
}

// Threads for a block that reduces one row of n elements: a warp for short rows, more as rows grow.
inline int row_threads(int64_t n) { return n <= 256 ? 32 : n <= 1024 ? 128 : n <= 8192 ? 256 : 1024; }

// Blocks for n items at `per_block` items a block, capped at the 2^31 - 1 blocks a grid takes in x: the
// kernels loop over their items with a grid stride (blockIdx.x taken as a 64-bit value).
inline unsigned blocks_for(int64_t n, int per_block) {
    const int64_t blocks = (n + per_block - 1) / per_block;
    return unsigned(blocks < 0x7fffffff ? blocks : 0x7fffffff);
}

// Throws a one-line error naming the op if the launch failed (bad configuration, no kernel image for
// this GPU's architecture).
void check_launch(const char* op);

// Every kernel launch goes through here: kernel<<<grid, block, shared_bytes, stream>>>(args...) under nvcc;
// compiled for the CPU emulation (tests/cuda_emu), the arguments converted to the kernel's parameter
// types P as the launch would, and the grid run (or recorded, while the stream is being captured).
template <class... P, class... A>
void launch_kernel(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, A&&... args) {
#ifdef GIRAFFE_CUDA_EMULATE
    emulate_launch(kernel, grid, block, shared_bytes, stream, std::forward<A>(args)...);
#else
    kernel<<<grid, block, shared_bytes, stream>>>(std::forward<A>(args)...);
#endif
}

// Declares `name`, the block's dynamic shared memory (the launch's shared_bytes) as an array of T.
#ifdef GIRAFFE_CUDA_EMULATE
#define GGML_CUDA_DYNAMIC_SHARED(T, name) T* const name = static_cast<T*>(dynamic_shared_memory())
#else
#define GGML_CUDA_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

}  // namespace ggml::GIRAFFE_CUDA_NS
