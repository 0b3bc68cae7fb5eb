// GgufValue: construction, typed access and conversions of GGUF metadata values.
#include <cinttypes>
#include <cstring>
#include <limits>

#include "ggml/gguf.h"

namespace ggml {

const char* gguf_type_name(GgufType t) {
    switch (t) {
        case GgufType::U8: return "u8";
        case GgufType::I8: return "i8";
        case GgufType::U16: return "u16";
        case GgufType::I16: return "i16";
        case GgufType::U32: return "u32";
        case GgufType::I32: return "i32";
        case GgufType::F32: return "f32";
        case GgufType::BOOL: return "bool";
        case GgufType::STRING: return "string";
        case GgufType::ARRAY: return "array";
        case GgufType::U64: return "u64";
        case GgufType::I64: return "i64";
        case GgufType::F64: return "f64";
    }
    return "unknown";
}

size_t gguf_type_size(GgufType t) {
    switch (t) {
        case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
        case GgufType::U16: case GgufType::I16: return 2;
        case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
        case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
        case GgufType::STRING: case GgufType::ARRAY: return 0;
    }
    return 0;
}

namespace {

bool is_int_type(GgufType t) {
    switch (t) {
        case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
        case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
        default: return false;
    }
}

bool is_signed_type(GgufType t) {
    return t == GgufType::I8 || t == GgufType::I16 || t == GgufType::I32 || t == GgufType::I64;
}

// Reads one element of a fixed-size type from p (little-endian host) into 64 bits, zero-extended.
uint64_t load_bits(GgufType t, const uint8_t* p) {
    uint64_t v = 0;
    std::memcpy(&v, p, gguf_type_size(t));
    return v;
}

// Sign-extends bits of a signed integer type.
int64_t signed_value(GgufType t, uint64_t bits) {
    switch (t) {
        case GgufType::I8: return int8_t(uint8_t(bits));
        case GgufType::I16: return int16_t(uint16_t(bits));
        case GgufType::I32: return int32_t(uint32_t(bits));
        default: return int64_t(bits);
    }
}

std::string int_string(GgufType t, uint64_t bits) {
    char buf[32];
    if (is_signed_type(t)) {
        std::snprintf(buf, sizeof buf, "%" PRId64, signed_value(t, bits));
    } else {
        std::snprintf(buf, sizeof buf, "%" PRIu64, bits);
    }
    return buf;
}

[[noreturn]] void does_not_fit(GgufType t, uint64_t bits, const char* target) {
    throw GgufError("value " + int_string(t, bits) + " does not fit in " + target);
}

int64_t to_int64(GgufType t, uint64_t bits) {
    if (!is_int_type(t)) throw GgufError(std::string("has type ") + gguf_type_name(t) + ", expected an integer");
    if (is_signed_type(t)) return signed_value(t, bits);
    if (bits > uint64_t(std::numeric_limits<int64_t>::max())) does_not_fit(t, bits, "i64");
    return int64_t(bits);
}

uint64_t to_uint64(GgufType t, uint64_t bits) {
    if (!is_int_type(t)) throw GgufError(std::string("has type ") + gguf_type_name(t) + ", expected an integer");
    if (is_signed_type(t) && signed_value(t, bits) < 0) does_not_fit(t, bits, "an unsigned integer");
    return bits;
}

double to_double(GgufType t, uint64_t bits) {
    if (t == GgufType::F32) {
        float f;
        uint32_t b = uint32_t(bits);
        std::memcpy(&f, &b, 4);
        return f;
    }
    if (t == GgufType::F64) {
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
    }
    throw GgufError(std::string("has type ") + gguf_type_name(t) + ", expected a float (f32 or f64)");
}

// An integer element converted to the signed type T, or a "does not fit in <target>" error.
template <class T>
T narrow_int(GgufType t, uint64_t bits, const char* target) {
    if (!is_signed_type(t)) {
        if (bits > uint64_t(std::numeric_limits<T>::max())) does_not_fit(t, bits, target);
        return T(bits);
    }
    const int64_t v = signed_value(t, bits);
    if (v < int64_t(std::numeric_limits<T>::min()) || v > int64_t(std::numeric_limits<T>::max()))
        does_not_fit(t, bits, target);
    return T(v);
}

}  // namespace

// ---- construction ----

#define GIRAFFE_GGUF_SCALAR(fn, T, tag)             \
    GgufValue GgufValue::fn(T v) {                  \
        GgufValue r;                                \
        r.type_ = GgufType::tag;                    \
        std::memcpy(&r.bits_, &v, sizeof v);        \
        return r;                                   \
    }
GIRAFFE_GGUF_SCALAR(u8, uint8_t, U8)
GIRAFFE_GGUF_SCALAR(i8, int8_t, I8)
GIRAFFE_GGUF_SCALAR(u16, uint16_t, U16)
GIRAFFE_GGUF_SCALAR(i16, int16_t, I16)
GIRAFFE_GGUF_SCALAR(u32, uint32_t, U32)
GIRAFFE_GGUF_SCALAR(i32, int32_t, I32)
GIRAFFE_GGUF_SCALAR(f32, float, F32)
GIRAFFE_GGUF_SCALAR(u64, uint64_t, U64)
GIRAFFE_GGUF_SCALAR(i64, int64_t, I64)
GIRAFFE_GGUF_SCALAR(f64, double, F64)
#undef GIRAFFE_GGUF_SCALAR

GgufValue GgufValue::boolean(bool v) {
    GgufValue r;
    r.type_ = GgufType::BOOL;
    r.bits_ = v ? 1 : 0;
    return r;
}

GgufValue GgufValue::str(std::string v) {
    GgufValue r;
    r.type_ = GgufType::STRING;
    r.str_ = std::move(v);
    return r;
}

GgufValue GgufValue::array(GgufType elem, const void* data, size_t count) {
    const size_t es = gguf_type_size(elem);
    if (es == 0 && !(count == 0 && (elem == GgufType::STRING || elem == GgufType::ARRAY)))
        throw GgufError(std::string("GgufValue::array: element type ") + gguf_type_name(elem) +
                        " is not a fixed-size type (use the string / array-of-arrays factories)");
    GgufValue r;
    r.type_ = GgufType::ARRAY;
    r.elem_ = elem;
    r.count_ = count;
    if (count > 0) {
        const uint8_t* p = static_cast<const uint8_t*>(data);
        r.raw_.assign(p, p + count * es);
        if (elem == GgufType::BOOL)
            for (uint8_t& b : r.raw_) b = b ? 1 : 0;
    }
    return r;
}

GgufValue GgufValue::bool_array(const std::vector<bool>& v) {
    std::vector<uint8_t> bytes(v.begin(), v.end());
    return array(GgufType::BOOL, bytes.data(), bytes.size());
}

GgufValue GgufValue::array(std::vector<std::string> v) {
    GgufValue r;
    r.type_ = GgufType::ARRAY;
    r.elem_ = GgufType::STRING;
    r.count_ = v.size();
    r.strs_ = std::move(v);
    return r;
}

GgufValue GgufValue::array_of_arrays(std::vector<GgufValue> v) {
    for (const GgufValue& e : v)
        if (!e.is_array())
            throw GgufError("GgufValue::array_of_arrays: element has type " + e.type_string() + ", expected array");
    GgufValue r;
    r.type_ = GgufType::ARRAY;
    r.elem_ = GgufType::ARRAY;
    r.count_ = v.size();
    r.arrs_ = std::move(v);
    return r;
}

// ---- inspection ----

std::string GgufValue::type_string() const {
    if (type_ != GgufType::ARRAY) return gguf_type_name(type_);
    return std::string("array of ") + gguf_type_name(elem_);
}

void GgufValue::type_mismatch(const char* expected) const {
    throw GgufError("has type " + type_string() + ", expected " + expected);
}

GgufType GgufValue::array_type() const {
    if (!is_array()) type_mismatch("array");
    return elem_;
}

size_t GgufValue::array_size() const {
    if (!is_array()) type_mismatch("array");
    return count_;
}

uint64_t GgufValue::scalar_check(GgufType t, const char* expected) const {
    if (type_ != t) type_mismatch(expected);
    return bits_;
}

uint8_t GgufValue::as_u8() const { return uint8_t(scalar_check(GgufType::U8, "u8")); }
int8_t GgufValue::as_i8() const { return int8_t(scalar_check(GgufType::I8, "i8")); }
uint16_t GgufValue::as_u16() const { return uint16_t(scalar_check(GgufType::U16, "u16")); }
int16_t GgufValue::as_i16() const { return int16_t(scalar_check(GgufType::I16, "i16")); }
uint32_t GgufValue::as_u32() const { return uint32_t(scalar_check(GgufType::U32, "u32")); }
int32_t GgufValue::as_i32() const { return int32_t(scalar_check(GgufType::I32, "i32")); }
uint64_t GgufValue::as_u64() const { return scalar_check(GgufType::U64, "u64"); }
int64_t GgufValue::as_i64() const { return int64_t(scalar_check(GgufType::I64, "i64")); }
bool GgufValue::as_bool() const { return scalar_check(GgufType::BOOL, "bool") != 0; }
float GgufValue::as_f32() const { return float(to_double(GgufType::F32, scalar_check(GgufType::F32, "f32"))); }
double GgufValue::as_f64() const { return to_double(GgufType::F64, scalar_check(GgufType::F64, "f64")); }

const std::string& GgufValue::as_str() const {
    if (type_ != GgufType::STRING) type_mismatch("string");
    return str_;
}

bool GgufValue::is_integer() const { return is_int_type(type_); }

int64_t GgufValue::as_int64() const {
    if (!is_int_type(type_)) type_mismatch("an integer");
    return to_int64(type_, bits_);
}

uint64_t GgufValue::as_uint64() const {
    if (!is_int_type(type_)) type_mismatch("an integer");
    return to_uint64(type_, bits_);
}

double GgufValue::as_float() const {
    if (type_ != GgufType::F32 && type_ != GgufType::F64) type_mismatch("a float (f32 or f64)");
    return to_double(type_, bits_);
}

const std::vector<std::string>& GgufValue::as_str_array() const {
    if (!is_array() || elem_ != GgufType::STRING) type_mismatch("array of string");
    return strs_;
}

const std::vector<GgufValue>& GgufValue::as_arrays() const {
    if (!is_array() || elem_ != GgufType::ARRAY) type_mismatch("array of array");
    return arrs_;
}

const uint8_t* GgufValue::array_data() const {
    if (!is_array() || gguf_type_size(elem_) == 0) type_mismatch("array of numbers");
    return raw_.data();
}

size_t GgufValue::array_bytes() const {
    if (!is_array() || gguf_type_size(elem_) == 0) type_mismatch("array of numbers");
    return raw_.size();
}

int64_t GgufValue::array_int64(size_t i) const {
    if (!is_array() || !is_int_type(elem_)) type_mismatch("array of integers");
    if (i >= count_) throw GgufError("array index " + std::to_string(i) + " out of range");
    return to_int64(elem_, load_bits(elem_, raw_.data() + i * gguf_type_size(elem_)));
}

uint64_t GgufValue::array_uint64(size_t i) const {
    if (!is_array() || !is_int_type(elem_)) type_mismatch("array of integers");
    if (i >= count_) throw GgufError("array index " + std::to_string(i) + " out of range");
    return to_uint64(elem_, load_bits(elem_, raw_.data() + i * gguf_type_size(elem_)));
}

double GgufValue::array_float(size_t i) const {
    if (!is_array() || (elem_ != GgufType::F32 && elem_ != GgufType::F64)) type_mismatch("array of f32 or f64");
    if (i >= count_) throw GgufError("array index " + std::to_string(i) + " out of range");
    return to_double(elem_, load_bits(elem_, raw_.data() + i * gguf_type_size(elem_)));
}

std::vector<int32_t> GgufValue::as_i32_array() const {
    if (!is_array() || !is_int_type(elem_)) type_mismatch("array of integers");
    std::vector<int32_t> out(count_);
    if (elem_ == GgufType::I32) {
        if (count_) std::memcpy(out.data(), raw_.data(), raw_.size());
        return out;
    }
    const size_t es = gguf_type_size(elem_);
    for (size_t i = 0; i < count_; i++) {
        const uint64_t bits = load_bits(elem_, raw_.data() + i * es);
        out[i] = narrow_int<int32_t>(elem_, bits, "i32");
    }
    return out;
}

std::vector<uint32_t> GgufValue::as_u32_array() const {
    if (!is_array() || !is_int_type(elem_)) type_mismatch("array of integers");
    std::vector<uint32_t> out(count_);
    const size_t es = gguf_type_size(elem_);
    for (size_t i = 0; i < count_; i++) {
        const uint64_t bits = load_bits(elem_, raw_.data() + i * es);
        const uint64_t v = to_uint64(elem_, bits);
        if (v > std::numeric_limits<uint32_t>::max()) does_not_fit(elem_, bits, "u32");
        out[i] = uint32_t(v);
    }
    return out;
}

std::vector<int64_t> GgufValue::as_i64_array() const {
    if (!is_array() || !is_int_type(elem_)) type_mismatch("array of integers");
    std::vector<int64_t> out(count_);
    const size_t es = gguf_type_size(elem_);
    for (size_t i = 0; i < count_; i++) out[i] = to_int64(elem_, load_bits(elem_, raw_.data() + i * es));
    return out;
}

std::vector<float> GgufValue::as_f32_array() const {
    if (!is_array() || (elem_ != GgufType::F32 && elem_ != GgufType::F64)) type_mismatch("array of f32 or f64");
    std::vector<float> out(count_);
    if (elem_ == GgufType::F32) {
        if (count_) std::memcpy(out.data(), raw_.data(), raw_.size());
        return out;
    }
    for (size_t i = 0; i < count_; i++) out[i] = float(to_double(elem_, load_bits(elem_, raw_.data() + i * 8)));
    return out;
}

std::vector<bool> GgufValue::as_bool_array() const {
    if (!is_array() || elem_ != GgufType::BOOL) type_mismatch("array of bool");
    std::vector<bool> out(count_);
    for (size_t i = 0; i < count_; i++) out[i] = raw_[i] != 0;
    return out;
}

bool GgufValue::operator==(const GgufValue& o) const {
    if (type_ != o.type_) return false;
    switch (type_) {
        case GgufType::STRING: return str_ == o.str_;
        case GgufType::ARRAY:
            return elem_ == o.elem_ && count_ == o.count_ && raw_ == o.raw_ && strs_ == o.strs_ && arrs_ == o.arrs_;
        default: return bits_ == o.bits_;
    }
}

std::string GgufValue::to_string(size_t max_items) const {
    auto scalar = [](GgufType t, uint64_t bits) -> std::string {
        if (t == GgufType::BOOL) return bits ? "true" : "false";
        if (t == GgufType::F32 || t == GgufType::F64) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.9g", to_double(t, bits));
            return buf;
        }
        return int_string(t, bits);
    };
    auto quoted = [](const std::string& s) {
        std::string r = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                r += '\\';
                r += char(c);
            } else if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                r += buf;
            } else {
                r += char(c);
            }
        }
        return r + "\"";
    };
    if (type_ == GgufType::STRING) return quoted(str_);
    if (type_ != GgufType::ARRAY) return scalar(type_, bits_);
    std::string r = "[";
    const size_t n = count_ < max_items ? count_ : max_items;
    for (size_t i = 0; i < n; i++) {
        if (i) r += ", ";
        if (elem_ == GgufType::STRING) {
            r += quoted(strs_[i]);
        } else if (elem_ == GgufType::ARRAY) {
            r += arrs_[i].to_string(max_items);
        } else {
            r += scalar(elem_, load_bits(elem_, raw_.data() + i * gguf_type_size(elem_)));
        }
    }
    if (n < count_) r += ", ... (" + std::to_string(count_) + " items)";
    return r + "]";
}

}  // namespace ggml
