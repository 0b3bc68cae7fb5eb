// Safetensors reader: maps each file read-only and validates its whole header before handing out tensors.
#include "convert/safetensors.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "ggml/type.h"
#include "ggml/printable.h"

namespace giraffe::convert {

namespace {

using nlohmann::json;

// The safetensors library refuses headers over 100 MB too; real ones are a few MB at most.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// An index is a name-to-file map: even 100,000 tensors take a few MB.
constexpr uint64_t kMaxIndexBytes = 100'000'000;
// A header nests three levels (object, entry, shape); the limit keeps hostile nesting cheap.
constexpr int kMaxJsonDepth = 32;
// More dimensions than any model tensor has; bounds the work a hostile shape can ask for.
constexpr size_t kMaxRank = 8;

struct DtypeInfo {
    StDtype dtype;
    const char* name;
    size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {StDtype::F64, "F64", 8},         {StDtype::F32, "F32", 4},   {StDtype::F16, "F16", 2},
    {StDtype::BF16, "BF16", 2},       {StDtype::I64, "I64", 8},   {StDtype::I32, "I32", 4},
    {StDtype::I16, "I16", 2},         {StDtype::I8, "I8", 1},     {StDtype::U8, "U8", 1},
    {StDtype::BOOL, "BOOL", 1},       {StDtype::F8_E4M3, "F8_E4M3", 1},
    {StDtype::F8_E5M2, "F8_E5M2", 1},
};

const DtypeInfo* dtype_info(StDtype t) {
    for (const DtypeInfo& d : kDtypes)
        if (d.dtype == t) return &d;
    return nullptr;
}

const DtypeInfo* dtype_by_name(const std::string& name) {
    for (const DtypeInfo& d : kDtypes)
        if (name == d.name) return &d;
    return nullptr;
}

std::string known_dtypes() {
    std::string s;
    for (const DtypeInfo& d : kDtypes) s += (s.empty() ? "" : " ") + std::string(d.name);
    return s;
}

using ggml::printable;

std::string u64s(uint64_t v) { return std::to_string(v); }

// "an object", "a string", ... for messages about a JSON value of the wrong kind.
std::string a_kind(const nlohmann::json& v) {
    const std::string t = v.type_name();
    return (t == "object" || t == "array" ? "an " : "a ") + t;
}

[[noreturn]] void fail(const std::string& path, const std::string& msg) { throw ConvertError(path + ": " + msg); }

[[noreturn]] void fail_tensor(const std::string& path, const std::string& name, const std::string& msg) {
    fail(path, "tensor '" + printable(name) + "': " + msg);
}

// Parses JSON text. nlohmann keeps the last of two equal keys silently, and a duplicate tensor name would
// hide a tensor, so a parser callback tracks each open object's keys and refuses a repeat. `what` names the
// text in messages ("header", "index"); in a header, the top-level keys are tensor names.
json parse_json(const std::string& path, const char* begin, const char* end, const std::string& what) {
    std::vector<std::set<std::string>> open_keys;  // one set per object being parsed
    auto check = [&](int depth, json::parse_event_t ev, json& parsed) {
        if ((ev == json::parse_event_t::object_start || ev == json::parse_event_t::array_start) &&
            depth >= kMaxJsonDepth)
            fail(path, what + " nests JSON deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        if (ev == json::parse_event_t::object_start) open_keys.emplace_back();
        if (ev == json::parse_event_t::object_end) open_keys.pop_back();
        if (ev == json::parse_event_t::key && !open_keys.empty()) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!open_keys.back().insert(key).second) {
                if (what == "header" && open_keys.size() == 1 && key != "__metadata__")
                    fail_tensor(path, key, "duplicate name in the header");
                fail(path, what + " has the key '" + printable(key) + "' twice in one object");
            }
        }
        return true;
    };
    try {
        return json::parse(begin, end, check, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::exception& e) {
        std::string msg = e.what();  // "[json.exception.parse_error.101] parse error at ..."
        if (msg.rfind("[json.exception.", 0) == 0 && msg.find("] ") != std::string::npos)
            msg = msg.substr(msg.find("] ") + 2);
        fail(path, what + " is not valid JSON: " + printable(msg, 400));
    }
}

// ---- one file ----

uint64_t read_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

// "[2, 3]" from a validated shape.
std::string shape_str(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

const json& member(const std::string& path, const std::string& name, const json& entry, const char* key) {
    auto it = entry.find(key);
    if (it == entry.end()) fail_tensor(path, name, std::string("missing '") + key + "'");
    return *it;
}

const DtypeInfo& read_dtype(const std::string& path, const std::string& name, const json& entry) {
    const json& v = member(path, name, entry, "dtype");
    if (!v.is_string()) fail_tensor(path, name, "'dtype' is " + a_kind(v) + ", not a string");
    const std::string& s = v.get_ref<const std::string&>();
    const DtypeInfo* d = dtype_by_name(s);
    if (!d) fail_tensor(path, name, "unknown dtype '" + printable(s) + "' (known: " + known_dtypes() + ")");
    return *d;
}

std::vector<int64_t> read_shape(const std::string& path, const std::string& name, const json& entry) {
    const json& v = member(path, name, entry, "shape");
    if (!v.is_array()) fail_tensor(path, name, "'shape' is " + a_kind(v) + ", not an array");
    if (v.size() > kMaxRank)
        fail_tensor(path, name, "shape has " + u64s(v.size()) + " dimensions (at most " + u64s(kMaxRank) + ")");
    std::vector<int64_t> shape;
    for (const json& d : v) {
        // nlohmann stores non-negative integers as unsigned, negative ones (and -0) as signed, and integers
        // beyond 64 bits as floating point.
        if (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0)
            fail_tensor(path, name, "shape " + printable(v.dump()) + " has a negative dimension");
        if (!d.is_number_integer() || (d.is_number_unsigned() && d.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
            fail_tensor(path, name, "shape " + printable(v.dump()) + " has an entry that is not an integer in int64 range");
        shape.push_back(d.is_number_unsigned() ? int64_t(d.get<uint64_t>()) : 0);
    }
    return shape;
}

// Bytes the tensor needs, overflow-checked.
uint64_t tensor_bytes(const std::string& path, const std::string& name, const DtypeInfo& d,
                      const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t x : shape)
        if (__builtin_mul_overflow(n, x, &n))
            fail_tensor(path, name, "shape " + shape_str(shape) + " has too many elements (overflows int64)");
    uint64_t bytes;
    if (__builtin_mul_overflow(uint64_t(n), uint64_t(d.size), &bytes))
        fail_tensor(path, name, "shape " + shape_str(shape) + " of " + d.name + " has a byte size that overflows");
    return bytes;
}

// [begin, end] relative to the data section, checked against it and against the tensor's size.
std::pair<uint64_t, uint64_t> read_offsets(const std::string& path, const std::string& name, const json& entry,
                                           uint64_t data_size, uint64_t need, const std::string& what) {
    const json& v = member(path, name, entry, "data_offsets");
    if (!v.is_array() || v.size() != 2 || !v[0].is_number_unsigned() || !v[1].is_number_unsigned())
        fail_tensor(path, name, "'data_offsets' " + printable(v.dump()) + " is not [begin, end] of two non-negative integers");
    const uint64_t b = v[0].get<uint64_t>(), e = v[1].get<uint64_t>();
    const std::string offs = "data_offsets [" + u64s(b) + ", " + u64s(e) + "]";
    if (b > e) fail_tensor(path, name, offs + ": begin is after end");
    if (e > data_size)
        fail_tensor(path, name, offs + " run past the end of the data section (" + u64s(data_size) + " bytes)");
    if (e - b != need)
        fail_tensor(path, name, offs + " hold " + u64s(e - b) + " bytes, but " + what + " needs " + u64s(need));
    return {b, e};
}

StTensor read_tensor(const std::string& path, const std::string& name, const json& entry, const uint8_t* data,
                     uint64_t data_size) {
    if (name.empty()) fail(path, "a tensor has an empty name");
    if (!entry.is_object()) fail_tensor(path, name, "entry is " + a_kind(entry) + ", not an object");
    StTensor t;
    t.name = name;
    const DtypeInfo& d = read_dtype(path, name, entry);
    t.dtype = d.dtype;
    t.shape = read_shape(path, name, entry);
    const uint64_t need = tensor_bytes(path, name, d, t.shape);
    const auto [b, e] = read_offsets(path, name, entry, data_size, need, std::string(d.name) + " " + shape_str(t.shape));
    t.data = data + b;
    t.nbytes = size_t(e - b);
    return t;
}

std::map<std::string, std::string> read_metadata(const std::string& path, const json& v) {
    if (!v.is_object()) fail(path, "__metadata__ is " + a_kind(v) + ", not an object of strings");
    std::map<std::string, std::string> m;
    for (const auto& [k, x] : v.items()) {
        if (!x.is_string())
            fail(path, "__metadata__ '" + printable(k) + "' is " + a_kind(x) + ", not a string");
        m.emplace(k, x.get<std::string>());
    }
    return m;
}

// Sorts by data offset and refuses overlapping ranges. Empty tensors overlap nothing.
void sort_and_check_overlaps(const std::string& path, std::vector<StTensor>& ts, const uint8_t* data) {
    std::sort(ts.begin(), ts.end(), [](const StTensor& a, const StTensor& b) {
        return a.data != b.data ? a.data < b.data : a.nbytes < b.nbytes;
    });
    const StTensor* last = nullptr;  // the non-empty tensor reaching furthest so far
    for (const StTensor& t : ts) {
        if (t.nbytes == 0) continue;
        if (last && t.data < last->data + last->nbytes) {
            auto range = [&](const StTensor& x) {
                return "[" + u64s(uint64_t(x.data - data)) + ", " + u64s(uint64_t(x.data - data) + x.nbytes) + "]";
            };
            fail_tensor(path, t.name, "data_offsets " + range(t) + " overlap tensor '" + printable(last->name) + "' " +
                                          range(*last));
        }
        last = &t;
    }
}

// Validates the mapped bytes: u64 header length | JSON header | data.
std::vector<StTensor> read_header(const std::string& path, const uint8_t* p, size_t size,
                                  std::map<std::string, std::string>& metadata) {
    const uint64_t n = read_u64_le(p);
    if (n > kMaxHeaderBytes)
        fail(path, "header length " + u64s(n) + " is over the limit of " + u64s(kMaxHeaderBytes) +
                       " bytes (not a safetensors file?)");
    if (n > size - 8)
        fail(path, "header length " + u64s(n) + " runs past the end of the file (" + u64s(size) + " bytes)");
    const char* text = reinterpret_cast<const char*>(p + 8);
    const json h = parse_json(path, text, text + n, "header");
    if (!h.is_object()) fail(path, "header is " + a_kind(h) + ", not an object");
    const uint8_t* data = p + 8 + n;
    const uint64_t data_size = size - 8 - n;
    std::vector<StTensor> ts;
    for (const auto& [key, v] : h.items()) {
        if (key == "__metadata__")
            metadata = read_metadata(path, v);
        else
            ts.push_back(read_tensor(path, key, v, data, data_size));
    }
    sort_and_check_overlaps(path, ts, data);
    return ts;
}

// Opens a regular file read-only; returns the descriptor and its size.
int open_regular(const std::string& path, size_t* size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        fail(path, std::string("cannot stat: ") + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path, "not a regular file");
    }
    *size = size_t(st.st_size);
    return fd;
}

// ---- checkpoint folders ----

std::string join(const std::string& dir, const std::string& name) {
    return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

bool is_file(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A shard must be a file directly inside the folder: no separators, no "." or "..", so that a hostile
// index cannot point outside it.
bool plain_name(const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find_first_of(std::string("/\\\0", 3)) == std::string::npos;
}

std::string read_text(const std::string& path, uint64_t limit) {
    size_t size = 0;
    const int fd = open_regular(path, &size);
    if (size > limit) {
        ::close(fd);
        fail(path, "file is " + u64s(size) + " bytes, over the limit of " + u64s(limit));
    }
    std::string s(size, '\0');
    size_t got = 0;
    int err = 0;
    while (got < size) {
        const ssize_t r = ::read(fd, &s[got], size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) err = errno;
        if (r <= 0) break;
        got += size_t(r);
    }
    ::close(fd);
    if (got < size) fail(path, std::string("cannot read: ") + (err ? std::strerror(err) : "the file shrank"));
    return s;
}

// model.safetensors.index.json's weight_map (tensor -> shard file name), validated.
std::map<std::string, std::string> read_index(const std::string& path) {
    const std::string text = read_text(path, kMaxIndexBytes);
    const json j = parse_json(path, text.data(), text.data() + text.size(), "index");
    if (!j.is_object()) fail(path, "index is " + a_kind(j) + ", not an object");
    auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object()) fail(path, "'weight_map' is missing or not an object");
    if (wm->empty()) fail(path, "'weight_map' lists no tensors");
    std::map<std::string, std::string> m;
    for (const auto& [tensor, shard] : wm->items()) {
        if (!shard.is_string())
            fail_tensor(path, tensor, "shard is " + a_kind(shard) + ", not a file name");
        const std::string& s = shard.get_ref<const std::string&>();
        if (!plain_name(s))
            fail_tensor(path, tensor, "shard '" + printable(s) + "' is not a plain file name in the folder");
        m.emplace(tensor, s);
    }
    return m;
}

// Every *.safetensors file in the folder, sorted by name.
std::vector<std::string> list_safetensors(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (!d) fail(dir, std::string("cannot open folder: ") + std::strerror(errno));
    const std::string ext = ".safetensors";
    std::vector<std::string> names;
    while (const dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0 && is_file(join(dir, n)))
            names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

const char* st_dtype_name(StDtype t) {
    const DtypeInfo* d = dtype_info(t);
    return d ? d->name : "unknown";
}

size_t st_dtype_size(StDtype t) {
    const DtypeInfo* d = dtype_info(t);
    return d ? d->size : 0;
}

int64_t StTensor::n_elements() const {
    int64_t n = 1;
    for (int64_t x : shape) n *= x;  // checked against overflow when the file was opened
    return n;
}

// ---- SafetensorsFile ----

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
    const int fd = open_regular(path, &size_);
    if (size_ < 8) {
        ::close(fd);
        fail(path, "file is " + u64s(size_) + " bytes, too short for the 8-byte header length (not a safetensors file)");
    }
    void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int e = errno;
    ::close(fd);  // the mapping stays valid
    if (m == MAP_FAILED) fail(path, "cannot map " + u64s(size_) + " bytes: " + std::strerror(e));
    map_ = static_cast<uint8_t*>(m);
    try {
        tensors_ = read_header(path_, map_, size_, metadata_);
    } catch (...) {
        munmap(map_, size_);  // the destructor does not run for a throwing constructor
        throw;
    }
    for (StTensor& t : tensors_) t.file = &path_;
}

SafetensorsFile::~SafetensorsFile() {
    if (map_) munmap(map_, size_);
}

// ---- Checkpoint ----

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) fail(dir, std::string("cannot open folder: ") + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) fail(dir, "not a folder");

    const std::string index_path = join(dir, "model.safetensors.index.json");
    std::map<std::string, std::string> weight_map;
    std::vector<std::string> names;
    if (is_file(join(dir, "model.safetensors"))) {  // transformers prefers it over an index too
        names = {"model.safetensors"};
    } else if (is_file(index_path)) {
        weight_map = read_index(index_path);
        std::set<std::string> shards;
        for (const auto& kv : weight_map) shards.insert(kv.second);
        for (const std::string& s : shards) {
            if (!is_file(join(dir, s))) fail(index_path, "shard '" + printable(s) + "' does not exist in the folder");
            names.push_back(s);
        }
    } else {
        names = list_safetensors(dir);
        if (names.empty())
            fail(dir, "no model.safetensors, model.safetensors.index.json or *.safetensors files in the folder");
    }

    std::map<std::string, const SafetensorsFile*> by_shard;
    for (const std::string& n : names) {
        files_.push_back(std::make_unique<SafetensorsFile>(join(dir, n)));
        by_shard[n] = files_.back().get();
    }
    // Every tensor of every file, as convert_hf_to_gguf.py reads them; a name in two files is ambiguous.
    for (const auto& f : files_)
        for (const StTensor& t : f->tensors()) {
            auto [it, fresh] = by_name_.emplace(t.name, &t);
            if (!fresh) fail_tensor(f->path(), t.name, "also in " + *it->second->file);
        }
    for (const auto& [tensor, shard] : weight_map) {
        const SafetensorsFile* f = by_shard.at(shard);
        const StTensor* t = find(tensor);
        if (!t || t->file != &f->path())
            fail_tensor(f->path(), tensor, "listed in model.safetensors.index.json but not in this file");
    }
    for (const auto& kv : by_name_) order_.push_back(kv.second);
}

const StTensor* Checkpoint::find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
}

const StTensor& Checkpoint::get(const std::string& name) const {
    const StTensor* t = find(name);
    if (!t) fail(dir_, "tensor '" + printable(name) + "' is missing");
    return *t;
}

// ---- conversion ----

void st_to_f32(const StTensor& t, float* out) {
    const size_t n = size_t(t.n_elements());
    // The data is not necessarily aligned (the header length is arbitrary), so elements are copied out.
    switch (t.dtype) {
        case StDtype::F32:
            if (n > 0) std::memcpy(out, t.data, n * 4);  // an empty tensor's out may be null
            return;
        case StDtype::F16:
        case StDtype::BF16: {
            const bool half = t.dtype == StDtype::F16;
            for (size_t i = 0; i < n; i++) {
                uint16_t h;
                std::memcpy(&h, t.data + 2 * i, 2);
                out[i] = half ? ggml::fp16_to_fp32(h) : ggml::bf16_to_fp32(h);
            }
            return;
        }
        default:
            fail(t.file ? *t.file : std::string("?"),
                 "tensor '" + printable(t.name) + "': dtype " + st_dtype_name(t.dtype) +
                     " cannot be converted to float (F32, F16 and BF16 can)");
    }
}

}  // namespace giraffe::convert
