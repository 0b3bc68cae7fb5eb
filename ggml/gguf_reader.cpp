// GgufFile: maps a GGUF file read-only and validates every byte of its structure before use.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>

#include "ggml/gguf.h"
#include "ggml/mapped_pages.h"
#include "ggml/printable.h"

namespace ggml {

namespace {

constexpr int kMaxArrayDepth = 8;          // an array value may hold arrays down to this many levels
constexpr uint64_t kMaxKeyLength = 65535;  // the spec's limit for key names
constexpr size_t kMinKvBytes = 8 + 1 + 4 + 1;        // key length, a 1-byte key, type, a 1-byte value
constexpr size_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name length, n_dims, one dim, type, offset

std::string u64s(uint64_t v) { return std::to_string(v); }


}  // namespace

// Walks the mapped bytes with a cursor; every read is bounds-checked against the file size.
class GgufParser {
public:
    explicit GgufParser(GgufFile& f) : f_(f), p_(f.map_), size_(f.size_) {}

    void parse();

private:
    [[noreturn]] void fail(const std::string& msg) const { throw GgufError(f_.path_ + ": " + msg); }

    void need(uint64_t n) const {
        if (n > size_ - pos_)
            fail("truncated file: unexpected end of file at offset " + u64s(pos_) + " while reading " + ctx_ +
                 " (needs " + u64s(n) + " bytes, " + u64s(size_ - pos_) + " left, file is " + u64s(size_) +
                 " bytes)");
    }
    uint32_t u32() {
        need(4);
        uint32_t v;
        std::memcpy(&v, p_ + pos_, 4);
        pos_ += 4;
        return v;
    }
    uint64_t u64() {
        need(8);
        uint64_t v;
        std::memcpy(&v, p_ + pos_, 8);
        pos_ += 8;
        return v;
    }
    std::string str() {
        const size_t at = pos_;
        const uint64_t n = u64();
        if (n > size_ - pos_)
            fail("string length " + u64s(n) + " at offset " + u64s(at) + " in " + ctx_ +
                 " runs past the end of the file (" + u64s(size_) + " bytes)");
        std::string s(reinterpret_cast<const char*>(p_ + pos_), size_t(n));
        pos_ += size_t(n);
        return s;
    }
    GgufType value_type(const char* what) {
        const size_t at = pos_;
        const uint32_t t = u32();
        if (t > uint32_t(GgufType::F64))
            fail(ctx_ + ": unknown " + what + " " + std::to_string(t) + " at offset " + u64s(at));
        return GgufType(t);
    }

    GgufValue value(GgufType t);
    GgufValue array(int depth);
    void check_bools(const uint8_t* p, size_t n, size_t at);
    void tensor_info(GgufTensorInfo& ti);
    void layout();

    GgufFile& f_;
    const uint8_t* p_;
    size_t size_;
    size_t pos_ = 0;
    std::string ctx_ = "header";
};

void GgufParser::check_bools(const uint8_t* p, size_t n, size_t at) {
    for (size_t i = 0; i < n; i++)
        if (p[i] > 1)
            fail(ctx_ + ": invalid bool value " + std::to_string(p[i]) + " at offset " + u64s(at + i));
}

GgufValue GgufParser::value(GgufType t) {
    if (t == GgufType::STRING) return GgufValue::str(str());
    if (t == GgufType::ARRAY) return array(1);
    const size_t n = gguf_type_size(t);
    need(n);
    if (t == GgufType::BOOL) check_bools(p_ + pos_, 1, pos_);
    GgufValue v;
    v.type_ = t;
    std::memcpy(&v.bits_, p_ + pos_, n);
    pos_ += n;
    return v;
}

GgufValue GgufParser::array(int depth) {
    if (depth > kMaxArrayDepth)
        fail(ctx_ + ": arrays nested too deep (more than " + std::to_string(kMaxArrayDepth) + " levels)");
    const GgufType elem = value_type("array element type");
    const size_t at = pos_;
    const uint64_t count = u64();
    const size_t es = gguf_type_size(elem);
    const size_t min_bytes = elem == GgufType::STRING ? 8 : elem == GgufType::ARRAY ? 12 : es;
    const size_t left = size_ - pos_;
    if (count > left / min_bytes)
        fail(ctx_ + ": array count " + u64s(count) + " at offset " + u64s(at) + " is too large for the " +
             u64s(left) + " bytes left in the file");
    GgufValue v;
    v.type_ = GgufType::ARRAY;
    v.elem_ = elem;
    v.count_ = size_t(count);
    if (elem == GgufType::STRING) {
        v.strs_.reserve(size_t(count));
        for (uint64_t i = 0; i < count; i++) v.strs_.push_back(str());
    } else if (elem == GgufType::ARRAY) {
        v.arrs_.reserve(size_t(count));
        for (uint64_t i = 0; i < count; i++) v.arrs_.push_back(array(depth + 1));
    } else {
        const size_t n = size_t(count) * es;
        if (elem == GgufType::BOOL) check_bools(p_ + pos_, n, pos_);
        v.raw_.assign(p_ + pos_, p_ + pos_ + n);
        pos_ += n;
    }
    return v;
}

void GgufParser::tensor_info(GgufTensorInfo& ti) {
    ti.name = str();
    if (ti.name.empty()) fail(ctx_ + ": empty tensor name");
    const std::string nm = printable(ti.name);
    ctx_ = "tensor info '" + nm + "'";
    const size_t at = pos_;
    const uint32_t n_dims = u32();
    if (n_dims < 1 || n_dims > 4)
        fail("tensor '" + nm + "': n_dims " + std::to_string(n_dims) + " at offset " + u64s(at) +
             " is out of range (1..4)");
    ti.n_dims = int(n_dims);
    for (uint32_t d = 0; d < n_dims; d++) {
        const uint64_t ne = u64();
        if (ne > uint64_t(std::numeric_limits<int64_t>::max()))
            fail("tensor '" + nm + "': dimension " + std::to_string(d) + " is " + u64s(ne) +
                 ", which is negative as int64");
        ti.ne[d] = int64_t(ne);
    }
    const uint32_t type_id = u32();
    if (!type_known(type_id))
        fail("tensor '" + nm + "': unknown or unsupported tensor type " + std::to_string(type_id));
    ti.type = Type(type_id);
    ti.offset = u64();

    std::string shape;
    for (int d = 0; d < ti.n_dims; d++) shape += (d ? ", " : "") + std::to_string(ti.ne[d]);
    int64_t n = 1;
    for (int d = 0; d < 4; d++)
        if (__builtin_mul_overflow(n, ti.ne[d], &n))
            fail("tensor '" + nm + "': shape [" + shape + "] has too many elements (overflows int64)");
    const TypeTraits& tr = type_traits(ti.type);
    if (ti.ne[0] % tr.block_size != 0)
        fail("tensor '" + nm + "': ne[0] = " + std::to_string(ti.ne[0]) + " is not a multiple of the " +
             tr.name + " block size " + std::to_string(tr.block_size));
    uint64_t bytes = uint64_t(ti.ne[0] / tr.block_size);
    bool overflow = __builtin_mul_overflow(bytes, uint64_t(tr.block_bytes), &bytes);
    for (int d = 1; d < 4; d++) overflow = overflow || __builtin_mul_overflow(bytes, uint64_t(ti.ne[d]), &bytes);
    if (overflow || bytes > uint64_t(std::numeric_limits<int64_t>::max()) ||
        bytes > uint64_t(std::numeric_limits<size_t>::max()))
        fail("tensor '" + nm + "': shape [" + shape + "] of type " + tr.name + " has a byte size that overflows");
    ti.size = size_t(bytes);
}

void GgufParser::parse() {
    ctx_ = "magic";
    need(4);
    if (std::memcmp(p_, "GGUF", 4) != 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%02x %02x %02x %02x", p_[0], p_[1], p_[2], p_[3]);
        fail(std::string("not a GGUF file: bad magic (bytes ") + buf + ", expected \"GGUF\")");
    }
    pos_ = 4;
    ctx_ = "version";
    const uint32_t version = u32();
    if (version != 2 && version != 3) {
        std::string hint;
        if (version != 0 && (version & 0xffff) == 0) hint = " (looks like a big-endian file, which is not supported)";
        fail("unsupported GGUF version " + std::to_string(version) + hint + "; versions 2 and 3 are supported");
    }
    f_.version_ = version;
    ctx_ = "tensor count";
    const uint64_t n_tensors = u64();
    ctx_ = "metadata count";
    const uint64_t n_kv = u64();
    const size_t left = size_ - pos_;
    if (n_tensors > left / kMinTensorInfoBytes)
        fail("tensor count " + u64s(n_tensors) + " is impossible for a file of " + u64s(size_) + " bytes");
    if (n_kv > left / kMinKvBytes)
        fail("metadata (kv) count " + u64s(n_kv) + " is impossible for a file of " + u64s(size_) + " bytes");
    if (n_tensors * kMinTensorInfoBytes + n_kv * kMinKvBytes > left)
        fail("tensor count " + u64s(n_tensors) + " and metadata count " + u64s(n_kv) +
             " are impossible for a file of " + u64s(size_) + " bytes");

    f_.kvs_.reserve(size_t(n_kv));
    for (uint64_t i = 0; i < n_kv; i++) {
        ctx_ = "key of metadata entry " + u64s(i);
        const size_t at = pos_;
        const uint64_t klen = u64();
        if (klen == 0) fail("metadata entry " + u64s(i) + " at offset " + u64s(at) + " has an empty key");
        if (klen > kMaxKeyLength)
            fail("metadata entry " + u64s(i) + " at offset " + u64s(at) + " has a key of " + u64s(klen) +
                 " bytes (at most " + u64s(kMaxKeyLength) + " allowed)");
        pos_ = at;
        GgufKv kv;
        kv.key = str();
        ctx_ = "key '" + printable(kv.key) + "'";
        if (f_.kv_index_.count(kv.key)) fail("duplicate key '" + printable(kv.key) + "' at offset " + u64s(at));
        const GgufType t = value_type("value type");
        kv.value = value(t);
        f_.kv_index_.emplace(kv.key, f_.kvs_.size());
        f_.kvs_.push_back(std::move(kv));
    }

    f_.tensors_.reserve(size_t(n_tensors));
    for (uint64_t i = 0; i < n_tensors; i++) {
        ctx_ = "tensor info " + u64s(i);
        GgufTensorInfo ti;
        tensor_info(ti);
        if (f_.tensor_index_.count(ti.name)) fail("duplicate tensor name '" + printable(ti.name) + "'");
        f_.tensor_index_.emplace(ti.name, f_.tensors_.size());
        f_.tensors_.push_back(std::move(ti));
    }
    layout();
}

// Alignment, data section and per-tensor ranges.
void GgufParser::layout() {
    if (const GgufValue* a = f_.find("general.alignment")) {
        if (a->type() != GgufType::U32)
            fail("key 'general.alignment' has type " + a->type_string() + ", expected u32");
        const uint32_t al = a->as_u32();
        if (al == 0 || (al & (al - 1)) != 0)
            fail("key 'general.alignment' is " + std::to_string(al) + ": the alignment must be a nonzero power of two");
        f_.alignment_ = al;
    }
    const uint64_t al = f_.alignment_;
    const uint64_t data_offset = (uint64_t(pos_) + al - 1) / al * al;
    f_.data_offset_ = size_t(data_offset);
    const uint64_t avail = data_offset <= size_ ? size_ - data_offset : 0;

    for (const GgufTensorInfo& t : f_.tensors_) {
        if (t.offset % al != 0)
            fail("tensor '" + printable(t.name) + "' offset " + u64s(t.offset) + " is not a multiple of the alignment " +
                 u64s(al));
        if (data_offset > size_ || t.offset > avail || t.size > avail - t.offset)
            fail("tensor '" + printable(t.name) + "' data [offset " + u64s(t.offset) + ", size " + u64s(t.size) +
                 "] runs past the end of the file (data section starts at " + u64s(data_offset) + ", file is " +
                 u64s(size_) + " bytes)");
    }

    std::vector<size_t> order(f_.tensors_.size());
    std::iota(order.begin(), order.end(), size_t(0));
    const auto& ts = f_.tensors_;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return ts[a].offset != ts[b].offset ? ts[a].offset < ts[b].offset : ts[a].size < ts[b].size;
    });
    for (size_t i = 1; i < order.size(); i++) {
        const GgufTensorInfo& prev = ts[order[i - 1]];
        const GgufTensorInfo& cur = ts[order[i]];
        if (cur.offset < prev.offset + prev.size)
            fail("tensor '" + printable(cur.name) + "' data [offset " + u64s(cur.offset) + ", size " + u64s(cur.size) +
                 "] overlaps tensor '" + printable(prev.name) + "' [offset " + u64s(prev.offset) + ", size " +
                 u64s(prev.size) + "]");
    }
}

// ---- GgufFile ----

GgufFile GgufFile::open(const std::string& path) {
    GgufFile f;
    f.path_ = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw GgufError(path + ": cannot open: " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        throw GgufError(path + ": cannot stat: " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw GgufError(path + ": not a regular file");
    }
    f.size_ = size_t(st.st_size);
    if (f.size_ > 0) {
        void* m = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            throw GgufError(path + ": cannot map " + std::to_string(f.size_) + " bytes: " + std::strerror(e));
        }
        f.map_ = static_cast<uint8_t*>(m);
    }
    ::close(fd);  // the mapping stays valid
    static const uint8_t empty = 0;
    if (!f.map_) f.map_ = const_cast<uint8_t*>(&empty), f.size_ = 0;
    GgufParser(f).parse();  // on error f's destructor unmaps
    return f;
}

void GgufFile::drop_pages(const void* p, size_t n) const {
    const uintptr_t map_lo = uintptr_t(map_), map_hi = map_lo + size_;
    if (size_ == 0 || uintptr_t(p) < map_lo || uintptr_t(p) + n > map_hi) return;
    drop_mapped_pages(p, n);
}

void GgufFile::release() {
    if (map_ && size_ > 0) munmap(map_, size_);
    map_ = nullptr;
    size_ = 0;
}

GgufFile::~GgufFile() { release(); }

GgufFile::GgufFile(GgufFile&& o) noexcept { *this = std::move(o); }

GgufFile& GgufFile::operator=(GgufFile&& o) noexcept {
    if (this != &o) {
        release();
        path_ = std::move(o.path_);
        map_ = o.map_;
        size_ = o.size_;
        version_ = o.version_;
        alignment_ = o.alignment_;
        data_offset_ = o.data_offset_;
        kvs_ = std::move(o.kvs_);
        kv_index_ = std::move(o.kv_index_);
        tensors_ = std::move(o.tensors_);
        tensor_index_ = std::move(o.tensor_index_);
        o.map_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

const GgufValue* GgufFile::find(const std::string& key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::fail_key(const std::string& key, const std::string& what) const {
    throw GgufError(path_ + ": key '" + printable(key) + "' " + what);
}

const GgufValue& GgufFile::get(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v) fail_key(key, "is missing");
    return *v;
}

// Runs f on the key's value, turning a GgufValue error into one naming the file and the key.
template <class F>
auto GgufFile::with_key(const std::string& key, F&& f) const -> decltype(f(GgufValue())) {
    const GgufValue& v = get(key);
    try {
        return f(v);
    } catch (const GgufError& e) {
        const std::string msg = e.what();
        throw GgufError(path_ + ": key '" + printable(key) + "'" + (msg.compare(0, 6, "value ") == 0 ? ": " : " ") + msg);
    }
}

namespace {
template <class T>
T fit_signed(int64_t v, const char* name) {
    if (v < int64_t(std::numeric_limits<T>::min()) || v > int64_t(std::numeric_limits<T>::max()))
        throw GgufError("value " + std::to_string(v) + " does not fit in " + name);
    return T(v);
}
}  // namespace

uint32_t GgufFile::get_u32(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) {
        const uint64_t x = v.as_uint64();
        if (x > std::numeric_limits<uint32_t>::max()) throw GgufError("value " + u64s(x) + " does not fit in u32");
        return uint32_t(x);
    });
}
int32_t GgufFile::get_i32(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return fit_signed<int32_t>(v.as_int64(), "i32"); });
}
uint64_t GgufFile::get_u64(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_uint64(); });
}
int64_t GgufFile::get_i64(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_int64(); });
}
float GgufFile::get_f32(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return float(v.as_float()); });
}
double GgufFile::get_f64(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_float(); });
}
bool GgufFile::get_bool(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_bool(); });
}
const std::string& GgufFile::get_str(const std::string& key) const {
    return *with_key(key, [](const GgufValue& v) { return &v.as_str(); });
}
const std::vector<std::string>& GgufFile::get_str_array(const std::string& key) const {
    return *with_key(key, [](const GgufValue& v) { return &v.as_str_array(); });
}
std::vector<float> GgufFile::get_f32_array(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_f32_array(); });
}
std::vector<int32_t> GgufFile::get_i32_array(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_i32_array(); });
}
std::vector<uint32_t> GgufFile::get_u32_array(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_u32_array(); });
}
std::vector<int64_t> GgufFile::get_i64_array(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_i64_array(); });
}
std::vector<bool> GgufFile::get_bool_array(const std::string& key) const {
    return with_key(key, [](const GgufValue& v) { return v.as_bool_array(); });
}

uint32_t GgufFile::get_u32(const std::string& key, uint32_t def) const { return has(key) ? get_u32(key) : def; }
int32_t GgufFile::get_i32(const std::string& key, int32_t def) const { return has(key) ? get_i32(key) : def; }
uint64_t GgufFile::get_u64(const std::string& key, uint64_t def) const { return has(key) ? get_u64(key) : def; }
int64_t GgufFile::get_i64(const std::string& key, int64_t def) const { return has(key) ? get_i64(key) : def; }
float GgufFile::get_f32(const std::string& key, float def) const { return has(key) ? get_f32(key) : def; }
double GgufFile::get_f64(const std::string& key, double def) const { return has(key) ? get_f64(key) : def; }
bool GgufFile::get_bool(const std::string& key, bool def) const { return has(key) ? get_bool(key) : def; }
std::string GgufFile::get_str(const std::string& key, const std::string& def) const {
    return has(key) ? get_str(key) : def;
}

}  // namespace ggml
