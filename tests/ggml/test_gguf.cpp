// GGUF reader/writer: round trip of every metadata and tensor kind, typed getters, writer safety.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "ggml/gguf.h"
#include "test_util.h"

using namespace ggml;

namespace {

bool exists(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}

std::string read_all(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = uint8_t(rng());
    return v;
}

struct TestTensor {
    std::string name;
    Type type;
    int n_dims;
    int64_t ne[4];
    std::vector<uint8_t> bytes;
};

std::vector<TestTensor> test_tensors() {
    std::vector<TestTensor> ts = {
        {"f32.1d", Type::F32, 1, {7, 1, 1, 1}, {}},
        {"f16.2d", Type::F16, 2, {5, 3, 1, 1}, {}},
        {"bf16.3d", Type::BF16, 3, {4, 2, 3, 1}, {}},
        {"i32.4d", Type::I32, 4, {2, 2, 2, 2}, {}},
        {"blk.0.q4_0", Type::Q4_0, 2, {64, 3, 1, 1}, {}},
        {"blk.0.q8_0", Type::Q8_0, 3, {32, 2, 2, 1}, {}},
        {"blk.1.q4_K", Type::Q4_K, 2, {256, 2, 1, 1}, {}},
        {"blk.1.q6_K", Type::Q6_K, 4, {256, 1, 1, 2}, {}},
    };
    uint32_t seed = 1;
    for (auto& t : ts) t.bytes = random_bytes(row_size(t.type, t.ne[0]) * size_t(t.ne[1] * t.ne[2] * t.ne[3]), seed++);
    return ts;
}

// Every metadata type, in a fixed order.
std::vector<GgufKv> test_kvs() {
    std::vector<GgufKv> kvs;
    auto add = [&](const std::string& k, GgufValue v) { kvs.push_back({k, std::move(v)}); };
    add("general.architecture", GgufValue::str("giraffe-test"));
    add("test.u8", GgufValue::u8(200));
    add("test.i8", GgufValue::i8(-100));
    add("test.u16", GgufValue::u16(60000));
    add("test.i16", GgufValue::i16(-30000));
    add("test.u32", GgufValue::u32(4000000000u));
    add("test.i32", GgufValue::i32(-2000000000));
    add("test.f32", GgufValue::f32(3.14159f));
    add("test.bool_true", GgufValue::boolean(true));
    add("test.bool_false", GgufValue::boolean(false));
    add("test.str", GgufValue::str(u8"h\u00e9llo w\u00f6rld \u2713 \U0001F992"));
    add("test.str_empty", GgufValue::str(""));
    add("test.u64", GgufValue::u64((uint64_t(1) << 63) + 5));
    add("test.i64", GgufValue::i64(-(int64_t(1) << 62)));
    add("test.f64", GgufValue::f64(-1e300));
    add("arr.u8", GgufValue::array(std::vector<uint8_t>{0, 1, 255}));
    add("arr.i8", GgufValue::array(std::vector<int8_t>{-128, 0, 127}));
    add("arr.u16", GgufValue::array(std::vector<uint16_t>{0, 65535}));
    add("arr.i16", GgufValue::array(std::vector<int16_t>{-32768, 5, 32767}));
    add("arr.u32", GgufValue::array(std::vector<uint32_t>{1, 2, 4294967295u}));
    add("arr.i32", GgufValue::array(std::vector<int32_t>{-5, 0, 2147483647}));
    add("arr.f32", GgufValue::array(std::vector<float>{0.5f, -2.25f, 1e-30f, INFINITY}));
    add("arr.bool", GgufValue::bool_array({true, false, true}));
    add("arr.u64", GgufValue::array(std::vector<uint64_t>{0, 18446744073709551615ull}));
    add("arr.i64", GgufValue::array(std::vector<int64_t>{-9223372036854775807ll - 1, 9}));
    add("arr.f64", GgufValue::array(std::vector<double>{3.5, -1e-300}));
    add("arr.str", GgufValue::array(std::vector<std::string>{"a", "", u8"\u00fcn\u00ef", "x y"}));
    add("arr.nested", GgufValue::array_of_arrays({
                          GgufValue::array(std::vector<uint8_t>{1, 2}),
                          GgufValue::array(std::vector<std::string>{"p", "q"}),
                          GgufValue::array_of_arrays({GgufValue::array(std::vector<int32_t>{7})}),
                          GgufValue::array(GgufType::I64, nullptr, 0),
                      }));
    add("arr.empty_f32", GgufValue::array(GgufType::F32, nullptr, 0));
    add("arr.empty_str", GgufValue::array(std::vector<std::string>{}));
    return kvs;
}

// The full test file: every kv type, alignment 64, every tensor kind; the last tensor is streamed.
void build_full(GgufWriter& w, const std::vector<TestTensor>& ts) {
    for (const auto& kv : test_kvs()) w.set(kv.key, kv.value);
    w.set_alignment(64);
    for (size_t i = 0; i + 1 < ts.size(); i++) w.add_tensor(ts[i].name, ts[i].type, ts[i].n_dims, ts[i].ne, ts[i].bytes.data());
    const TestTensor& last = ts.back();
    w.add_tensor(last.name, last.type, last.n_dims, last.ne, [&last](const GgufWriter::ByteSink& sink) {
        for (size_t off = 0; off < last.bytes.size(); off += 100)
            sink(last.bytes.data() + off, std::min<size_t>(100, last.bytes.size() - off));
    });
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const GgufError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("gguf round trip: every metadata type and tensor kind", "[gguf]") {
    TempDir dir;
    const std::string path = dir.file("full.gguf");
    const auto ts = test_tensors();
    GgufWriter w;
    build_full(w, ts);
    w.write(path);
    REQUIRE_FALSE(exists(path + ".tmp"));

    GgufFile f = GgufFile::open(path);
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 64);
    CHECK(f.data_offset() % 64 == 0);
    CHECK(f.path() == path);

    const auto kvs = test_kvs();
    REQUIRE(f.kvs().size() == kvs.size() + 1);  // + general.alignment, set after the others
    for (size_t i = 0; i < kvs.size(); i++) {
        INFO("key " << kvs[i].key);
        CHECK(f.kvs()[i].key == kvs[i].key);
        CHECK(f.kvs()[i].value == kvs[i].value);
    }
    CHECK(f.kvs().back().key == "general.alignment");
    CHECK(f.get_u32("general.alignment") == 64);

    REQUIRE(f.tensors().size() == ts.size());
    for (size_t i = 0; i < ts.size(); i++) {
        const GgufTensorInfo& ti = f.tensors()[i];
        INFO("tensor " << ts[i].name);
        CHECK(ti.name == ts[i].name);
        CHECK(ti.type == ts[i].type);
        CHECK(ti.n_dims == ts[i].n_dims);
        for (int d = 0; d < 4; d++) CHECK(ti.ne[d] == ts[i].ne[d]);
        CHECK(ti.offset % 64 == 0);
        REQUIRE(ti.size == ts[i].bytes.size());
        CHECK(std::memcmp(f.tensor_data(ti), ts[i].bytes.data(), ti.size) == 0);
        CHECK(f.find_tensor(ts[i].name) == &ti);
    }
    CHECK(f.find_tensor("nope") == nullptr);

    // Writing the same content twice gives identical bytes; so does copying a file through a writer.
    const std::string again = dir.file("again.gguf");
    w.write(again);
    CHECK(read_all(again) == read_all(path));
    GgufWriter copy;
    copy.copy_kvs(f);
    for (const auto& ti : f.tensors()) copy.add_tensor(ti.name, ti.type, ti.n_dims, ti.ne, f.tensor_data(ti));
    const std::string copied = dir.file("copied.gguf");
    copy.write(copied);
    CHECK(read_all(copied) == read_all(path));

    // Moving keeps the mapping valid.
    GgufFile g = std::move(f);
    CHECK(std::memcmp(g.tensor_data(g.tensors()[0]), ts[0].bytes.data(), ts[0].bytes.size()) == 0);
}

TEST_CASE("gguf typed getters", "[gguf]") {
    TempDir dir;
    const std::string path = dir.file("getters.gguf");
    GgufWriter w;
    for (const auto& kv : test_kvs()) w.set(kv.key, kv.value);
    w.write(path);
    GgufFile f = GgufFile::open(path);

    CHECK(f.alignment() == 32);
    CHECK(f.get_str("general.architecture") == "giraffe-test");
    CHECK(f.get_u32("test.u8") == 200);  // any integer type that fits
    CHECK(f.get_i32("test.i16") == -30000);
    CHECK(f.get_u32("test.u32") == 4000000000u);
    CHECK(f.get_i64("test.u32") == 4000000000ll);
    CHECK(f.get_u64("test.u64") == (uint64_t(1) << 63) + 5);
    CHECK(f.get_i64("test.i64") == -(int64_t(1) << 62));
    CHECK(f.get_f32("test.f32") == 3.14159f);
    CHECK(f.get_f64("test.f64") == -1e300);
    CHECK(f.get_bool("test.bool_true"));
    CHECK_FALSE(f.get_bool("test.bool_false"));
    CHECK(f.get_str("test.str_empty").empty());
    CHECK(f.get_str_array("arr.str") == std::vector<std::string>{"a", "", u8"\u00fcn\u00ef", "x y"});
    CHECK(f.get_f32_array("arr.f32")[1] == -2.25f);
    CHECK(f.get_f32_array("arr.f64") == std::vector<float>{3.5f, float(-1e-300)});
    CHECK(f.get_i32_array("arr.i8") == std::vector<int32_t>{-128, 0, 127});
    CHECK(f.get_i32_array("arr.i32") == std::vector<int32_t>{-5, 0, 2147483647});
    CHECK(f.get_u32_array("arr.u16") == std::vector<uint32_t>{0, 65535});
    CHECK(f.get_i64_array("arr.i64")[0] == INT64_MIN);
    CHECK(f.get_bool_array("arr.bool") == std::vector<bool>{true, false, true});
    CHECK(f.get("arr.u8").array_size() == 3);
    CHECK(f.get("arr.u8").array_int64(2) == 255);
    CHECK(f.get("arr.nested").as_arrays()[2].as_arrays()[0].as_i32_array() == std::vector<int32_t>{7});
    CHECK(f.get("arr.nested").as_arrays()[3].array_type() == GgufType::I64);
    CHECK(f.get("arr.empty_f32").array_size() == 0);
    CHECK(f.get("arr.str").to_string() == R"(["a", "", "ünï", "x y"])");

    // Defaults apply only to missing keys.
    CHECK(f.get_u32("missing", 7) == 7);
    CHECK(f.get_str("missing", "d") == "d");
    CHECK(f.get_f32("missing", 1.5f) == 1.5f);
    CHECK(f.get_u32("test.u8", 7) == 200);
    CHECK(f.find("missing") == nullptr);

    // Errors name the file and the key.
    std::string e = error_of([&] { f.get_u32("llama.context_length"); });
    CHECK(e == path + ": key 'llama.context_length' is missing");
    e = error_of([&] { f.get_u32("general.architecture"); });
    CHECK(e == path + ": key 'general.architecture' has type string, expected an integer");
    e = error_of([&] { f.get_u32("test.i8"); });
    CHECK(e == path + ": key 'test.i8': value -100 does not fit in an unsigned integer");
    e = error_of([&] { f.get_i32("test.u32"); });
    CHECK(e == path + ": key 'test.u32': value 4000000000 does not fit in i32");
    e = error_of([&] { f.get_str("test.u8"); });
    CHECK(e == path + ": key 'test.u8' has type u8, expected string");
    e = error_of([&] { f.get_str_array("arr.u8"); });
    CHECK(e == path + ": key 'arr.u8' has type array of u8, expected array of string");
    e = error_of([&] { f.get_i32_array("arr.u64"); });
    CHECK(e.find("does not fit in i32") != std::string::npos);
    e = error_of([&] { f.get_u32("test.u8", 3); f.get_bool("test.u8", false); });
    CHECK(e == path + ": key 'test.u8' has type u8, expected bool");
}

TEST_CASE("gguf value: accessors and factories", "[gguf]") {
    CHECK(GgufValue().type() == GgufType::U32);
    CHECK(GgufValue::u8(3).as_int64() == 3);
    CHECK(GgufValue::i64(-1).as_int64() == -1);
    CHECK_THROWS_WITH(GgufValue::i64(-1).as_uint64(), Catch::Contains("does not fit"));
    CHECK_THROWS_WITH(GgufValue::u64(~0ull).as_int64(), Catch::Contains("does not fit in i64"));
    CHECK_THROWS_WITH(GgufValue::f32(1).as_u32(), "has type f32, expected u32");
    CHECK_THROWS_WITH(GgufValue::str("x").array_size(), "has type string, expected array");
    CHECK_THROWS_AS(GgufValue::array_of_arrays({GgufValue::u8(1)}), GgufError);
    CHECK_THROWS_AS(GgufValue::array(GgufType::STRING, "x", 1), GgufError);
    CHECK(GgufValue::f64(2.5).as_float() == 2.5);
    CHECK(GgufValue::str("a") != GgufValue::str("b"));
    CHECK(GgufValue::array(std::vector<float>{1.f}) != GgufValue::array(std::vector<double>{1.0}));
    std::vector<uint32_t> big(100, 1);
    CHECK(GgufValue::array(big).to_string(3) == "[1, 1, 1, ... (100 items)]");
}

TEST_CASE("gguf writer: replacing a key keeps its position; validation", "[gguf]") {
    GgufWriter w;
    w.set("a", GgufValue::u32(1));
    w.set("b", GgufValue::u32(2));
    w.set("a", GgufValue::str("one"));
    REQUIRE(w.kvs().size() == 2);
    CHECK(w.kvs()[0].key == "a");
    CHECK(w.kvs()[0].value.as_str() == "one");
    CHECK(w.remove("a"));
    CHECK_FALSE(w.remove("a"));
    CHECK(w.find("b")->as_u32() == 2);

    CHECK_THROWS_WITH(w.set_alignment(0), Catch::Contains("power of two"));
    CHECK_THROWS_WITH(w.set_alignment(3), Catch::Contains("power of two"));
    CHECK_THROWS_WITH(w.set("general.alignment", GgufValue::u64(64)), Catch::Contains("expected u32"));
    CHECK_THROWS_AS(w.set("", GgufValue::u8(0)), GgufError);
    w.set_alignment(128);
    CHECK(w.alignment() == 128);
    w.remove("general.alignment");
    CHECK(w.alignment() == 32);

    const int64_t ne[4] = {33, 2, 1, 1};
    float data[66] = {};
    CHECK_THROWS_WITH(w.add_tensor("q", Type::Q8_0, 2, ne, data), Catch::Contains("block size"));
    CHECK_THROWS_WITH(w.add_tensor("z", Type::F32, 0, ne, data), Catch::Contains("n_dims"));
    CHECK_THROWS_WITH(w.add_tensor("z", Type::F32, 5, ne, data), Catch::Contains("n_dims"));
    CHECK_THROWS_WITH(w.add_tensor("u", Type(99), 1, ne, data), Catch::Contains("unknown tensor type"));
    w.add_tensor("t", Type::F32, 2, ne, data);
    CHECK_THROWS_WITH(w.add_tensor("t", Type::F32, 2, ne, data), Catch::Contains("duplicate"));
    CHECK(w.tensor_count() == 1);
}

TEST_CASE("gguf writer: failures leave no output and no temp file", "[gguf]") {
    TempDir dir;
    const int64_t ne[1] = {64};
    std::vector<float> data(64, 1.0f);

    SECTION("directory does not exist") {
        GgufWriter w;
        w.set("a", GgufValue::u32(1));
        const std::string path = dir.file("no/such/dir/x.gguf");
        CHECK_THROWS_WITH(w.write(path), Catch::Contains(path) && Catch::Contains("No such file"));
        CHECK_FALSE(exists(dir.file("no")));
    }
    SECTION("a tensor fill throws: the existing file is untouched") {
        const std::string path = dir.file("keep.gguf");
        {
            std::ofstream(path) << "previous contents";
        }
        GgufWriter w;
        w.add_tensor("a", Type::F32, 1, ne, data.data());
        w.add_tensor("b", Type::F32, 1, ne, [](const GgufWriter::ByteSink& sink) {
            float x[16] = {};
            sink(x, sizeof x);
            throw std::runtime_error("disk on fire");
        });
        CHECK_THROWS_WITH(w.write(path), Catch::Contains("tensor 'b'") && Catch::Contains("disk on fire"));
        CHECK(read_all(path) == "previous contents");
        CHECK_FALSE(exists(path + ".tmp"));
    }
    SECTION("a fill that produces too few or too many bytes") {
        const std::string path = dir.file("short.gguf");
        GgufWriter w1;
        w1.add_tensor("s", Type::F32, 1, ne, [](const GgufWriter::ByteSink& sink) { sink("abcd", 4); });
        CHECK_THROWS_WITH(w1.write(path), Catch::Contains("produced 4 bytes, expected 256"));
        GgufWriter w2;
        w2.add_tensor("l", Type::F32, 1, ne, [](const GgufWriter::ByteSink& sink) {
            std::vector<uint8_t> big(300);
            sink(big.data(), big.size());
        });
        CHECK_THROWS_WITH(w2.write(path), Catch::Contains("more than 256 bytes"));
        CHECK_FALSE(exists(path));
        CHECK_FALSE(exists(path + ".tmp"));
    }
    SECTION("the target is a directory: rename fails, temp file removed") {
        const std::string path = dir.file("adir");
        REQUIRE(::mkdir(path.c_str(), 0755) == 0);
        REQUIRE(std::ofstream(path + "/inside").good());
        GgufWriter w;
        w.add_tensor("a", Type::F32, 1, ne, data.data());
        CHECK_THROWS_WITH(w.write(path), Catch::Contains("rename"));
        CHECK_FALSE(exists(path + ".tmp"));
    }
}

TEST_CASE("gguf: zero-sized tensors and files without tensors", "[gguf]") {
    TempDir dir;
    const std::string path = dir.file("empty.gguf");
    GgufWriter w;
    const int64_t ne[2] = {0, 4};
    w.add_tensor("empty", Type::F32, 2, ne, static_cast<const void*>(nullptr));
    const int64_t ne1[1] = {8};
    float d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    w.add_tensor("after", Type::F32, 1, ne1, d);
    w.write(path);
    GgufFile f = GgufFile::open(path);
    CHECK(f.find_tensor("empty")->size == 0);
    CHECK(f.find_tensor("empty")->n_elements() == 0);
    CHECK(std::memcmp(f.tensor_data(*f.find_tensor("after")), d, sizeof d) == 0);

    GgufWriter none;
    none.write(path);
    GgufFile g = GgufFile::open(path);
    CHECK(g.tensors().empty());
    CHECK(g.kvs().empty());
    CHECK(g.file_size() == 32);  // 24-byte header padded to the alignment
}
