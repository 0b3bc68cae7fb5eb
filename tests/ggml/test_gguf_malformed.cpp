// GGUF reader on malformed input: every problem is a one-line GgufError naming the file, never a crash.
// Files are built byte by byte here so each field can be broken on purpose.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "ggml/gguf.h"
#include "test_util.h"

using namespace ggml;

namespace {

// Little-endian byte builder.
struct Bytes {
    std::string s;
    Bytes& u8(uint8_t v) { s.push_back(char(v)); return *this; }
    Bytes& u32(uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); return *this; }
    Bytes& u64(uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); return *this; }
    Bytes& str(const std::string& x) { u64(x.size()); s += x; return *this; }
    Bytes& raw(const std::string& x) { s += x; return *this; }
    Bytes& pad(size_t al) { while (s.size() % al) s.push_back('\0'); return *this; }
};

struct TensorSpec {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    uint64_t offset;
};

// A file description; the defaults make a valid file with two f32 tensors, a: [8] and b: [4, 2].
struct Spec {
    std::string magic = "GGUF";
    uint32_t version = 3;
    int64_t n_tensors = -1;  // -1: the real count
    int64_t n_kv = -1;
    std::vector<std::string> kvs = {kv_str("general.architecture", "test")};
    std::vector<TensorSpec> tensors = {{"a", {8}, 0, 0}, {"b", {4, 2}, 0, 32}};
    size_t alignment = 32;  // used to pad before the data section
    size_t data_bytes = 64;

    static std::string kv_str(const std::string& k, const std::string& v) {
        return Bytes().str(k).u32(uint32_t(GgufType::STRING)).str(v).s;
    }
    static std::string kv_u32(const std::string& k, uint32_t v) {
        return Bytes().str(k).u32(uint32_t(GgufType::U32)).u32(v).s;
    }
    std::string build() const {
        Bytes b;
        b.raw(magic).u32(version);
        b.u64(n_tensors < 0 ? tensors.size() : uint64_t(n_tensors));
        b.u64(n_kv < 0 ? kvs.size() : uint64_t(n_kv));
        for (const auto& kv : kvs) b.raw(kv);
        for (const auto& t : tensors) {
            b.str(t.name).u32(uint32_t(t.ne.size()));
            for (uint64_t n : t.ne) b.u64(n);
            b.u32(t.type).u64(t.offset);
        }
        b.pad(alignment);
        for (size_t i = 0; i < data_bytes; i++) b.u8(uint8_t(i));
        return b.s;
    }
};

// Opens bytes as a file; returns the GgufError message, or "(opened)" when the file is accepted.
std::string open_error(const TempDir& dir, const std::string& bytes) {
    const std::string path = dir.file("bad.gguf");
    write_file(path, bytes);
    try {
        GgufFile f = GgufFile::open(path);
        // Touch every tensor byte so AddressSanitizer sees any out-of-range access.
        unsigned sum = 0;
        for (const auto& t : f.tensors()) {
            const uint8_t* p = static_cast<const uint8_t*>(f.tensor_data(t));
            for (size_t i = 0; i < t.size; i++) sum += p[i];
        }
        (void)sum;
        return "(opened)";
    } catch (const GgufError& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind(path + ": ", 0) == 0);            // names the file
        CHECK(msg.find('\n') == std::string::npos);         // one line
        return msg;
    }
}

#define CHECK_BAD(spec, fragment)                                  \
    do {                                                           \
        const std::string msg_ = open_error(dir, (spec).build());  \
        INFO(msg_);                                                \
        CHECK(msg_.find(fragment) != std::string::npos);           \
    } while (0)

std::string nested_array_kv(const std::string& key, int depth) {
    Bytes b;
    b.str(key).u32(uint32_t(GgufType::ARRAY));
    for (int i = 0; i < depth - 1; i++) b.u32(uint32_t(GgufType::ARRAY)).u64(1);
    b.u32(uint32_t(GgufType::U8)).u64(1).u8(7);
    return b.s;
}

// A valid file from the writer with every metadata kind, for truncation and corruption sweeps.
std::string full_file(const TempDir& dir, size_t* data_offset) {
    GgufWriter w;
    w.set("general.architecture", GgufValue::str("test"));
    w.set("k.u8", GgufValue::u8(1));
    w.set("k.i16", GgufValue::i16(-2));
    w.set("k.f32", GgufValue::f32(0.5f));
    w.set("k.bool", GgufValue::boolean(true));
    w.set("k.u64", GgufValue::u64(9));
    w.set("k.f64", GgufValue::f64(2.0));
    w.set("k.str", GgufValue::str("hello"));
    w.set("k.arr", GgufValue::array(std::vector<int32_t>{1, 2, 3}));
    w.set("k.strs", GgufValue::array(std::vector<std::string>{"x", "", "yz"}));
    w.set("k.nested", GgufValue::array_of_arrays({GgufValue::array(std::vector<float>{1.f}),
                                                  GgufValue::array(std::vector<std::string>{"s"})}));
    w.set_alignment(64);
    static std::vector<uint8_t> data(4096, 0x5a);
    const int64_t ne_a[2] = {32, 4};
    const int64_t ne_b[1] = {256};
    const int64_t ne_c[3] = {16, 2, 2};
    w.add_tensor("a", Type::Q8_0, 2, ne_a, data.data());
    w.add_tensor("b", Type::Q4_K, 1, ne_b, data.data());
    w.add_tensor("c", Type::F16, 3, ne_c, data.data());
    const std::string path = dir.file("full.gguf");
    w.write(path);
    GgufFile f = GgufFile::open(path);
    *data_offset = f.data_offset();
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("gguf malformed: the base spec is valid", "[gguf]") {
    TempDir dir;
    CHECK(open_error(dir, Spec().build()) == "(opened)");
}

TEST_CASE("gguf malformed: header", "[gguf]") {
    TempDir dir;
    Spec s;
    s.magic = "GGUX";
    CHECK_BAD(s, "bad magic");
    s = Spec();
    s.version = 1;
    CHECK_BAD(s, "unsupported GGUF version 1");
    s.version = 4;
    CHECK_BAD(s, "unsupported GGUF version 4");
    s.version = 0x03000000;
    CHECK_BAD(s, "big-endian");
    s = Spec();
    s.version = 2;  // v2 has the same layout as v3
    CHECK(open_error(dir, s.build()) == "(opened)");
    s = Spec();
    s.n_tensors = int64_t(1) << 62;
    CHECK_BAD(s, "tensor count 4611686018427387904 is impossible");
    s = Spec();
    s.n_kv = int64_t(1) << 62;
    CHECK_BAD(s, "metadata (kv) count 4611686018427387904 is impossible");
    s = Spec();
    s.n_kv = 3;  // more entries than present: runs into the tensor infos, then off the end
    CHECK(open_error(dir, s.build()) != "(opened)");
    CHECK(open_error(dir, "") .find("end of file") != std::string::npos);
    CHECK(open_error(dir, "GG").find("end of file") != std::string::npos);
}

TEST_CASE("gguf malformed: metadata", "[gguf]") {
    TempDir dir;
    Spec s;
    s.kvs.push_back(Bytes().u64(uint64_t(1) << 40).raw("abc").s);
    s.tensors.clear();
    s.data_bytes = 0;
    CHECK_BAD(s, "key of 1099511627776 bytes");
    s.kvs.back() = Bytes().u64(100).raw("abc").s;  // key length past the end
    CHECK_BAD(s, "string length 100");
    s.kvs.back() = Bytes().str("k").u32(uint32_t(GgufType::STRING)).u64(uint64_t(1) << 50).s;
    CHECK_BAD(s, "runs past the end of the file");
    s.kvs.back() = Bytes().str("k").u32(uint32_t(GgufType::ARRAY)).u32(uint32_t(GgufType::U32)).u64(uint64_t(1) << 61).s;
    CHECK_BAD(s, "array count 2305843009213693952");
    s.kvs.back() = Bytes().str("k").u32(uint32_t(GgufType::ARRAY)).u32(uint32_t(GgufType::STRING)).u64(~uint64_t(0)).s;
    CHECK_BAD(s, "is too large");
    s.kvs.back() = Bytes().str("k").u32(13).u32(0).s;
    CHECK_BAD(s, "unknown value type 13");
    s.kvs.back() = Bytes().str("k").u32(uint32_t(GgufType::ARRAY)).u32(99).u64(1).u32(0).s;
    CHECK_BAD(s, "unknown array element type 99");
    s.kvs.back() = Bytes().str("k").u32(uint32_t(GgufType::BOOL)).u8(2).s;
    CHECK_BAD(s, "invalid bool value 2");
    s.kvs.back() = Bytes().str("").u32(uint32_t(GgufType::U8)).u8(2).s;
    CHECK_BAD(s, "empty key");
    s.kvs.back() = Spec::kv_str("general.architecture", "again");
    CHECK_BAD(s, "duplicate key 'general.architecture'");
    s.kvs.back() = nested_array_kv("deep", 8);
    CHECK(open_error(dir, s.build()) == "(opened)");
    s.kvs.back() = nested_array_kv("deep", 9);
    CHECK_BAD(s, "nested too deep");
    s.kvs.back() = nested_array_kv("deep", 100000);
    CHECK_BAD(s, "nested too deep");
}

TEST_CASE("gguf malformed: tensor infos", "[gguf]") {
    TempDir dir;
    Spec s;
    s.tensors[0].type = 99;
    CHECK_BAD(s, "tensor 'a': unknown or unsupported tensor type 99");
    s.tensors[0].type = 4;  // a retired GGUF id (Q4_2)
    CHECK_BAD(s, "unknown or unsupported tensor type 4");
    s = Spec();
    s.tensors[0].ne = {};
    CHECK_BAD(s, "tensor 'a': n_dims 0");
    s.tensors[0].ne = {8, 1, 1, 1, 1};
    CHECK_BAD(s, "tensor 'a': n_dims 5");
    s.tensors[0].ne = {uint64_t(1) << 40, uint64_t(1) << 40};
    CHECK_BAD(s, "overflows int64");
    s.tensors[0].ne = {uint64_t(1) << 30, uint64_t(1) << 30};  // elements fit, bytes fit, file does not
    CHECK_BAD(s, "runs past the end");
    s.tensors[0].ne = {~uint64_t(0)};
    CHECK_BAD(s, "negative");
    s = Spec();
    s.tensors[0].type = uint32_t(Type::Q4_0);
    s.tensors[0].ne = {33};
    CHECK_BAD(s, "not a multiple of the q4_0 block size 32");
    s = Spec();
    s.tensors[0].name = "";
    CHECK_BAD(s, "empty tensor name");
    s = Spec();
    s.tensors[1].name = "a";
    CHECK_BAD(s, "duplicate tensor name 'a'");
}

TEST_CASE("gguf malformed: alignment, offsets and data ranges", "[gguf]") {
    TempDir dir;
    Spec s;
    s.tensors[1].offset = 4096;
    CHECK_BAD(s, "tensor 'b' data [offset 4096, size 32] runs past the end of the file");
    s.tensors[1].offset = ~uint64_t(0) - 31;
    CHECK_BAD(s, "runs past the end of the file");
    s.tensors[1].offset = 48;
    CHECK_BAD(s, "offset 48 is not a multiple of the alignment 32");
    s.tensors[1].offset = 0;
    CHECK_BAD(s, "overlaps tensor");
    s = Spec();
    s.data_bytes = 63;  // the last tensor is one byte short
    CHECK_BAD(s, "runs past the end of the file");

    s = Spec();
    s.kvs.push_back(Spec::kv_u32("general.alignment", 0));
    CHECK_BAD(s, "alignment must be a nonzero power of two");
    s.kvs.back() = Spec::kv_u32("general.alignment", 3);
    CHECK_BAD(s, "alignment must be a nonzero power of two");
    s.kvs.back() = Spec::kv_str("general.alignment", "64");
    CHECK_BAD(s, "key 'general.alignment' has type string, expected u32");
    s.kvs.back() = Spec::kv_u32("general.alignment", 16);
    s.alignment = 16;
    s.tensors[1].offset = 48;  // fine at 16
    s.data_bytes = 80;
    CHECK(open_error(dir, s.build()) == "(opened)");
    s.kvs.back() = Spec::kv_u32("general.alignment", 64);
    s.alignment = 64;
    s.tensors[1].offset = 32;
    CHECK_BAD(s, "offset 32 is not a multiple of the alignment 64");
}

TEST_CASE("gguf malformed: files and paths", "[gguf]") {
    TempDir dir;
    CHECK_THROWS_WITH(GgufFile::open(dir.file("missing.gguf")), Catch::Contains("missing.gguf: cannot open"));
    CHECK_THROWS_WITH(GgufFile::open(dir.path()), Catch::Contains("not a regular file"));
}

TEST_CASE("gguf malformed: truncation at every header byte and inside the data", "[gguf]") {
    TempDir dir;
    size_t data_offset = 0;
    const std::string full = full_file(dir, &data_offset);
    REQUIRE(open_error(dir, full) == "(opened)");
    REQUIRE(data_offset > 200);
    for (size_t n = 0; n < data_offset; n++) {
        const std::string msg = open_error(dir, full.substr(0, n));
        INFO("truncated to " << n << " bytes: " << msg);
        const bool telling = msg.find("end of file") != std::string::npos ||
                             msg.find("past the end") != std::string::npos ||
                             msg.find("impossible for a file") != std::string::npos ||
                             msg.find("too large for the") != std::string::npos;
        CHECK(telling);
    }
    // Tensor data: a at [0, 136), b at [192, 336), c at [384, 512) relative to the data section.
    for (size_t rel : {size_t(0), size_t(1), size_t(100), size_t(135), size_t(200), size_t(335), size_t(400), size_t(511)}) {
        const std::string msg = open_error(dir, full.substr(0, data_offset + rel));
        INFO("truncated to data + " << rel << ": " << msg);
        CHECK(msg.find("runs past the end of the file") != std::string::npos);
    }
}

TEST_CASE("gguf malformed: random corruption never crashes", "[gguf]") {
    TempDir dir;
    size_t data_offset = 0;
    const std::string full = full_file(dir, &data_offset);
    std::mt19937 rng(1234);
    int opened = 0;
    for (int iter = 0; iter < 1500; iter++) {
        std::string bad = full;
        const int flips = 1 + int(rng() % 4);
        for (int k = 0; k < flips; k++) {
            const size_t at = rng() % data_offset;
            bad[at] = char(rng() % 4 == 0 ? 0xff : rng());
        }
        if (open_error(dir, bad) == "(opened)") opened++;
    }
    CHECK(opened < 1500);
}
