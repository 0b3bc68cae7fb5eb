// GgufWriter: collects metadata and tensors and writes a GGUF v3 file atomically (temp file + rename).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "ggml/gguf.h"

namespace ggml {

namespace {

constexpr uint32_t kDefaultAlignment = 32;
const char* const kAlignmentKey = "general.alignment";

bool power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// Buffered writes to a file descriptor; every failure throws GgufError naming the final path.
class FdOut {
public:
    FdOut(int fd, const std::string& path) : fd_(fd), path_(path) { buf_.reserve(kBuf); }

    void put(const void* data, size_t n) {
        const uint8_t* p = static_cast<const uint8_t*>(data);
        if (buf_.size() + n > kBuf) flush();
        if (n >= kBuf) {
            raw_write(p, n);
        } else {
            buf_.insert(buf_.end(), p, p + n);
        }
        written_ += n;
    }
    void u32(uint32_t v) { put(&v, 4); }
    void u64(uint64_t v) { put(&v, 8); }
    void str(const std::string& s) {
        u64(s.size());
        put(s.data(), s.size());
    }
    void zeros(size_t n) {
        static const uint8_t z[256] = {};
        while (n > 0) {
            const size_t k = n < sizeof z ? n : sizeof z;
            put(z, k);
            n -= k;
        }
    }
    void pad_to(uint64_t alignment) { zeros(size_t((alignment - written_ % alignment) % alignment)); }
    uint64_t written() const { return written_; }

    void flush() {
        raw_write(buf_.data(), buf_.size());
        buf_.clear();
    }

private:
    static constexpr size_t kBuf = size_t(1) << 20;

    void raw_write(const uint8_t* p, size_t n) {
        while (n > 0) {
            const ssize_t k = ::write(fd_, p, n);
            if (k < 0) {
                if (errno == EINTR) continue;
                throw GgufError(path_ + ": write failed: " + std::strerror(errno));
            }
            if (k == 0) throw GgufError(path_ + ": write failed: no progress");
            p += k;
            n -= size_t(k);
        }
    }

    int fd_;
    const std::string& path_;
    std::vector<uint8_t> buf_;
    uint64_t written_ = 0;
};

void put_array_body(FdOut& out, const GgufValue& v);

void put_value(FdOut& out, const GgufValue& v) {
    switch (v.type()) {
        case GgufType::U8: { const uint8_t x = v.as_u8(); out.put(&x, 1); break; }
        case GgufType::I8: { const int8_t x = v.as_i8(); out.put(&x, 1); break; }
        case GgufType::U16: { const uint16_t x = v.as_u16(); out.put(&x, 2); break; }
        case GgufType::I16: { const int16_t x = v.as_i16(); out.put(&x, 2); break; }
        case GgufType::U32: { const uint32_t x = v.as_u32(); out.put(&x, 4); break; }
        case GgufType::I32: { const int32_t x = v.as_i32(); out.put(&x, 4); break; }
        case GgufType::F32: { const float x = v.as_f32(); out.put(&x, 4); break; }
        case GgufType::BOOL: { const uint8_t x = v.as_bool() ? 1 : 0; out.put(&x, 1); break; }
        case GgufType::STRING: out.str(v.as_str()); break;
        case GgufType::ARRAY: put_array_body(out, v); break;
        case GgufType::U64: { const uint64_t x = v.as_u64(); out.put(&x, 8); break; }
        case GgufType::I64: { const int64_t x = v.as_i64(); out.put(&x, 8); break; }
        case GgufType::F64: { const double x = v.as_f64(); out.put(&x, 8); break; }
    }
}

// Element type, count and elements (nested arrays are written this way too, without a value-type tag).
void put_array_body(FdOut& out, const GgufValue& v) {
    out.u32(uint32_t(v.array_type()));
    out.u64(v.array_size());
    if (v.array_type() == GgufType::STRING) {
        for (const std::string& s : v.as_str_array()) out.str(s);
    } else if (v.array_type() == GgufType::ARRAY) {
        for (const GgufValue& e : v.as_arrays()) put_array_body(out, e);
    } else if (v.array_size() > 0) {
        out.put(v.array_data(), v.array_bytes());
    }
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
    if (key.empty()) throw GgufError("GgufWriter: empty key");
    if (key.size() > 65535) throw GgufError("GgufWriter: key of " + std::to_string(key.size()) + " bytes is too long");
    if (key == kAlignmentKey) {
        if (value.type() != GgufType::U32)
            throw GgufError("GgufWriter: key 'general.alignment' has type " + value.type_string() + ", expected u32");
        if (!power_of_two(value.as_u32()))
            throw GgufError("GgufWriter: alignment " + std::to_string(value.as_u32()) +
                            " is not a nonzero power of two");
        alignment_ = value.as_u32();
    }
    auto it = kv_index_.find(key);
    if (it != kv_index_.end()) {
        kvs_[it->second].value = std::move(value);
        return;
    }
    kv_index_.emplace(key, kvs_.size());
    kvs_.push_back(GgufKv{key, std::move(value)});
}

bool GgufWriter::remove(const std::string& key) {
    auto it = kv_index_.find(key);
    if (it == kv_index_.end()) return false;
    kvs_.erase(kvs_.begin() + std::ptrdiff_t(it->second));
    kv_index_.clear();
    for (size_t i = 0; i < kvs_.size(); i++) kv_index_.emplace(kvs_[i].key, i);
    if (key == kAlignmentKey) alignment_ = kDefaultAlignment;
    return true;
}

const GgufValue* GgufWriter::find(const std::string& key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

void GgufWriter::copy_kvs(const GgufFile& f) {
    for (const GgufKv& kv : f.kvs()) set(kv.key, kv.value);
}

void GgufWriter::set_alignment(uint32_t n) { set(kAlignmentKey, GgufValue::u32(n)); }

void GgufWriter::add_tensor(const std::string& name, Type type, int n_dims, const int64_t* ne, const void* data) {
    add_tensor_impl(name, type, n_dims, ne, data, nullptr);
}

void GgufWriter::add_tensor(const std::string& name, Type type, int n_dims, const int64_t* ne, TensorFill fill) {
    if (!fill) throw GgufError("GgufWriter: tensor '" + name + "': empty fill function");
    add_tensor_impl(name, type, n_dims, ne, nullptr, std::move(fill));
}

void GgufWriter::add_tensor_impl(const std::string& name, Type type, int n_dims, const int64_t* ne,
                                 const void* data, TensorFill fill) {
    const std::string what = "GgufWriter: tensor '" + name + "': ";
    if (name.empty()) throw GgufError("GgufWriter: empty tensor name");
    if (tensor_index_.count(name)) throw GgufError(what + "duplicate tensor name");
    if (!type_known(uint32_t(type))) throw GgufError(what + "unknown tensor type " + std::to_string(uint32_t(type)));
    if (n_dims < 1 || n_dims > 4) throw GgufError(what + "n_dims " + std::to_string(n_dims) + " is out of range (1..4)");
    Tensor t;
    t.info.name = name;
    t.info.type = type;
    t.info.n_dims = n_dims;
    for (int d = 0; d < n_dims; d++) {
        if (ne[d] < 0) throw GgufError(what + "negative dimension " + std::to_string(ne[d]));
        t.info.ne[d] = ne[d];
    }
    const TypeTraits& tr = type_traits(type);
    if (t.info.ne[0] % tr.block_size != 0)
        throw GgufError(what + "ne[0] = " + std::to_string(t.info.ne[0]) + " is not a multiple of the " + tr.name +
                        " block size " + std::to_string(tr.block_size));
    uint64_t bytes = uint64_t(t.info.ne[0] / tr.block_size);
    int64_t n = 1;
    bool overflow = __builtin_mul_overflow(bytes, uint64_t(tr.block_bytes), &bytes);
    for (int d = 0; d < 4; d++) overflow = overflow || __builtin_mul_overflow(n, t.info.ne[d], &n);
    for (int d = 1; d < 4; d++) overflow = overflow || __builtin_mul_overflow(bytes, uint64_t(t.info.ne[d]), &bytes);
    if (overflow || bytes > uint64_t(std::numeric_limits<int64_t>::max())) throw GgufError(what + "size overflows");
    t.info.size = size_t(bytes);
    if (!fill && !data && t.info.size > 0) throw GgufError(what + "null data");
    t.data = data;
    t.fill = std::move(fill);
    tensor_index_.emplace(name, tensors_.size());
    tensors_.push_back(std::move(t));
}

void GgufWriter::write(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw GgufError(path + ": cannot create temporary file '" + tmp + "': " + std::strerror(errno));
    try {
        FdOut out(fd, path);
        const uint64_t al = alignment_;
        out.put("GGUF", 4);
        out.u32(3);
        out.u64(tensors_.size());
        out.u64(kvs_.size());
        for (const GgufKv& kv : kvs_) {
            out.str(kv.key);
            out.u32(uint32_t(kv.value.type()));
            put_value(out, kv.value);
        }
        uint64_t offset = 0;
        for (const Tensor& t : tensors_) {
            out.str(t.info.name);
            out.u32(uint32_t(t.info.n_dims));
            for (int d = 0; d < t.info.n_dims; d++) out.u64(uint64_t(t.info.ne[d]));
            out.u32(uint32_t(t.info.type));
            out.u64(offset);
            offset += (t.info.size + al - 1) / al * al;
        }
        out.pad_to(al);
        for (const Tensor& t : tensors_) {
            if (t.fill) {
                uint64_t got = 0;
                const ByteSink sink = [&](const void* p, size_t n) {
                    if (n > t.info.size - got)
                        throw GgufError(path + ": tensor '" + t.info.name + "': fill produced more than " +
                                        std::to_string(t.info.size) + " bytes");
                    out.put(p, n);
                    got += n;
                };
                try {
                    t.fill(sink);
                } catch (const GgufError&) {
                    throw;
                } catch (const std::exception& e) {
                    throw GgufError(path + ": writing tensor '" + t.info.name + "' failed: " + e.what());
                }
                if (got != t.info.size)
                    throw GgufError(path + ": tensor '" + t.info.name + "': fill produced " + std::to_string(got) +
                                    " bytes, expected " + std::to_string(t.info.size));
            } else if (t.info.size > 0) {
                out.put(t.data, t.info.size);
            }
            out.pad_to(al);
        }
        out.flush();
        if (::fsync(fd) != 0) throw GgufError(path + ": fsync failed: " + std::strerror(errno));
        const int rc = ::close(fd);
        fd = -1;
        if (rc != 0) throw GgufError(path + ": close failed: " + std::strerror(errno));
        if (::rename(tmp.c_str(), path.c_str()) != 0)
            throw GgufError(path + ": cannot rename temporary file into place: " + std::strerror(errno));
    } catch (const GgufError&) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    } catch (const std::exception& e) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw GgufError(path + ": write failed: " + e.what());
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
}

}  // namespace ggml
