// The CUDA emulation's runtime and its kernel executor (what it models: cuda_emu.h).
#include "tests/cuda_emu/cuda_emu.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// The static __shared__ variables' section, bounded by symbols the linker defines (weak: no such
// variables, no section).
extern "C" char __start_giraffe_cuda_emu_shared[] __attribute__((weak));
extern "C" char __stop_giraffe_cuda_emu_shared[] __attribute__((weak));

// The build's UndefinedBehaviorSanitizer checks (tests/CMakeLists.txt) end in abort(), so that the test
// framework names the case that was running.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1"; }

namespace ggml::cuda_emu {

// ---- device, errors, memory ----

namespace {

constexpr size_t kSharedDefault = 48 * 1024, kSharedOptInMax = 99 * 1024;

cudaError_t last_error = cudaSuccess;
Stats counters;
std::map<const void*, int> shared_limit;  // kernel -> its raised dynamic shared memory limit

cudaError_t fail(cudaError_t e) {
    last_error = e;
    return e;
}

int sm_count() {
    const char* s = std::getenv("GIRAFFE_CUDA_EMU_SMS");
    const int n = s ? std::atoi(s) : 4;
    return n > 0 ? n : 4;
}

struct Allocation {
    size_t bytes;
    bool live;
};
std::map<const char*, Allocation> allocations;  // by start

size_t page_round(size_t n) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    return (n + page - 1) / page * page;
}

// Whether [p, p + n) lies inside one live allocation.
bool is_device(const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    auto it = allocations.upper_bound(c);
    if (it == allocations.begin()) return false;
    --it;
    return it->second.live && c + n <= it->first + it->second.bytes;
}

}  // namespace

struct CUstream_st {
    CUgraph_st* capture = nullptr;  // the graph being recorded, or null
    bool capture_failed = false;
    std::vector<std::function<void()>> dma;  // copies from pinned memory not yet made
};
struct CUevent_st {
    cudaStream_t stream = nullptr;  // where it was last recorded
};
struct CUgraph_st {
    std::vector<std::function<void()>> steps;
};
struct CUgraphExec_st {
    std::vector<std::function<void()>> steps;
};

namespace {

bool capturing_anywhere = false;  // a capture in progress (thread-local mode: the one thread)

std::map<const char*, size_t> pinned;  // cudaMallocHost blocks: start, bytes

bool is_pinned(const void* p, size_t bytes) {
    const char* c = static_cast<const char*>(p);
    auto it = pinned.upper_bound(c);
    if (it == pinned.begin()) return false;
    --it;
    return c + bytes <= it->first + it->second;
}

// Makes the stream's pending copies from pinned memory, in order.
void drain(cudaStream_t s) {
    if (!s) return;
    auto dma = std::move(s->dma);
    s->dma.clear();
    for (auto& copy : dma) copy();
}

// Runs `step` now (after the stream's pending copies), or records it while the stream is captured.
void submit(cudaStream_t s, std::function<void()> step) {
    drain(s);
    if (s && s->capture) {
        s->capture->steps.push_back(std::move(step));
        counters.captured++;
    } else {
        step();
    }
}

// Allocation, freeing and synchronisation are not allowed during a thread-local capture; the capture
// is invalidated.
bool refuse_during_capture() { return capturing_anywhere; }

}  // namespace

cudaError_t cudaGetDeviceCount(int* n) {
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
    if (device != 0) return fail(cudaErrorInvalidDevice);
    *p = cudaDeviceProp{};
    std::snprintf(p->name, sizeof p->name, "giraffe CUDA emulator");
    p->totalGlobalMem = size_t(16) << 30;
    p->sharedMemPerBlock = kSharedDefault;
    p->major = 8;
    p->minor = 0;
    p->multiProcessorCount = sm_count();
    p->warpSize = 32;
    p->maxThreadsPerBlock = 1024;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
    if (device != 0) return fail(cudaErrorInvalidDevice);
    if (attr != cudaDevAttrMultiProcessorCount) return fail(cudaErrorInvalidValue);
    *value = sm_count();
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice); }
cudaError_t cudaGetDevice(int* device) {
    *device = 0;
    return cudaSuccess;
}
cudaError_t cudaGetLastError() {
    const cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError() { return last_error; }
const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorGraphExecUpdateFailure: return "the graph update was not performed because it included changes which violated constraints specific to instantiated graph update";
    }
    return "unknown error";
}

// A block is pages of its own between two inaccessible guard pages, placed as late as 256-byte alignment
// allows, so that running past either end faults. Freed blocks are made inaccessible and stay reserved
// (their addresses are never handed out again).
cudaError_t cudaMalloc(void** p, size_t bytes) {
    *p = nullptr;
    if (refuse_during_capture()) return fail(cudaErrorStreamCaptureUnsupported);
    const size_t page = page_round(1), inner = page_round(bytes);
    char* m = static_cast<char*>(mmap(nullptr, inner + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (m == MAP_FAILED || mprotect(m + page, inner, PROT_READ | PROT_WRITE) != 0) return fail(cudaErrorMemoryAllocation);
    char* start = m + page + (inner - (bytes + 255) / 256 * 256);
    std::memset(start, 0xFF, bytes);
    allocations[start] = Allocation{bytes, true};
    counters.live_allocations++;
    *p = start;
    return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
    if (!p) return cudaSuccess;
    if (refuse_during_capture()) return fail(cudaErrorStreamCaptureUnsupported);
    auto it = allocations.find(static_cast<const char*>(p));
    if (it == allocations.end() || !it->second.live) return fail(cudaErrorInvalidValue);
    it->second.live = false;
    const size_t page = page_round(1);
    char* first = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) / page * page);
    const size_t n = page_round(size_t(static_cast<char*>(p) - first) + it->second.bytes);
    mprotect(first, n, PROT_NONE);
    madvise(first, n, MADV_DONTNEED);
    counters.live_allocations--;
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if ((dst_dev && !is_device(dst, bytes)) || (src_dev && !is_device(src, bytes))) return fail(cudaErrorInvalidValue);
    if (kind == cudaMemcpyHostToDevice && stream && !stream->capture && is_pinned(src, bytes)) {
        stream->dma.push_back([=] { std::memcpy(dst, src, bytes); });
        return cudaSuccess;
    }
    submit(stream, [=] { std::memcpy(dst, src, bytes); });
    return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, size_t bytes) {
    *p = nullptr;
    if (refuse_during_capture()) return fail(cudaErrorStreamCaptureUnsupported);
    char* m = static_cast<char*>(std::aligned_alloc(256, (std::max<size_t>(bytes, 1) + 255) / 256 * 256));
    if (!m) return fail(cudaErrorMemoryAllocation);
    pinned[m] = bytes;
    counters.live_allocations++;
    *p = m;
    return cudaSuccess;
}
cudaError_t cudaFreeHost(void* p) {
    if (!p) return cudaSuccess;
    if (refuse_during_capture()) return fail(cudaErrorStreamCaptureUnsupported);
    auto it = pinned.find(static_cast<const char*>(p));
    if (it == pinned.end()) return fail(cudaErrorInvalidValue);
    pinned.erase(it);
    std::free(p);
    counters.live_allocations--;
    return cudaSuccess;
}

// ---- events ----

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) {
    *e = new CUevent_st;
    counters.live_events++;
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
    if (!e) return fail(cudaErrorInvalidValue);
    e->stream = s;
    return cudaSuccess;
}
// Waits for what the stream held when the event was recorded (here: all it holds).
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
    if (!e) return fail(cudaErrorInvalidValue);
    if (refuse_during_capture()) return fail(cudaErrorStreamCaptureUnsupported);
    drain(e->stream);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
    if (!e) return fail(cudaErrorInvalidValue);
    delete e;
    counters.live_events--;
    return cudaSuccess;
}

// ---- streams and graphs ----

cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
    *s = new CUstream_st;
    counters.live_streams++;
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
    if (!s) return fail(cudaErrorInvalidValue);
    drain(s);  // its queued work completes
    delete s->capture;
    delete s;
    counters.live_streams--;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
    if (s && s->capture) {
        s->capture_failed = true;
        return fail(cudaErrorStreamCaptureUnsupported);
    }
    drain(s);
    return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
    if (!s || s->capture) return fail(cudaErrorInvalidValue);
    drain(s);
    s->capture = new CUgraph_st;
    s->capture_failed = false;
    capturing_anywhere = true;
    return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph) {
    *graph = nullptr;
    if (!s || !s->capture) return fail(cudaErrorInvalidValue);
    std::unique_ptr<CUgraph_st> g(s->capture);
    s->capture = nullptr;
    capturing_anywhere = false;
    if (s->capture_failed) return fail(cudaErrorStreamCaptureInvalidated);
    *graph = g.release();
    counters.live_graphs++;
    return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
    if (!graph) return fail(cudaErrorInvalidValue);
    *exec = new CUgraphExec_st{graph->steps};
    counters.live_execs++;
    return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
    if (!exec) return fail(cudaErrorInvalidValue);
    counters.graph_launches++;
    for (const auto& step : exec->steps) submit(s, step);
    return cudaSuccess;
}
cudaError_t cudaGraphExecUpdate(cudaGraphExec_t exec, cudaGraph_t graph, cudaGraphExecUpdateResultInfo* info) {
    if (!exec || !graph) return fail(cudaErrorInvalidValue);
    if (info) info->result = 0;
    if (exec->steps.size() != graph->steps.size()) return fail(cudaErrorGraphExecUpdateFailure);
    exec->steps = graph->steps;
    counters.updated++;
    return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    if (!graph) return fail(cudaErrorInvalidValue);
    delete graph;
    counters.live_graphs--;
    return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    if (!exec) return fail(cudaErrorInvalidValue);
    delete exec;
    counters.live_execs--;
    return cudaSuccess;
}

cudaError_t set_func_max_dynamic_shared(const void* kernel, int bytes) {
    if (bytes < 0 || size_t(bytes) > kSharedOptInMax) return fail(cudaErrorInvalidValue);
    shared_limit[kernel] = bytes;
    return cudaSuccess;
}

Stats stats() { return counters; }

// ---- the kernel executor ----

namespace emu {
namespace {

constexpr size_t kStack = 256 * 1024;  // per thread, with a guard page below

enum class Wait { Running, Block, Warp, Done };

struct Fiber {
    ucontext_t ctx{};
    char* stack = nullptr;
    uint3 tid;
    Wait wait = Wait::Done;
    int pred = 0;  // block barrier: in, this thread's predicate; out, the count
    WarpOp op = WarpOp::Sync;
    unsigned mask = 0;
    int arg = 0, width = 32;
    uint64_t in = 0, out = 0;
    std::exception_ptr error;
};

std::vector<std::unique_ptr<Fiber>> fibers;  // grown to the largest block seen; stacks kept
int n_threads = 0, current = -1;
ucontext_t scheduler;
const std::function<void()>* body = nullptr;
// The block's dynamic shared memory: the launch's bytes (rounded up to 16) right below an inaccessible
// page, so that running past the end faults.
char* shared_end = nullptr;   // the guard page
size_t shared_capacity = 0;  // bytes below it

char* dynamic_area(size_t bytes) {
    bytes = (bytes + 15) / 16 * 16;
    if (bytes > shared_capacity) {
        const size_t page = page_round(1), inner = page_round(bytes);
        char* m = static_cast<char*>(mmap(nullptr, inner + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (m == MAP_FAILED) throw std::runtime_error("cuda emulator: no memory for shared memory");
        mprotect(m + inner, page, PROT_NONE);
        if (shared_end) munmap(shared_end - shared_capacity, shared_capacity + page);
        shared_end = m + inner;
        shared_capacity = inner;
    }
    return shared_end - bytes;
}
char* block_shared = nullptr;  // this launch's area

void fiber_main() {
    Fiber& f = *fibers[size_t(current)];
    try {
        (*body)();
    } catch (...) {
        f.error = std::current_exception();
    }
    f.wait = Wait::Done;
    swapcontext(&f.ctx, &scheduler);
}

Fiber& self() {
    if (current < 0) throw std::logic_error("cuda emulator: a device barrier outside a kernel");
    return *fibers[size_t(current)];
}

// Suspends the calling thread until the scheduler releases it.
void wait_as(Wait w) {
    Fiber& f = self();
    f.wait = w;
    swapcontext(&f.ctx, &scheduler);
}

const char* op_name(WarpOp op) {
    switch (op) {
    case WarpOp::Sync: return "__syncwarp";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::ShflIdx: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    }
    return "?";
}

std::string where(const Fiber& f) {
    if (f.wait == Wait::Block) return "wait at __syncthreads";
    if (f.wait == Wait::Warp) return std::string("wait at ") + op_name(f.op);
    return "have exited";
}

[[noreturn]] void stuck(const char* what) {
    std::string s = std::string("cuda emulator: ") + what + " in block (" + std::to_string(blockIdx.x) + ", " +
                    std::to_string(blockIdx.y) + ", " + std::to_string(blockIdx.z) + ") of a launch of " +
                    std::to_string(n_threads) + "-thread blocks:";
    for (int i = 0; i < n_threads;) {  // runs of threads in the same state
        int j = i;
        while (j + 1 < n_threads && where(*fibers[size_t(j + 1)]) == where(*fibers[size_t(i)])) j++;
        s += " threads " + std::to_string(i) + (j > i ? "-" + std::to_string(j) : "") + " " + where(*fibers[size_t(i)]) + ";";
        i = j + 1;
    }
    s.pop_back();
    throw std::runtime_error(s);
}

// Releases warp w if all its lanes wait at the same warp operation: the shuffles read their sources.
bool release_warp(int w) {
    const int first = w * 32, lanes = std::min(32, n_threads - first);
    bool any_waiting = false;
    for (int l = 0; l < lanes; l++) {
        const Wait s = fibers[size_t(first + l)]->wait;
        if (s == Wait::Running || s == Wait::Block) return false;
        any_waiting = any_waiting || s == Wait::Warp;
    }
    if (!any_waiting) return false;
    const Fiber& f0 = *fibers[size_t(first)];
    const unsigned full = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
    for (int l = 0; l < lanes; l++) {
        const Fiber& f = *fibers[size_t(first + l)];
        if (f.wait == Wait::Done) stuck("a warp operation with exited lanes");
        if (f.op != f0.op || f.width != f0.width) stuck("lanes of one warp at different warp operations");
        if (f.mask != full) throw std::runtime_error("cuda emulator: warp operations on part of a warp are not emulated");
    }
    const int width = f0.width;
    if (width <= 0 || width > 32 || (width & (width - 1))) stuck("a shuffle width that is not a power of two <= 32");
    for (int l = 0; l < lanes; l++) {
        Fiber& f = *fibers[size_t(first + l)];
        const int base = l & ~(width - 1);
        int src = l;
        switch (f.op) {
        case WarpOp::Sync: break;
        case WarpOp::ShflXor: src = (l ^ f.arg) < base + width ? l ^ f.arg : l; break;  // later groups: own value
        case WarpOp::ShflIdx: src = base + (f.arg & (width - 1)); break;
        case WarpOp::ShflUp: src = l - f.arg >= base ? l - f.arg : l; break;
        case WarpOp::ShflDown: src = l + f.arg < base + width ? l + f.arg : l; break;
        }
        if (src >= lanes) stuck("a shuffle reading a lane past the block's last thread");
        f.out = fibers[size_t(first + src)]->in;
    }
    for (int l = 0; l < lanes; l++) fibers[size_t(first + l)]->wait = Wait::Running;
    return true;
}

void run_block(bool descending) {
    for (int i = 0; i < n_threads; i++) {
        Fiber& f = *fibers[size_t(i)];
        makecontext(&f.ctx, fiber_main, 0);
        f.wait = Wait::Running;
        f.error = nullptr;
    }
    int done = 0;
    for (;;) {
        for (int k = 0; k < n_threads; k++) {
            current = descending ? n_threads - 1 - k : k;
            Fiber& f = *fibers[size_t(current)];
            if (f.wait != Wait::Running) continue;
            threadIdx = f.tid;
            swapcontext(&scheduler, &f.ctx);
            if (f.error) {
                current = -1;
                std::rethrow_exception(f.error);
            }
            if (f.wait == Wait::Done) done++;
        }
        current = -1;
        if (done == n_threads) return;
        bool released = false;
        for (int w = 0; w * 32 < n_threads; w++) released = release_warp(w) || released;
        if (released) continue;
        int at_block = 0, passed = 0;
        for (int i = 0; i < n_threads; i++) {
            const Fiber& f = *fibers[size_t(i)];
            at_block += f.wait == Wait::Block;
            passed += f.wait == Wait::Block && f.pred;
        }
        if (at_block != n_threads) stuck(done ? "a __syncthreads some threads never reach" : "divergent barriers");
        for (int i = 0; i < n_threads; i++) {
            fibers[size_t(i)]->wait = Wait::Running;
            fibers[size_t(i)]->pred = passed;
        }
    }
}

// A fiber's context, made once (getcontext returns twice: kept apart from the caller's variables).
__attribute__((noinline)) void new_context(Fiber& f, size_t page) {
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack + page;
    f.ctx.uc_stack.ss_size = kStack;
    f.ctx.uc_link = nullptr;
}

// Every block of the grid, one at a time.
void run_grid(dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& thread_body) {
    n_threads = int(block.x * block.y * block.z);
    while (fibers.size() < size_t(n_threads)) {
        auto f = std::make_unique<Fiber>();
        const size_t page = size_t(sysconf(_SC_PAGESIZE));
        void* m = mmap(nullptr, kStack + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) throw std::runtime_error("cuda emulator: no memory for thread stacks");
        mprotect(m, page, PROT_NONE);  // guard page: an overflow faults
        f->stack = static_cast<char*>(m);
        new_context(*f, page);
        fibers.push_back(std::move(f));
    }
    for (int i = 0; i < n_threads; i++)
        fibers[size_t(i)]->tid = uint3{unsigned(i) % block.x, unsigned(i) / block.x % block.y, unsigned(i) / (block.x * block.y)};
    block_shared = dynamic_area(shared_bytes);
    blockDim = block;
    gridDim = grid;
    body = &thread_body;
    uint64_t index = 0;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++, index++) {
                blockIdx = uint3{x, y, z};
                std::memset(block_shared, 0xFF, shared_bytes);
                if (__start_giraffe_cuda_emu_shared)
                    std::memset(__start_giraffe_cuda_emu_shared, 0xFF, size_t(__stop_giraffe_cuda_emu_shared - __start_giraffe_cuda_emu_shared));
                run_block(index & 1);
            }
    body = nullptr;
}

}  // namespace

void launch(const void* kernel, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, std::function<void()> thread_body) {
    const uint64_t threads = uint64_t(block.x) * block.y * block.z;
    const auto limit = shared_limit.find(kernel);
    const size_t max_shared = limit != shared_limit.end() ? std::max(size_t(limit->second), kSharedDefault) : kSharedDefault;
    if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.x > 0x7FFFFFFFu || grid.y > 65535 || grid.z > 65535 || shared_bytes > max_shared) {
        fail(cudaErrorInvalidConfiguration);
        return;
    }
    if (current >= 0) throw std::logic_error("cuda emulator: a launch from device code");
    submit(stream, [=, body = std::move(thread_body)] {
        counters.launches++;
        run_grid(grid, block, shared_bytes, body);
    });
}

int block_barrier(int pred) {
    self().pred = pred;
    wait_as(Wait::Block);
    return self().pred;
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
    Fiber& f = self();
    f.op = op;
    f.mask = mask;
    f.in = value;
    f.arg = arg;
    f.width = width;
    wait_as(Wait::Warp);
    return op == WarpOp::Sync ? value : f.out;
}

}  // namespace emu

void* dynamic_shared_memory() { return emu::block_shared; }

}  // namespace ggml::cuda_emu
