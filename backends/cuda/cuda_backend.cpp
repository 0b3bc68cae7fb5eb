#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <stdexcept>

#include "backends/cuda/cuda_api.h"
#include "backends/cuda/ops.h"
#include "ggml/op_profile.h"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string("cuda: ") + what + ": " + cudaGetErrorString(e));
}

bool is_float(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::BF16; }
bool is_layout(Op op) {
    return op == Op::None || op == Op::View || op == Op::Reshape || op == Op::Permute || op == Op::Transpose;
}
bool is_kv_type(Type t) { return is_float(t) || cpy_dst_block_type(t); }

// Every CUDA call of a backend runs with its device current (one process may drive several).
struct DeviceGuard {
    explicit DeviceGuard(int index) { check(cudaSetDevice(index), "cudaSetDevice"); }
};

// Copies to the device through two pinned host blocks taken in turn: the caller's bytes are copied into
// one while the other's copy to the device may still run, and upload returns once its bytes are in a
// block, so the caller may reuse them at once. The copies run on the stream ahead of whatever is queued
// after them; only a download (or a compute's end) waits for them. From pageable memory a copy to the
// device waits for the stream, and whether the caller's bytes may be reused when it returns is the
// driver's business; these blocks make both certain.
class Staging {
public:
    static constexpr size_t kBlock = size_t(8) << 20;
    Staging() = default;
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;
    ~Staging() { release(); }

    void upload(char* dst, const char* src, size_t n, cudaStream_t stream) {
        if (!ready()) {  // no pinned memory to be had: the copy waits for the stream
            check(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, stream), "upload");
            check(cudaStreamSynchronize(stream), "upload");
            return;
        }
        for (size_t done = 0; done < n;) {
            Slot& s = slots_[next_];
            next_ ^= 1;
            if (s.busy) check(cudaEventSynchronize(s.done), "upload");  // its last copy has read it
            const size_t len = std::min(kBlock, n - done);
            std::memcpy(s.host, src + done, len);
            check(cudaMemcpyAsync(dst + done, s.host, len, cudaMemcpyHostToDevice, stream), "upload");
            check(cudaEventRecord(s.done, stream), "upload");
            s.busy = true;
            done += len;
        }
    }
    // Waits for the copies and gives the blocks back (before the stream goes); later uploads wait for the
    // stream.
    void release() {
        for (Slot& s : slots_) {
            if (s.busy) cudaEventSynchronize(s.done);
            if (s.done) cudaEventDestroy(s.done);
            if (s.host) cudaFreeHost(s.host);
            s = Slot{};
        }
        tried_ = true;
    }

private:
    struct Slot {
        char* host = nullptr;
        cudaEvent_t done = nullptr;
        bool busy = false;
    };
    // Allocates the blocks at the first upload; false (and the plain path for good) when that fails.
    bool ready() {
        if (!tried_) {
            tried_ = true;
            for (Slot& s : slots_) {
                void* p = nullptr;
                if (cudaMallocHost(&p, kBlock) != cudaSuccess ||
                    cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming) != cudaSuccess) {
                    cudaGetLastError();
                    if (p) cudaFreeHost(p);
                    release();
                    return false;
                }
                s.host = static_cast<char*>(p);
            }
        }
        return slots_[0].host != nullptr;
    }

    Slot slots_[2];
    int next_ = 0;
    bool tried_ = false;
};

class CudaBuffer : public Buffer {
public:
    CudaBuffer(Backend& b, int device, cudaStream_t stream, Staging& staging, size_t size)
        : backend_(b), device_(device), stream_(stream), staging_(staging), size_(size) {
        DeviceGuard g(device_);
        if (cudaMalloc(&p_, std::max<size_t>(size, 1)) != cudaSuccess) {
            cudaGetLastError();  // clear the sticky-free allocation error
            throw std::runtime_error("cuda: out of device memory allocating " + std::to_string(size >> 20) + " MiB");
        }
    }
    ~CudaBuffer() override {
        DeviceGuard g(device_);
        cudaFree(p_);
    }
    Backend& backend() const override { return backend_; }
    void* base() const override { return p_; }
    size_t size() const override { return size_; }
    bool is_host() const override { return false; }
    void upload(Tensor* t, const void* src, size_t offset, size_t n) override {
        DeviceGuard g(device_);
        staging_.upload(static_cast<char*>(t->data) + offset, static_cast<const char*>(src), n, stream_);
    }
    void download(const Tensor* t, void* dst, size_t offset, size_t n) const override {
        DeviceGuard g(device_);
        check(cudaMemcpyAsync(dst, static_cast<const char*>(t->data) + offset, n, cudaMemcpyDeviceToHost, stream_), "download");
        check(cudaStreamSynchronize(stream_), "download");
    }

private:
    Backend& backend_;
    int device_;
    cudaStream_t stream_;
    Staging& staging_;
    void* p_ = nullptr;
    size_t size_;
};

// What a graph piece launches apart from addresses, for recognising a piece computed before: every
// node's op, parameters, shape, strides and type, and its sources' types, shapes and strides. A decode step
// writes its token's keys and values at a new offset of the cache each time, so addresses are left out:
// equal keys launch the same kernels with the same shapes, whatever their pointers.
std::string launch_key(const Graph& g) {
    std::string k;
    const auto put = [&](const void* p, size_t bytes) { k.append(static_cast<const char*>(p), bytes); };
    for (const Tensor* n : g.nodes) {
        if (is_layout(n->op)) continue;
        put(&n->op, sizeof n->op);
        put(&n->type, sizeof n->type);
        put(n->ne, sizeof n->ne);
        put(n->nb, sizeof n->nb);
        put(n->params, sizeof n->params);
        for (const Tensor* s : n->src) {
            const bool present = s != nullptr;
            put(&present, sizeof present);
            if (!s) continue;
            put(&s->type, sizeof s->type);
            put(s->ne, sizeof s->ne);
            put(s->nb, sizeof s->nb);
        }
    }
    return k;
}

class CudaBackend : public Backend {
public:
    explicit CudaBackend(int index) : index_(index) {
        std::string why;
        const std::vector<DeviceInfo> devs = list_devices(&why);
        if (devs.empty()) throw std::runtime_error("device cuda:" + std::to_string(index) + ": no CUDA device (" + why + ")");
        if (index < 0 || size_t(index) >= devs.size())
            throw std::runtime_error("device cuda:" + std::to_string(index) + ": this machine has " +
                                     std::to_string(devs.size()) + " CUDA device(s)");
        info_ = devs[size_t(index)];
        DeviceGuard g(index_);
        check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
        int sms = 0;
        check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, index_), "cudaDeviceGetAttribute");
        ctx_ = OpContext{stream_, &scratch_, sms};
        const char* graphs = std::getenv("GIRAFFE_CUDA_GRAPHS");
        use_graphs_ = !(graphs && std::strcmp(graphs, "0") == 0) && !profile_.enabled();
    }
    ~CudaBackend() override {
        DeviceGuard g(index_);
        drop_graphs();
        staging_.release();
        cudaStreamDestroy(stream_);
    }

    std::string name() const override { return "CUDA" + std::to_string(index_); }
    std::string description() const override {
        return info_.name + " (compute " + std::to_string(info_.cc_major) + "." + std::to_string(info_.cc_minor) + ", " +
               std::to_string(info_.memory >> 20) + " MiB)";
    }
    size_t alignment() const override { return 256; }
    std::unique_ptr<Buffer> alloc_buffer(size_t size) override {
        return std::make_unique<CudaBuffer>(*this, index_, stream_, staging_, size);
    }

    bool supports(const Tensor* n) const override {
        if (is_layout(n->op)) return true;
        const Tensor* a = n->src[0];
        switch (n->op) {
        case Op::Cpy: case Op::Cont:
            return is_float(a->type) && (is_float(n->type) || (a->type == Type::F32 && cpy_dst_block_type(n->type)));
        case Op::Concat:
            return is_float(a->type) && a->type == n->src[1]->type;
        case Op::GetRows:
            return weight_type_supported(a->type);
        case Op::MulMat:
            return weight_type_supported(a->type) && n->src[1]->type == Type::F32;
        case Op::SoftMax:
            return a->type == Type::F32 && (!n->src[1] || is_float(n->src[1]->type));
        case Op::Argmax:
            return a->type == Type::F32;
        case Op::FlashAttn:
            return a->type == Type::F32 && is_kv_type(n->src[1]->type) && is_kv_type(n->src[2]->type) &&
                   (!n->src[3] || n->src[3]->type == Type::F32) && a->ne[0] <= kFlashAttnMaxHead &&
                   n->src[2]->ne[0] <= kFlashAttnMaxHead;
        case Op::Count:
            return false;
        default:
            // The remaining ops are f32 in and out (their graph builders check it).
            for (const Tensor* s : n->src)
                if (s && s->type != Type::F32 && !(n->op == Op::Rope && s->type == Type::I32)) return false;
            return n->type == Type::F32;
        }
    }

    void compute(const Graph& g) override {
        DeviceGuard dg(index_);
        if (profile_.enabled()) return compute_profiled(g);
        if (!use_graphs_) {
            launch_all(g);
            check(cudaStreamSynchronize(stream_), "compute");
            return;
        }
        // A piece seen the first time is launched directly; from the second time on, its launches are
        // captured into a graph. A piece with a graph already has it updated in place with the new
        // arguments (cudaGraphExecUpdate, far cheaper than instantiating), and the step's kernels then run
        // back to back, without a host launch between them. The first run sized the scratch, so capturing
        // allocates nothing; graphs captured before the scratch last grew would write to the freed block,
        // so they are dropped.
        if (scratch_.generation() != graphs_generation_) {
            drop_graphs();
            graphs_generation_ = scratch_.generation();
        }
        std::string key = launch_key(g);
        auto it = graphs_.find(key);
        if (it == graphs_.end() && key != last_key_) {
            launch_all(g);
            last_key_ = std::move(key);
            check(cudaStreamSynchronize(stream_), "compute");
            return;
        }
        cudaGraph_t graph = capture(g);
        cudaGraphExec_t exec = nullptr;
        if (it != graphs_.end()) {
            cudaGraphExecUpdateResultInfo info{};
            if (cudaGraphExecUpdate(it->second, graph, &info) == cudaSuccess) {
                exec = it->second;
            } else {
                cudaGetLastError();  // not updatable (a kernel's launch shape changed): instantiated anew
                forget(it);
            }
        }
        if (!exec) {
            const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
            if (e != cudaSuccess) cudaGraphDestroy(graph);
            check(e, "cudaGraphInstantiate");
            remember(std::move(key), exec);
        }
        cudaGraphDestroy(graph);
        check(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
        check(cudaStreamSynchronize(stream_), "compute");
    }

private:
    void launch_all(const Graph& g) {
        for (Tensor* n : g.nodes) run(n);
    }

    // g's launches recorded into a graph (the caller destroys it).
    cudaGraph_t capture(const Graph& g) {
        cudaGraph_t graph = nullptr;
        check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
        try {
            launch_all(g);
        } catch (...) {
            cudaStreamEndCapture(stream_, &graph);
            if (graph) cudaGraphDestroy(graph);
            throw;
        }
        check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
        return graph;
    }

    void drop_graphs() {
        for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
        graphs_.clear();
        order_.clear();
    }

    // Captured graphs kept: a session alternates a few shapes (decode steps, prompt micro-batches).
    static constexpr size_t kMaxGraphs = 8;
    void remember(std::string key, cudaGraphExec_t exec) {
        if (graphs_.size() >= kMaxGraphs) {
            const auto oldest = graphs_.find(order_.front());
            cudaGraphExecDestroy(oldest->second);
            graphs_.erase(oldest);
            order_.pop_front();
        }
        order_.push_back(key);
        graphs_.emplace(std::move(key), exec);
    }
    void forget(std::map<std::string, cudaGraphExec_t>::iterator it) {
        cudaGraphExecDestroy(it->second);
        order_.remove(it->first);
        graphs_.erase(it);
    }

    // GIRAFFE_PROFILE=1: each node launched and waited for alone, its time summed per op (and weight type
    // for mul_mat), printed when the backend goes away.
    void compute_profiled(const Graph& g) {
        for (Tensor* n : g.nodes) {
            if (is_layout(n->op)) continue;
            const auto t0 = std::chrono::steady_clock::now();
            run(n);
            check(cudaStreamSynchronize(stream_), "compute");
            std::string key = op_name(n->op);
            if (n->op == Op::MulMat || n->op == Op::GetRows)
                key += std::string(" ") + type_name(n->src[0]->type) + (n->src[1]->ne[1] > 8 ? "" : " vec");
            profile_.add(key, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
    }

    void run(const Tensor* n) {
        const OpContext& c = ctx_;
        switch (n->op) {
        case Op::None: case Op::View: case Op::Reshape: case Op::Permute: case Op::Transpose: return;
        case Op::Cpy: case Op::Cont: op_cpy(c, n); return;
        case Op::Concat: op_concat(c, n); return;
        case Op::GetRows: op_get_rows(c, n); return;
        case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: op_binary(c, n); return;
        case Op::Scale: op_scale(c, n); return;
        case Op::Sqr: op_sqr(c, n); return;
        case Op::Sqrt: op_sqrt(c, n); return;
        case Op::Clamp: op_clamp(c, n); return;
        case Op::Unary: op_unary(c, n); return;
        case Op::Glu: op_glu(c, n); return;
        case Op::RmsNorm: op_rms_norm(c, n); return;
        case Op::Norm: op_norm(c, n); return;
        case Op::SoftMax: op_soft_max(c, n); return;
        case Op::Rope: op_rope(c, n); return;
        case Op::SumRows: case Op::Mean: op_sum_rows(c, n); return;
        case Op::Argmax: op_argmax(c, n); return;
        case Op::MulMat: op_mul_mat(c, n); return;
        case Op::FlashAttn: op_flash_attn(c, n); return;
        case Op::Count: break;
        }
        throw std::logic_error(std::string("cuda: op ") + op_name(n->op) + " not implemented");
    }

    int index_;
    DeviceInfo info_;
    cudaStream_t stream_ = nullptr;
    Staging staging_;
    Scratch scratch_;
    OpContext ctx_{};
    OpProfile profile_{"cuda"};
    bool use_graphs_ = true;
    std::string last_key_;
    std::map<std::string, cudaGraphExec_t> graphs_;
    uint64_t graphs_generation_ = 0;  // scratch_.generation() when graphs_ was last known good
    std::list<std::string> order_;
};

}  // namespace

Scratch::~Scratch() { cudaFree(p_); }

void* Scratch::get(size_t bytes, cudaStream_t stream) {
    if (bytes <= n_) return p_;
    check(cudaStreamSynchronize(stream), "scratch");
    cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
    generation_++;
    check(cudaMalloc(&p_, bytes), "scratch allocation");
    n_ = bytes;
    return p_;
}

std::vector<DeviceInfo> list_devices(std::string* why) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();
        // The runtime's own words for a machine without the driver ("CUDA driver version is insufficient")
        // send people looking for an old driver.
        if (why) *why = e == cudaErrorInsufficientDriver ? "no NVIDIA driver, or one older than this build's CUDA runtime"
                        : e == cudaErrorNoDevice        ? "no CUDA device visible"
                                                        : cudaGetErrorString(e);
        return {};
    }
    if (n == 0 && why) *why = "the driver reports no device";
    std::vector<DeviceInfo> out;
    for (int i = 0; i < n; i++) {
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
        DeviceInfo d;
        d.index = i;
        d.name = p.name;
        d.cc_major = p.major;
        d.cc_minor = p.minor;
        d.memory = p.totalGlobalMem;
        out.push_back(d);
    }
    return out;
}

std::unique_ptr<Backend> make_backend(int index) { return std::make_unique<CudaBackend>(index); }

}  // namespace ggml::GIRAFFE_CUDA_NS

#ifndef GIRAFFE_CUDA_EMULATE
namespace ggml {

std::unique_ptr<Backend> make_cuda_backend(int index) { return cuda::make_backend(index); }

}  // namespace ggml
#endif
