// GGUF (v3, also reads v2): a validating, mmap-based reader and an atomic writer.
//
// File layout (all little-endian):
//   "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count x  (string key | u32 value type | value)
//   tensor_count x (string name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset)
//   padding to `general.alignment` (default 32) | data section (each tensor at an aligned offset)
// A string is a u64 byte length followed by the bytes (UTF-8, no terminator). An array value is
// u32 element type | u64 count | elements; elements may themselves be strings or arrays.
//
// The reader validates the whole file before handing anything out: every count, length, type, shape,
// offset and range is checked against the file, so a malformed or hostile file gives a one-line
// GgufError ("<path>: <problem>") and never a crash, an out-of-bounds read or a huge allocation.
// Hosts are assumed little-endian (x86-64, arm64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "ggml/type.h"

namespace ggml {

// Metadata value types; the numbering is part of the file format.
enum class GgufType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

// "u8", "i32", "f32", "bool", "string", "array", ... ("unknown" for an id outside the table).
const char* gguf_type_name(GgufType t);
// Bytes of one element of a fixed-size type (numbers and bool); 0 for STRING, ARRAY and unknown ids.
size_t gguf_type_size(GgufType t);

// Every problem with a GGUF file (reading or writing) or with a value's type.
class GgufError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One metadata value: a scalar, a string, or a typed array.
// Arrays of numbers/bools are stored compactly as raw little-endian bytes (a 262,144-entry vocabulary of
// scores is one allocation); arrays of strings as std::vector<std::string>; arrays of arrays as
// std::vector<GgufValue> (each element an ARRAY value, element types may differ between them).
class GgufValue {
public:
    GgufValue() = default;  // u32 0

    // Scalars.
    static GgufValue u8(uint8_t v);
    static GgufValue i8(int8_t v);
    static GgufValue u16(uint16_t v);
    static GgufValue i16(int16_t v);
    static GgufValue u32(uint32_t v);
    static GgufValue i32(int32_t v);
    static GgufValue f32(float v);
    static GgufValue boolean(bool v);
    static GgufValue str(std::string v);
    static GgufValue u64(uint64_t v);
    static GgufValue i64(int64_t v);
    static GgufValue f64(double v);

    // Arrays. A numeric (or BOOL, one byte 0/1 per element) array from count elements at data, which
    // holds them in the host's layout; an empty array of any element type is array(type, nullptr, 0).
    static GgufValue array(GgufType elem, const void* data, size_t count);
    static GgufValue array(const std::vector<uint8_t>& v) { return array(GgufType::U8, v.data(), v.size()); }
    static GgufValue array(const std::vector<int8_t>& v) { return array(GgufType::I8, v.data(), v.size()); }
    static GgufValue array(const std::vector<uint16_t>& v) { return array(GgufType::U16, v.data(), v.size()); }
    static GgufValue array(const std::vector<int16_t>& v) { return array(GgufType::I16, v.data(), v.size()); }
    static GgufValue array(const std::vector<uint32_t>& v) { return array(GgufType::U32, v.data(), v.size()); }
    static GgufValue array(const std::vector<int32_t>& v) { return array(GgufType::I32, v.data(), v.size()); }
    static GgufValue array(const std::vector<float>& v) { return array(GgufType::F32, v.data(), v.size()); }
    static GgufValue array(const std::vector<uint64_t>& v) { return array(GgufType::U64, v.data(), v.size()); }
    static GgufValue array(const std::vector<int64_t>& v) { return array(GgufType::I64, v.data(), v.size()); }
    static GgufValue array(const std::vector<double>& v) { return array(GgufType::F64, v.data(), v.size()); }
    static GgufValue bool_array(const std::vector<bool>& v);
    static GgufValue array(std::vector<std::string> v);
    // An array of arrays; every element must itself be an array (throws GgufError otherwise).
    static GgufValue array_of_arrays(std::vector<GgufValue> v);

    GgufType type() const { return type_; }
    bool is_array() const { return type_ == GgufType::ARRAY; }
    // Element type of an array (throws if not an array).
    GgufType array_type() const;
    // Number of elements of an array (throws if not an array).
    size_t array_size() const;
    // "u32", "string", "array of f32", "array of array", ...
    std::string type_string() const;

    // Exact-type accessors: throw GgufError ("has type string, expected u32") when the type differs.
    uint8_t as_u8() const;
    int8_t as_i8() const;
    uint16_t as_u16() const;
    int16_t as_i16() const;
    uint32_t as_u32() const;
    int32_t as_i32() const;
    float as_f32() const;
    bool as_bool() const;
    const std::string& as_str() const;
    uint64_t as_u64() const;
    int64_t as_i64() const;
    double as_f64() const;
    bool is_integer() const;  // any of the eight integer types
    // Any integer type whose value fits the target; throws "does not fit" / "expected an integer".
    int64_t as_int64() const;
    uint64_t as_uint64() const;
    // f32 or f64 (f64 is rounded to float by callers that ask for f32).
    double as_float() const;

    // Arrays.
    const std::vector<std::string>& as_str_array() const;  // array of string
    const std::vector<GgufValue>& as_arrays() const;       // array of array
    // Raw little-endian bytes of a numeric/bool array (array_size() * gguf_type_size(array_type())).
    const uint8_t* array_data() const;
    size_t array_bytes() const;
    // Element i of a numeric/integer array, converted with the same rules as as_int64/as_uint64/as_float.
    int64_t array_int64(size_t i) const;
    uint64_t array_uint64(size_t i) const;
    double array_float(size_t i) const;
    // Whole numeric arrays, converted: any integer element type whose values fit / f32 or f64 elements.
    std::vector<int32_t> as_i32_array() const;
    std::vector<uint32_t> as_u32_array() const;
    std::vector<int64_t> as_i64_array() const;
    std::vector<float> as_f32_array() const;
    std::vector<bool> as_bool_array() const;

    // Exact equality: same type, same element type, same bytes (floats compared bitwise).
    bool operator==(const GgufValue& o) const;
    bool operator!=(const GgufValue& o) const { return !(*this == o); }

    // Short human-readable form for tools (`giraffe info`); arrays longer than max_items are elided.
    std::string to_string(size_t max_items = 8) const;

private:
    GgufType type_ = GgufType::U32;
    GgufType elem_ = GgufType::U8;   // arrays: element type
    uint64_t bits_ = 0;               // scalars: the value's bytes, zero-extended
    size_t count_ = 0;                // arrays: element count
    std::string str_;                 // STRING
    std::vector<uint8_t> raw_;        // numeric/bool arrays
    std::vector<std::string> strs_;   // arrays of strings
    std::vector<GgufValue> arrs_;     // arrays of arrays

    friend class GgufParser;
    [[noreturn]] void type_mismatch(const char* expected) const;
    uint64_t scalar_check(GgufType t, const char* expected) const;
};

struct GgufKv {
    std::string key;
    GgufValue value;
};

struct GgufTensorInfo {
    std::string name;
    Type type = Type::F32;
    int n_dims = 1;
    int64_t ne[4] = {1, 1, 1, 1};  // unused dims are 1
    uint64_t offset = 0;           // relative to the data section
    size_t size = 0;               // bytes
    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

// A validated, memory-mapped GGUF file. Move-only; the mapping lives as long as the object.
class GgufFile {
public:
    // Opens, maps (read-only) and validates the whole file; throws GgufError ("<path>: <problem>").
    static GgufFile open(const std::string& path);

    GgufFile(GgufFile&& o) noexcept;
    GgufFile& operator=(GgufFile&& o) noexcept;
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;
    ~GgufFile();

    const std::string& path() const { return path_; }
    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    size_t data_offset() const { return data_offset_; }  // absolute file offset of the data section
    const uint8_t* mapping() const { return map_; }
    size_t file_size() const { return size_; }
    // Hands the mapped pages of bytes [p, p + n) back to the page cache (whole pages inside the range):
    // for data copied elsewhere (repacked weights), so the process does not hold it twice. Reading the
    // range again still works (the pages fault back in).
    void drop_pages(const void* p, size_t n) const;

    // Metadata, in file order.
    const std::vector<GgufKv>& kvs() const { return kvs_; }
    const GgufValue* find(const std::string& key) const;  // nullptr when absent
    bool has(const std::string& key) const { return find(key) != nullptr; }
    const GgufValue& get(const std::string& key) const;  // throws "key '...' is missing"

    // Typed getters. Errors name the file and the key: "m.gguf: key 'k' is missing",
    // "m.gguf: key 'k' has type string, expected u32", "m.gguf: key 'k': value 300 does not fit in u8".
    // Integer getters accept any integer type whose value fits; float getters accept f32 or f64.
    // The variants with a default return it when the key is absent (a present key of a wrong type throws).
    uint32_t get_u32(const std::string& key) const;
    uint32_t get_u32(const std::string& key, uint32_t def) const;
    int32_t get_i32(const std::string& key) const;
    int32_t get_i32(const std::string& key, int32_t def) const;
    uint64_t get_u64(const std::string& key) const;
    uint64_t get_u64(const std::string& key, uint64_t def) const;
    int64_t get_i64(const std::string& key) const;
    int64_t get_i64(const std::string& key, int64_t def) const;
    float get_f32(const std::string& key) const;
    float get_f32(const std::string& key, float def) const;
    double get_f64(const std::string& key) const;
    double get_f64(const std::string& key, double def) const;
    bool get_bool(const std::string& key) const;
    bool get_bool(const std::string& key, bool def) const;
    const std::string& get_str(const std::string& key) const;
    std::string get_str(const std::string& key, const std::string& def) const;
    const std::vector<std::string>& get_str_array(const std::string& key) const;
    std::vector<float> get_f32_array(const std::string& key) const;
    std::vector<int32_t> get_i32_array(const std::string& key) const;
    std::vector<uint32_t> get_u32_array(const std::string& key) const;
    std::vector<int64_t> get_i64_array(const std::string& key) const;
    std::vector<bool> get_bool_array(const std::string& key) const;

    // Tensors, in file order.
    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
    const GgufTensorInfo* find_tensor(const std::string& name) const;  // nullptr when absent
    const void* tensor_data(const GgufTensorInfo& t) const { return map_ + data_offset_ + t.offset; }

private:
    GgufFile() = default;
    void release();
    [[noreturn]] void fail_key(const std::string& key, const std::string& what) const;
    template <class F> auto with_key(const std::string& key, F&& f) const -> decltype(f(GgufValue()));

    std::string path_;
    uint8_t* map_ = nullptr;
    size_t size_ = 0;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    size_t data_offset_ = 0;
    std::vector<GgufKv> kvs_;
    std::unordered_map<std::string, size_t> kv_index_;
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;

    friend class GgufParser;
};

// Builds a GGUF v3 file in memory (metadata and tensor descriptions) and writes it atomically.
class GgufWriter {
public:
    // Receives bytes of a tensor being written.
    using ByteSink = std::function<void(const void* data, size_t n)>;
    // Produces a tensor's bytes by calling sink one or more times (exactly the tensor's size in total).
    using TensorFill = std::function<void(const ByteSink& sink)>;

    // Sets a key; a key already present keeps its position and gets the new value.
    // Setting "general.alignment" checks it is a u32 power of two and changes the alignment.
    void set(const std::string& key, GgufValue value);
    bool remove(const std::string& key);
    const GgufValue* find(const std::string& key) const;
    const std::vector<GgufKv>& kvs() const { return kvs_; }
    // Copies every key of a file (e.g. when quantizing); existing keys are replaced in place.
    void copy_kvs(const GgufFile& f);

    // Data alignment (power of two); stored as the "general.alignment" key. Default 32 (key not written).
    void set_alignment(uint32_t n);
    uint32_t alignment() const { return alignment_; }

    // Adds a tensor whose bytes are at data (row-major, ne[0] fastest). The caller keeps data alive until
    // write() returns. ne has n_dims (1..4) entries; ne[0] must be a multiple of the type's block size.
    void add_tensor(const std::string& name, Type type, int n_dims, const int64_t* ne, const void* data);
    // Same, with the bytes produced at write time by fill (for streaming large tensors).
    void add_tensor(const std::string& name, Type type, int n_dims, const int64_t* ne, TensorFill fill);
    size_t tensor_count() const { return tensors_.size(); }

    // Writes the file: to "<path>.tmp" first, flushed and fsynced, then renamed over path. On any error
    // (including an exception from a TensorFill) the temporary file is removed and GgufError is thrown;
    // an existing file at path is left untouched.
    void write(const std::string& path) const;

private:
    struct Tensor {
        GgufTensorInfo info;
        const void* data = nullptr;
        TensorFill fill;
    };
    void add_tensor_impl(const std::string& name, Type type, int n_dims, const int64_t* ne, const void* data,
                         TensorFill fill);

    std::vector<GgufKv> kvs_;
    std::unordered_map<std::string, size_t> kv_index_;
    std::vector<Tensor> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
    uint32_t alignment_ = 32;
};

}  // namespace ggml
