// The CUDA backend on the CPU: an emulation of the part of CUDA that backends/cuda uses, host side and device
// side, so that its kernels and host code run (and its op tests pass) where there is no GPU, as in CI.
// backends/cuda/cuda_api.h includes this header instead of the toolkit's when the backend's files are
// compiled as C++ with -DGIRAFFE_CUDA_EMULATE (tests/CMakeLists.txt: test_cuda_emu). It needs no CUDA
// headers. Its names, like the emulated backend's, live in ggml::cuda_emu, so a program may link a real
// backend (ggml::cuda, with the real runtime) beside it.
//
// What it does (cuda_emu.cpp):
//  - One device, "giraffe CUDA emulator", with GIRAFFE_CUDA_EMU_SMS multiprocessors (default 4). Device
//    memory is host memory between inaccessible guard pages, filled with 0xFF bytes (NaN) when allocated,
//    so a read of what no one wrote shows; freed memory is made inaccessible and never reused, so a use
//    after cudaFree crashes, as does running (more than the 256-byte alignment slack) past either end.
//  - Streams run everything at once (their synchronisation does nothing), except a copy to the device
//    from pinned host memory (cudaMallocHost), which, as a DMA does, reads its source later: when the
//    stream next launches, copies or synchronises, or an event recorded after it is waited for. A source
//    overwritten before then is copied as it is then. A stream being captured records
//    its launches and copies as closures instead; cudaGraphLaunch replays them in order. As in CUDA's
//    thread-local capture mode, allocating, freeing or synchronising during a capture is an error.
//  - Kernels: the blocks of a grid run one at a time, in order. Each thread of a block is a fiber (ucontext);
//    a thread runs until it finishes or waits at a barrier. __syncthreads releases when every thread of
//    the block waits at one; a warp operation (__shfl*_sync, __syncwarp) when the 32 lanes of its warp
//    wait at one, whatever the other warps do. A barrier that cannot complete (some threads exited or wait
//    elsewhere: a hang or undefined behaviour on a GPU) fails the launch with a message naming the
//    threads. Blocks alternate running their threads in ascending and descending order between barriers,
//    so that a missing barrier between one thread's write and another's read shows in either direction.
//  - __shared__ variables are static (shared by the block's threads; one block runs at a time) and,
//    like the dynamic shared memory, filled with 0xFF before each block.
//  - Launch checks as on the GPUs the backend targets: at most 1024 threads a block, grid y and z up to
//    65535, dynamic shared memory over 48 KiB only after cudaFuncSetAttribute raised the kernel's limit,
//    and never over 99 KiB. A bad launch sets the error cudaGetLastError returns, and runs nothing.
//  - __half and __nv_bfloat16 convert with ggml's round-to-nearest-even conversions (ggml/type.h).
//  - The warp matrix functions (nvcuda::wmma) in cuda_emu_wmma.h: every lane holds a fragment's whole
//    matrix, and misaligned matrices in memory fail.
//  - The build adds UndefinedBehaviorSanitizer checks for what faults or silently goes wrong on a GPU:
//    misaligned loads and stores, overflowing 32-bit index arithmetic, over-wide shifts.
//
// What it does not model: memory ordering and any concurrency between blocks (they run one after another),
// timing, occupancy and registers (__launch_bounds__ is ignored), how a warp's divergent lanes reconverge
// (lanes run independently between warp operations, as with Volta's independent thread scheduling),
// warp operations on part of a warp (only full masks), out-of-bounds accesses that stay inside a live
// allocation, and the GPU's arithmetic: expf and the other math functions are the host library's (a few
// ulps apart from CUDA's), NaNs converted to f16 / bf16 keep their payload (the GPU makes them canonical),
// and the emulated files are compiled without contracting a * b + c into fused multiply-adds, which nvcc
// does (so __fmul_rn and friends are plain operations).
#pragma once
#include <math.h>  // expf, erfcf, sincos, ... in the global namespace, as device code calls them

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ggml/type.h"

// Execution-space and memory-space qualifiers: host code is device code here.
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Static shared memory: one instance per kernel, in a section of its own so that the emulator can fill
// all of it with 0xFF before each block (dynamic shared memory: GGML_CUDA_DYNAMIC_SHARED in common.cuh).
#define __shared__ static __attribute__((section("giraffe_cuda_emu_shared")))

namespace ggml::cuda_emu {

// ---- runtime API ----

enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
    cudaErrorGraphExecUpdateFailure = 910,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal, cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeRelaxed };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
constexpr unsigned cudaStreamDefault = 0, cudaStreamNonBlocking = 1;

struct CUstream_st;
struct CUgraph_st;  // a captured sequence of launches and copies
struct CUgraphExec_st;
using cudaStream_t = CUstream_st*;
using cudaGraph_t = CUgraph_st*;
using cudaGraphExec_t = CUgraphExec_st*;
struct CUevent_st;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaEventDefault = 0, cudaEventDisableTiming = 2;

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int major, minor;
    int multiProcessorCount;
    int warpSize;
    int maxThreadsPerBlock;
};

cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t e);

cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMallocHost(void** p, size_t bytes);
cudaError_t cudaFreeHost(void* p);

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventDestroy(cudaEvent_t e);

cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
// Gives exec the launches of graph, which must have as many steps (the real call's condition is the same
// topology and kernels; arguments may differ).
struct cudaGraphExecUpdateResultInfo {
    int result;
};
cudaError_t cudaGraphExecUpdate(cudaGraphExec_t exec, cudaGraph_t graph, cudaGraphExecUpdateResultInfo* info);

cudaError_t set_func_max_dynamic_shared(const void* kernel, int bytes);
template <class... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
    if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize) return cudaErrorInvalidValue;
    return set_func_max_dynamic_shared(reinterpret_cast<const void*>(kernel), value);
}

// ---- vector types ----

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(8) uint2 {
    unsigned x, y;
};
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

// ---- kernels: launching, thread indices, barriers ----

// The running thread's indices and the launch's shape (set by the emulator at each switch of threads).
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace emu {

enum class WarpOp { Sync, ShflXor, ShflIdx, ShflUp, ShflDown };

// Runs thread_body once per thread of every block of the grid on `stream` (recorded instead while the
// stream is captured); `kernel` identifies the kernel for its shared-memory limit.
void launch(const void* kernel, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
            std::function<void()> thread_body);
// The calling thread waits for the rest of its block; returns how many threads passed a nonzero pred.
int block_barrier(int pred);
// The calling thread waits for the rest of its warp at the same operation; returns the 8 bytes the
// operation reads from its source lane (`value` itself for Sync).
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width);

template <class T>
T shuffle(WarpOp op, unsigned mask, T v, int arg, int width) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffles move up to 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    bits = warp_op(op, mask, bits, arg, width);
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

}  // namespace emu

// The block's dynamic shared memory (GGML_CUDA_DYNAMIC_SHARED), 16-byte aligned.
void* dynamic_shared_memory();

// launch_kernel's emulated side (common.cuh): the arguments converted to the parameters once, as a
// launch does, then each thread calls the kernel with its own copy of them.
template <class... P, class... A>
void emulate_launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, A&&... args) {
    std::tuple<P...> params(std::forward<A>(args)...);
    emu::launch(reinterpret_cast<const void*>(kernel), grid, block, shared_bytes, stream,
                [kernel, params] { std::apply(kernel, params); });
}

// "memory" clobbers: the compiler may keep no shared or global value in a register across a barrier.
inline void __syncthreads() {
    asm volatile("" ::: "memory");
    emu::block_barrier(0);
    asm volatile("" ::: "memory");
}
inline int __syncthreads_count(int pred) {
    asm volatile("" ::: "memory");
    const int n = emu::block_barrier(pred != 0);
    asm volatile("" ::: "memory");
    return n;
}
inline int __syncthreads_or(int pred) { return __syncthreads_count(pred) != 0; }
inline int __syncthreads_and(int pred) { return __syncthreads_count(pred) == int(blockDim.x * blockDim.y * blockDim.z); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    asm volatile("" ::: "memory");
    emu::warp_op(emu::WarpOp::Sync, mask, 0, 0, 32);
    asm volatile("" ::: "memory");
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    return emu::shuffle(emu::WarpOp::ShflXor, mask, v, lane_mask, width);
}
template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
    return emu::shuffle(emu::WarpOp::ShflIdx, mask, v, src_lane, width);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::shuffle(emu::WarpOp::ShflUp, mask, v, int(delta), width);
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::shuffle(emu::WarpOp::ShflDown, mask, v, int(delta), width);
}

// One thread runs at a time: a read-modify-write is atomic.
template <class T>
T atomicMax(T* p, T v) {
    const T old = *p;
    if (old < v) *p = v;
    return old;
}

// ---- device functions ----

// Integer min and max (CUDA's float overloads are fminf and fmaxf, which device code here calls by name).
template <class A, class B>
std::common_type_t<A, B> min(A a, B b) {
    static_assert(std::is_integral_v<A> && std::is_integral_v<B>, "emulated for integers only");
    return b < a ? b : a;
}
template <class A, class B>
std::common_type_t<A, B> max(A a, B b) {
    static_assert(std::is_integral_v<A> && std::is_integral_v<B>, "emulated for integers only");
    return a < b ? b : a;
}

inline float __uint_as_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __int_as_float(int32_t i) { return __uint_as_float(uint32_t(i)); }
inline uint32_t __float_as_uint(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline int32_t __float_as_int(float f) { return int32_t(__float_as_uint(f)); }

// Correctly rounded single operations (the emulated files are compiled with -ffp-contract=off).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }

struct __half {
    uint16_t bits;
};
struct __nv_bfloat16 {
    uint16_t bits;
};
inline float __half2float(__half h) { return fp16_to_fp32(h.bits); }
inline __half __float2half_rn(float f) { return {fp32_to_fp16(f)}; }
inline __half __ushort_as_half(unsigned short u) { return {u}; }
inline unsigned short __half_as_ushort(__half h) { return h.bits; }
inline float __bfloat162float(__nv_bfloat16 b) { return bf16_to_fp32(b.bits); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return {fp32_to_bf16(f)}; }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 b) { return b.bits; }

// The four byte products of a and b (signed bytes) added to c, wrapping as 32-bit integers do.
inline int __dp4a(int a, int b, int c) {
    uint32_t r = uint32_t(c);
    for (int k = 0; k < 4; k++) r += uint32_t(int32_t(int8_t(a >> (8 * k))) * int32_t(int8_t(b >> (8 * k))));
    return int(r);
}

// ---- for the tests ----

struct Stats {
    long launches = 0;          // kernels run (a graph replay counts its launches again)
    long captured = 0;          // launches and copies recorded into graphs
    long graph_launches = 0;    // cudaGraphLaunch calls
    long updated = 0;           // graphs updated in place (cudaGraphExecUpdate)
    long live_allocations = 0;  // cudaMalloc'ed and cudaMallocHost'ed blocks not yet freed
    long live_events = 0;
    long live_streams = 0, live_graphs = 0, live_execs = 0;
};
Stats stats();

}  // namespace ggml::cuda_emu

#include "tests/cuda_emu/cuda_emu_wmma.h"
