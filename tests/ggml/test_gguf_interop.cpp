// GGUF interop with PyPI's `gguf` package (an independent implementation), through
// tests/ggml/gguf_interop.py: files giraffe writes load there, files it writes load here, and both
// readers describe every file identically (same canonical dump, see the script's docstring).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <random>

#include "ggml/gguf.h"
#include "test_util.h"

using namespace ggml;

namespace {

const std::string kScript = std::string(GIRAFFE_SOURCE_DIR) + "/tests/ggml/gguf_interop.py";

// Fails the test (never skips) when the Python environment is missing.
void require_python() {
    const std::string py = GIRAFFE_PYTHON;
    if (::access(py.c_str(), X_OK) != 0)
        FAIL("Python with the gguf package not found at " << py << ": run `make setup` to create it");
    const std::string cmd = "'" + py + "' -c 'import gguf, numpy' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        FAIL(py << " cannot import gguf and numpy: run `make setup` to install them");
}

// Runs the script; returns its stdout and sets *status to the exit status.
std::string run_script(const std::string& mode, const std::string& file, int* status) {
    const std::string cmd = "'" + std::string(GIRAFFE_PYTHON) + "' '" + kScript + "' " + mode + " '" + file + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

std::string hex(const void* p, size_t n) {
    static const char* d = "0123456789abcdef";
    std::string r;
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; i++) {
        r += d[b[i] >> 4];
        r += d[b[i] & 15];
    }
    return r;
}

std::string fnv1a64(const void* p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string scalar_repr(GgufType t, const uint8_t* p) {
    uint64_t bits = 0;
    std::memcpy(&bits, p, gguf_type_size(t));
    char buf[32];
    switch (t) {
        case GgufType::F32: std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(bits)); return buf;
        case GgufType::F64: std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits)); return buf;
        case GgufType::BOOL: return bits ? "1" : "0";
        case GgufType::I8: return std::to_string(int8_t(bits));
        case GgufType::I16: return std::to_string(int16_t(bits));
        case GgufType::I32: return std::to_string(int32_t(bits));
        case GgufType::I64: return std::to_string(int64_t(bits));
        default: return std::to_string(bits);
    }
}

std::string value_repr(const GgufValue& v) {
    if (v.type() == GgufType::STRING) return "x" + hex(v.as_str().data(), v.as_str().size());
    if (v.type() != GgufType::ARRAY) {
        // Re-encode the scalar through an array of one to reach its bytes uniformly.
        uint8_t b[8] = {};
        switch (v.type()) {
            case GgufType::U8: b[0] = v.as_u8(); break;
            case GgufType::I8: { int8_t x = v.as_i8(); std::memcpy(b, &x, 1); break; }
            case GgufType::U16: { uint16_t x = v.as_u16(); std::memcpy(b, &x, 2); break; }
            case GgufType::I16: { int16_t x = v.as_i16(); std::memcpy(b, &x, 2); break; }
            case GgufType::U32: { uint32_t x = v.as_u32(); std::memcpy(b, &x, 4); break; }
            case GgufType::I32: { int32_t x = v.as_i32(); std::memcpy(b, &x, 4); break; }
            case GgufType::F32: { float x = v.as_f32(); std::memcpy(b, &x, 4); break; }
            case GgufType::BOOL: b[0] = v.as_bool() ? 1 : 0; break;
            case GgufType::U64: { uint64_t x = v.as_u64(); std::memcpy(b, &x, 8); break; }
            case GgufType::I64: { int64_t x = v.as_i64(); std::memcpy(b, &x, 8); break; }
            case GgufType::F64: { double x = v.as_f64(); std::memcpy(b, &x, 8); break; }
            default: break;
        }
        return scalar_repr(v.type(), b);
    }
    std::string r = std::string(gguf_type_name(v.array_type())) + "[";
    for (size_t i = 0; i < v.array_size(); i++) {
        if (i) r += ",";
        if (v.array_type() == GgufType::STRING) {
            const std::string& s = v.as_str_array()[i];
            r += "x" + hex(s.data(), s.size());
        } else if (v.array_type() == GgufType::ARRAY) {
            r += value_repr(v.as_arrays()[i]);
        } else {
            r += scalar_repr(v.array_type(), v.array_data() + i * gguf_type_size(v.array_type()));
        }
    }
    return r + "]";
}

// The same canonical dump the script prints from gguf.GGUFReader.
std::string dump(const GgufFile& f) {
    std::string r = "version " + std::to_string(f.version()) + "\n";
    r += "alignment " + std::to_string(f.alignment()) + "\n";
    r += "data_offset " + std::to_string(f.data_offset()) + "\n";
    for (const GgufKv& kv : f.kvs())
        r += "kv " + kv.key + " " + gguf_type_name(kv.value.type()) + " " + value_repr(kv.value) + "\n";
    for (const GgufTensorInfo& t : f.tensors()) {
        std::string shape;
        for (int d = 0; d < t.n_dims; d++) shape += (d ? "," : "") + std::to_string(t.ne[d]);
        r += "tensor " + t.name + " " + std::to_string(uint32_t(t.type)) + " " + shape + " " + std::to_string(t.size) +
             " " + std::to_string(f.data_offset() + t.offset) + " " + fnv1a64(f.tensor_data(t), t.size) + "\n";
    }
    return r;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = uint8_t(rng());
    return v;
}

}  // namespace

TEST_CASE("gguf interop: files giraffe writes load in gguf-py", "[gguf][python]") {
    require_python();
    TempDir dir;
    const std::string path = dir.file("giraffe.gguf");

    GgufWriter w;
    w.set("general.architecture", GgufValue::str("giraffe-test"));
    w.set("test.u8", GgufValue::u8(200));
    w.set("test.i8", GgufValue::i8(-100));
    w.set("test.u16", GgufValue::u16(60000));
    w.set("test.i16", GgufValue::i16(-30000));
    w.set("test.u32", GgufValue::u32(4000000000u));
    w.set("test.i32", GgufValue::i32(-2000000000));
    w.set("test.f32", GgufValue::f32(3.14159f));
    w.set("test.bool", GgufValue::boolean(true));
    w.set("test.str", GgufValue::str(u8"h\u00e9llo \u2713 \U0001F992"));
    w.set("test.str_empty", GgufValue::str(""));
    w.set("test.u64", GgufValue::u64(18446744073709551615ull));
    w.set("test.i64", GgufValue::i64(-(int64_t(1) << 62)));
    w.set("test.f64", GgufValue::f64(-1e300));
    w.set("arr.u8", GgufValue::array(std::vector<uint8_t>{0, 1, 255}));
    w.set("arr.i16", GgufValue::array(std::vector<int16_t>{-32768, 32767}));
    w.set("arr.i32", GgufValue::array(std::vector<int32_t>{-5, 0, 2147483647}));
    w.set("arr.f32", GgufValue::array(std::vector<float>{0.5f, -2.25f}));
    w.set("arr.bool", GgufValue::bool_array({true, false}));
    w.set("arr.u64", GgufValue::array(std::vector<uint64_t>{0, 1ull << 60}));
    w.set("arr.f64", GgufValue::array(std::vector<double>{3.5}));
    w.set("arr.str", GgufValue::array(std::vector<std::string>{"a", "", u8"\u00fcn\u00ef"}));
    w.set("arr.nested", GgufValue::array_of_arrays({GgufValue::array(std::vector<int32_t>{1, 2}),
                                                    GgufValue::array(std::vector<int32_t>{3})}));
    w.set("arr.empty", GgufValue::array(GgufType::F32, nullptr, 0));
    w.set_alignment(64);

    struct T { const char* name; Type type; int n_dims; int64_t ne[4]; };
    const T ts[] = {
        {"f32", Type::F32, 1, {7, 1, 1, 1}},        {"f16", Type::F16, 2, {5, 3, 1, 1}},
        {"bf16", Type::BF16, 3, {4, 2, 3, 1}},      {"i32", Type::I32, 4, {2, 2, 2, 2}},
        {"q4_0", Type::Q4_0, 2, {64, 3, 1, 1}},     {"q8_0", Type::Q8_0, 3, {32, 2, 2, 1}},
        {"q4_K", Type::Q4_K, 2, {256, 2, 1, 1}},    {"q6_K", Type::Q6_K, 4, {256, 1, 1, 2}},
    };
    std::vector<std::vector<uint8_t>> data;
    uint32_t seed = 10;
    for (const T& t : ts) {
        data.push_back(random_bytes(row_size(t.type, t.ne[0]) * size_t(t.ne[1] * t.ne[2] * t.ne[3]), seed++));
        w.add_tensor(t.name, t.type, t.n_dims, t.ne, data.back().data());
    }
    w.write(path);

    int status = 0;
    const std::string py = run_script("read", path, &status);
    REQUIRE(status == 0);
    const std::string ours = dump(GgufFile::open(path));
    CHECK(ours == py);
    // Spot checks of the format itself, so an empty dump on both sides cannot pass.
    CHECK(py.find("kv test.f32 f32 40490fd0\n") != std::string::npos);
    CHECK(py.find("kv arr.nested array array[i32[1,2],i32[3]]\n") != std::string::npos);
    CHECK(py.find("kv arr.empty array f32[]\n") != std::string::npos);
    CHECK(py.find("tensor q6_K 14 256,1,1,2 420 ") != std::string::npos);
}

TEST_CASE("gguf interop: files gguf-py writes load in giraffe", "[gguf][python]") {
    require_python();
    TempDir dir;
    const std::string path = dir.file("python.gguf");
    int status = 0;
    run_script("write", path, &status);
    REQUIRE(status == 0);

    GgufFile f = GgufFile::open(path);
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 64);
    CHECK(f.get_str("general.architecture") == "giraffe-test");
    CHECK(f.get_u32("test.u32") == 42);
    CHECK(f.get_i32("test.i32") == -7);
    CHECK(f.get_f32("test.f32") == 0.5f);
    CHECK(f.get_bool("test.bool"));
    CHECK(f.get_str("test.str") == u8"hello \u2713");
    CHECK(f.get_u64("test.u64") == (uint64_t(1) << 40));
    CHECK(f.get_f64("test.f64") == 1.5);
    CHECK(f.get_str_array("test.strs") == std::vector<std::string>{"a", "bb", "ccc"});
    CHECK(f.get_i32_array("test.ints") == std::vector<int32_t>{1, 2, 3});
    CHECK(f.get_f32_array("test.floats") == std::vector<float>{0.25f, 0.5f});
    const auto& nested = f.get("test.nested").as_arrays();
    REQUIRE(nested.size() == 2);
    CHECK(nested[1].as_i32_array() == std::vector<int32_t>{3, 4, 5});

    REQUIRE(f.tensors().size() == 4);
    const GgufTensorInfo* t = f.find_tensor("t.f32");
    REQUIRE(t);
    CHECK(t->type == Type::F32);
    CHECK(t->n_dims == 2);
    CHECK(t->ne[0] == 5);
    CHECK(t->ne[1] == 3);
    const float* pf = static_cast<const float*>(f.tensor_data(*t));
    for (int i = 0; i < 15; i++) CHECK(pf[i] == float(i));
    t = f.find_tensor("t.f16");
    REQUIRE(t);
    CHECK((t->type == Type::F16 && t->ne[0] == 4 && t->ne[1] == 2));
    const uint16_t* ph = static_cast<const uint16_t*>(f.tensor_data(*t));
    for (int i = 0; i < 8; i++) CHECK(fp16_to_fp32(ph[i]) == float(i));
    t = f.find_tensor("t.i32");
    REQUIRE(t);
    const int32_t* pi = static_cast<const int32_t*>(f.tensor_data(*t));
    for (int i = 0; i < 6; i++) CHECK(pi[i] == i - 3);
    t = f.find_tensor("t.q8_0");
    REQUIRE(t);
    CHECK((t->type == Type::Q8_0 && t->n_dims == 2 && t->ne[0] == 32 && t->ne[1] == 2 && t->size == 68));
    // The first Q8_0 block holds linspace(-1, 1, 64)[0:32]: its scale is max|x| / 127 as f16.
    uint16_t d;
    std::memcpy(&d, f.tensor_data(*t), 2);
    CHECK(fp16_to_fp32(d) == Approx(1.0f / 127).epsilon(1e-3));

    // Both readers describe the file identically.
    const std::string py = run_script("read", path, &status);
    REQUIRE(status == 0);
    CHECK(dump(f) == py);
}
