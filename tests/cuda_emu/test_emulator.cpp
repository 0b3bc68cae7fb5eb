// The CUDA emulation itself (cuda_emu.h): barriers and warp operations, shared memory, launch checks,
// device memory and graph capture, with small kernels written here.
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "backends/cuda/common.cuh"

namespace ggml::cuda_emu {
namespace {

constexpr unsigned kFull = 0xffffffffu;

// n ints of device memory, initialised from `init` (or left as cudaMalloc leaves them).
struct DeviceInts {
    int* p = nullptr;
    size_t n;
    explicit DeviceInts(size_t n_, const std::vector<int>& init = {}) : n(n_) {
        REQUIRE(cudaMalloc(reinterpret_cast<void**>(&p), n * sizeof(int)) == cudaSuccess);
        if (!init.empty()) REQUIRE(cudaMemcpyAsync(p, init.data(), n * sizeof(int), cudaMemcpyHostToDevice, nullptr) == cudaSuccess);
    }
    ~DeviceInts() { cudaFree(p); }
    std::vector<int> get() const {
        std::vector<int> v(n);
        REQUIRE(cudaMemcpyAsync(v.data(), p, n * sizeof(int), cudaMemcpyDeviceToHost, nullptr) == cudaSuccess);
        return v;
    }
};

// Warp 0 sums its lanes by shuffles while the other warps already wait at __syncthreads.
void warp0_sum(int* out) {
    int v = int(threadIdx.x);
    if (threadIdx.x / 32 == 0)
        for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(kFull, v, o);
    __syncthreads();
    out[threadIdx.x] = v;
}

// Each thread reads its neighbour's write after the barrier; __syncthreads_or and _count see every thread.
void neighbours(int* out, int marked) {
    __shared__ int s[256];
    s[threadIdx.x] = int(threadIdx.x) * 3;
    const int any = __syncthreads_or(int(threadIdx.x) == marked);
    const int count = __syncthreads_count(threadIdx.x % 4 == 0);
    out[threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x] + 1000 * any + 100000 * count;
}

// Shuffles of 8-byte values and the other shuffle kinds, within a warp.
void shuffles(int* out) {
    const int lane = int(threadIdx.x % 32);
    const long long big = (1LL << 40) + lane;
    const double d = lane + 0.5;
    const long long x = __shfl_xor_sync(kFull, big, 1);
    const double y = __shfl_sync(kFull, d, 5);
    const int dn = __shfl_down_sync(kFull, lane, 3);
    const int up = __shfl_up_sync(kFull, lane, 2, 8);
    __syncwarp();
    out[threadIdx.x * 4 + 0] = int(x - (1LL << 40));
    out[threadIdx.x * 4 + 1] = int(y * 2);
    out[threadIdx.x * 4 + 2] = dn;
    out[threadIdx.x * 4 + 3] = up;
}

void half_exit(int*) {
    if (threadIdx.x < 32) return;
    __syncthreads();
}
void split_warp(int*) {  // half of warp 1 at __syncthreads, its other half in a shuffle
    if (threadIdx.x < 48) __syncthreads();
    else (void)__shfl_xor_sync(kFull, 1, 1);
}
void partial_warp_shuffle(int*) {
    if (threadIdx.x % 32 < 16) (void)__shfl_xor_sync(kFull, 1, 1);
}

// Block b writes its index to static shared memory, after reading what is there: 0xFF bytes in each block.
void shared_fresh(int* out) {
    __shared__ int s;
    if (threadIdx.x == 0) out[blockIdx.x] = s;
    __syncthreads();
    if (threadIdx.x == 0) s = int(blockIdx.x);
}
void dynamic_fresh(int* out) {
    GGML_CUDA_DYNAMIC_SHARED(float, d);
    out[threadIdx.x] = std::isnan(d[threadIdx.x]) ? 1 : 0;
    d[threadIdx.x] = 1.0f;
}

void add_one(int* out) { out[threadIdx.x + blockIdx.x * blockDim.x] += 1; }

}  // namespace

TEST_CASE("cuda emulator: warp operations wait for their warp only", "[cuda_emu][emulator]") {
    DeviceInts out(128);
    launch_kernel(warp0_sum, 1, 128, 0, nullptr, out.p);
    REQUIRE(cudaGetLastError() == cudaSuccess);
    const std::vector<int> v = out.get();
    for (int i = 0; i < 128; i++) CHECK(v[size_t(i)] == (i < 32 ? 31 * 32 / 2 : i));
}

TEST_CASE("cuda emulator: __syncthreads and its reductions", "[cuda_emu][emulator]") {
    for (int n : {64, 256}) {
        DeviceInts out{size_t(n)};
        launch_kernel(neighbours, 3, n, 0, nullptr, out.p, 77);
        const std::vector<int> v = out.get();
        for (int i = 0; i < n; i++) CHECK(v[size_t(i)] == (i + 1) % n * 3 + 1000 * (n > 77) + 100000 * (n / 4));
    }
}

TEST_CASE("cuda emulator: shuffles", "[cuda_emu][emulator]") {
    DeviceInts out(64 * 4);
    launch_kernel(shuffles, 1, 64, 0, nullptr, out.p);
    const std::vector<int> v = out.get();
    for (int t = 0; t < 64; t++) {
        const int lane = t % 32;
        CHECK(v[size_t(t * 4 + 0)] == (lane ^ 1));
        CHECK(v[size_t(t * 4 + 1)] == 11);
        CHECK(v[size_t(t * 4 + 2)] == (lane + 3 < 32 ? lane + 3 : lane));
        CHECK(v[size_t(t * 4 + 3)] == (lane % 8 >= 2 ? lane - 2 : lane));
    }
}

TEST_CASE("cuda emulator: barriers that cannot complete fail the launch", "[cuda_emu][emulator]") {
    using Catch::Matchers::Contains;
    DeviceInts out(1);
    CHECK_THROWS_WITH(launch_kernel(half_exit, 2, 64, 0, nullptr, out.p),
                      Contains("a __syncthreads some threads never reach") && Contains("threads 0-31 have exited") &&
                          Contains("threads 32-63 wait at __syncthreads"));
    CHECK_THROWS_WITH(launch_kernel(split_warp, 1, 64, 0, nullptr, out.p),
                      Contains("divergent barriers") && Contains("threads 0-47 wait at __syncthreads") &&
                          Contains("threads 48-63 wait at __shfl_xor_sync"));
    CHECK_THROWS_WITH(launch_kernel(partial_warp_shuffle, 1, 32, 0, nullptr, out.p), Contains("exited lanes"));
    // The emulator runs on afterwards.
    launch_kernel(warp0_sum, 1, 32, 0, nullptr, out.p);
    CHECK(out.get()[0] == 31 * 32 / 2);
}

TEST_CASE("cuda emulator: shared memory starts as 0xFF bytes in every block", "[cuda_emu][emulator]") {
    DeviceInts out(4);
    launch_kernel(shared_fresh, 4, 32, 0, nullptr, out.p);
    for (int v : out.get()) CHECK(v == -1);
    DeviceInts flags(64);
    launch_kernel(dynamic_fresh, 3, 64, 64 * sizeof(float), nullptr, flags.p);
    for (int v : flags.get()) CHECK(v == 1);
}

TEST_CASE("cuda emulator: device memory and launch checks", "[cuda_emu][emulator]") {
    DeviceInts fresh(8);
    for (int v : fresh.get()) CHECK(v == -1);  // 0xFF bytes
    int host[2] = {0, 0};
    CHECK(cudaMemcpyAsync(host, fresh.p + 7, 8, cudaMemcpyDeviceToHost, nullptr) == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaErrorInvalidValue);

    DeviceInts out(64, std::vector<int>(64, 0));
    launch_kernel(add_one, 1, 2048, 0, nullptr, out.p);  // too many threads
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    launch_kernel(add_one, dim3(1, 70000), 32, 0, nullptr, out.p);  // grid y past 65535
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    launch_kernel(dynamic_fresh, 1, 64, 60 * 1024, nullptr, out.p);  // over 48 KiB without opting in
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    REQUIRE(cudaFuncSetAttribute(dynamic_fresh, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024) == cudaSuccess);
    launch_kernel(dynamic_fresh, 1, 64, 60 * 1024, nullptr, out.p);
    CHECK(cudaGetLastError() == cudaSuccess);
    CHECK(cudaFuncSetAttribute(dynamic_fresh, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 * 1024) ==
          cudaErrorInvalidValue);
    cudaGetLastError();
}

TEST_CASE("cuda emulator: graph capture records launches for replay", "[cuda_emu][emulator]") {
    cudaStream_t s = nullptr;
    REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess);
    DeviceInts out(64, std::vector<int>(64, 0));
    REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
    launch_kernel(add_one, 2, 32, 0, s, out.p);
    launch_kernel(add_one, 1, 64, 0, s, out.p);
    void* p = nullptr;
    CHECK(cudaMalloc(&p, 16) == cudaErrorStreamCaptureUnsupported);  // not during a capture
    cudaGetLastError();
    cudaGraph_t g = nullptr;
    REQUIRE(cudaStreamEndCapture(s, &g) == cudaSuccess);
    for (int v : out.get()) CHECK(v == 0);  // nothing ran yet
    cudaGraphExec_t exec = nullptr;
    REQUIRE(cudaGraphInstantiate(&exec, g, 0) == cudaSuccess);
    cudaGraphDestroy(g);
    for (int i = 0; i < 3; i++) REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
    for (int v : out.get()) CHECK(v == 6);

    // A synchronisation inside a capture invalidates it.
    REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
    CHECK(cudaStreamSynchronize(s) == cudaErrorStreamCaptureUnsupported);
    CHECK(cudaStreamEndCapture(s, &g) == cudaErrorStreamCaptureInvalidated);
    CHECK(g == nullptr);
    cudaGetLastError();
    cudaGraphExecDestroy(exec);
    cudaStreamDestroy(s);
}

}  // namespace ggml::cuda_emu
