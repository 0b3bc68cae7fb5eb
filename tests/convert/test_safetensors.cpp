// Safetensors reader: checkpoints written by PyPI's safetensors library read back exactly, and hostile
// files and folders (built byte by byte here, no Python) each give a one-line ConvertError naming the file.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "convert/safetensors.h"
#include "test_util.h"

using namespace giraffe::convert;

namespace {

// A safetensors file: u64 little-endian header length | header | data.
std::string st_file(const std::string& header, const std::string& data = "", uint64_t len = ~uint64_t(0)) {
    if (len == ~uint64_t(0)) len = header.size();
    std::string s;
    for (int i = 0; i < 8; i++) s.push_back(char((len >> (8 * i)) & 0xff));
    return s + header + data;
}

// One header entry: "name":{"dtype":..,"shape":..,"data_offsets":[b,e]}.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t b,
                  uint64_t e) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(b) + "," + std::to_string(e) + "]}";
}

// A valid two-tensor header (a: F32 [2, 2] at 0..16, b: F16 [4] at 16..24) with `extra` entries added.
std::string header(const std::string& extra = "") {
    return "{" + entry("a", "F32", "[2,2]", 0, 16) + "," + entry("b", "F16", "[4]", 16, 24) +
           (extra.empty() ? "" : "," + extra) + "}";
}
const std::string kData(24, '\x11');

// The error of opening bytes as a file: checked to name the file and to be one line; "(opened)" when
// accepted, after every tensor byte is read so that AddressSanitizer sees an out-of-range access.
std::string open_error(const TempDir& dir, const std::string& bytes) {
    const std::string path = dir.file("bad.safetensors");
    write_file(path, bytes);
    try {
        SafetensorsFile f(path);
        unsigned sum = 0;
        for (const StTensor& t : f.tensors())
            for (size_t i = 0; i < t.nbytes; i++) sum += t.data[i];
        (void)sum;
        return "(opened)";
    } catch (const ConvertError& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind(path + ": ", 0) == 0);
        CHECK(msg.find('\n') == std::string::npos);
        return msg;
    }
}

#define CHECK_BAD(bytes, fragment)                        \
    do {                                                  \
        const std::string msg_ = open_error(dir, bytes);  \
        INFO(msg_);                                       \
        CHECK(msg_.find(fragment) != std::string::npos);  \
    } while (0)

// The error of opening a checkpoint folder, checked to be one line and to name `file`.
std::string checkpoint_error(const std::string& dir, const std::string& file) {
    try {
        Checkpoint ck(dir);
        return "(opened)";
    } catch (const ConvertError& e) {
        const std::string msg = e.what();
        CHECK(msg.find(file) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
        return msg;
    }
}

#define CHECK_BAD_DIR(dir, file, fragment)                         \
    do {                                                           \
        const std::string msg_ = checkpoint_error(dir, file);      \
        INFO(msg_);                                                \
        CHECK(msg_.find(fragment) != std::string::npos);           \
    } while (0)

std::string index_json(const std::string& weight_map) { return "{\"metadata\":{},\"weight_map\":{" + weight_map + "}}"; }

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

}  // namespace

// ---- hand-built files (no Python: these run under the sanitizers) ----

TEST_CASE("safetensors: a hand-built file opens and converts exactly", "[safetensors][hostile]") {
    TempDir dir;
    // a: F32 [2] = {1.5, -2}; b: BF16 [2] = {1, -0.5}; c: F16 [3] = {1, 65504, 2^-24}; s: F32 scalar; e: empty.
    std::string data;
    auto put16 = [&](std::initializer_list<uint16_t> vs) {
        for (uint16_t v : vs) data.append(reinterpret_cast<const char*>(&v), 2);
    };
    const float a[2] = {1.5f, -2.0f};
    data.append(reinterpret_cast<const char*>(a), 8);
    put16({0x3f80, 0xbf00});
    put16({0x3c00, 0x7bff, 0x0001});
    const float s = 7.0f;
    data.append(reinterpret_cast<const char*>(&s), 4);
    // A header of odd length leaves the data unaligned, as real files may.
    const std::string h = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("c", "F16", "[3]", 12, 18) + "," +
                          entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "BF16", "[2]", 8, 12) + "," +
                          entry("s", "F32", "[]", 18, 22) + "," + entry("e", "F32", "[0,5]", 22, 22) + "} ";
    REQUIRE(h.size() % 2 == 1);
    const std::string path = dir.file("model.safetensors");
    write_file(path, st_file(h, data));

    SafetensorsFile f(path);
    CHECK(f.metadata() == std::map<std::string, std::string>{{"format", "pt"}});
    std::vector<std::string> names;
    for (const StTensor& t : f.tensors()) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"a", "b", "c", "s", "e"});  // data-offset order

    Checkpoint ck(dir.path());
    CHECK(ck.tensors().size() == 5);
    CHECK(ck.tensors()[0]->name == "a");  // by name
    float out[3];
    st_to_f32(ck.get("a"), out);
    CHECK((out[0] == 1.5f && out[1] == -2.0f));
    st_to_f32(ck.get("b"), out);
    CHECK((out[0] == 1.0f && out[1] == -0.5f));
    st_to_f32(ck.get("c"), out);
    CHECK((out[0] == 1.0f && out[1] == 65504.0f && out[2] == std::ldexp(1.0f, -24)));
    const StTensor& sc = ck.get("s");
    CHECK((sc.shape.empty() && sc.n_elements() == 1 && sc.nbytes == 4));
    st_to_f32(sc, out);
    CHECK(out[0] == 7.0f);
    const StTensor& e = ck.get("e");
    CHECK((e.n_elements() == 0 && e.nbytes == 0 && *e.file == dir.file("model.safetensors")));
    CHECK(ck.find("nope") == nullptr);
    CHECK_THROWS_WITH(ck.get("nope"), Catch::Contains(dir.path()) && Catch::Contains("tensor 'nope' is missing"));
}

TEST_CASE("safetensors hostile: file size and header length", "[safetensors][hostile]") {
    TempDir dir;
    CHECK(open_error(dir, st_file(header(), kData)) == "(opened)");
    CHECK_BAD("", "file is 0 bytes, too short");
    CHECK_BAD(std::string("\x10\0\0\0\0", 5), "file is 5 bytes, too short");
    CHECK_BAD(st_file("{}", "", 1000), "header length 1000 runs past the end of the file (10 bytes)");
    CHECK_BAD(st_file("{}", "", uint64_t(1) << 63), "header length 9223372036854775808 is over the limit");
    CHECK_BAD(st_file("{}", "", ~uint64_t(0) - 3), "is over the limit");
    CHECK_BAD(st_file(header(), kData, 5), "header is not valid JSON");  // length cuts the JSON short
}

TEST_CASE("safetensors hostile: header JSON", "[safetensors][hostile]") {
    TempDir dir;
    CHECK_BAD(st_file("not json"), "header is not valid JSON");
    CHECK_BAD(st_file(""), "header is not valid JSON");
    CHECK_BAD(st_file("{\"a\":"), "header is not valid JSON");
    CHECK_BAD(st_file("{\"\xff\":{}}"), "header is not valid JSON");  // not UTF-8
    CHECK_BAD(st_file("{}\n{}"), "header is not valid JSON");
    CHECK_BAD(st_file("[1,2]"), "header is an array, not an object");
    CHECK_BAD(st_file("\"x\""), "header is a string, not an object");
    CHECK_BAD(st_file(std::string(100000, '[') + std::string(100000, ']')), "nests JSON deeper than 32 levels");
    std::string deep;
    for (int i = 0; i < 50; i++) deep += "{\"k\":";
    CHECK_BAD(st_file(deep + "1" + std::string(50, '}')), "nests JSON deeper");
    CHECK(open_error(dir, st_file("{}")) == "(opened)");  // no tensors is allowed
    CHECK(open_error(dir, st_file("  {}  \n")) == "(opened)");  // writers pad the header with spaces
}

TEST_CASE("safetensors hostile: tensor entries", "[safetensors][hostile]") {
    TempDir dir;
    CHECK_BAD(st_file(header("\"c\":[1]"), kData), "tensor 'c': entry is an array, not an object");
    CHECK_BAD(st_file(header("\"c\":{\"shape\":[0],\"data_offsets\":[0,0]}"), kData), "tensor 'c': missing 'dtype'");
    CHECK_BAD(st_file(header("\"c\":{\"dtype\":7,\"shape\":[0],\"data_offsets\":[0,0]}"), kData),
              "tensor 'c': 'dtype' is a number, not a string");
    CHECK_BAD(st_file(header(entry("c", "F9", "[1]", 0, 4)), kData), "tensor 'c': unknown dtype 'F9'");
    CHECK_BAD(st_file(header(entry("c", "f32", "[1]", 0, 4)), kData), "unknown dtype 'f32'");
    CHECK_BAD(st_file(header("\"c\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}"), kData), "tensor 'c': missing 'shape'");
    CHECK_BAD(st_file(header(entry("c", "F32", "3", 0, 4)), kData), "tensor 'c': 'shape' is a number, not an array");
    CHECK_BAD(st_file(header(entry("c", "F32", "[-1,2]", 0, 0)), kData), "tensor 'c': shape [-1,2] has a negative dimension");
    CHECK_BAD(st_file(header(entry("c", "F32", "[1.5]", 0, 4)), kData), "not an integer");
    CHECK_BAD(st_file(header(entry("c", "F32", "[\"2\"]", 0, 8)), kData), "not an integer");
    CHECK_BAD(st_file(header(entry("c", "F32", "[18446744073709551615]", 0, 8)), kData), "not an integer in int64 range");
    CHECK_BAD(st_file(header(entry("c", "F32", "[99999999999999999999999]", 0, 8)), kData), "not an integer");
    CHECK_BAD(st_file(header(entry("c", "F32", "[4294967296,4294967296,4]", 0, 8)), kData),
              "tensor 'c': shape [4294967296, 4294967296, 4] has too many elements");
    CHECK_BAD(st_file(header(entry("c", "F64", "[4611686018427387904]", 0, 8)), kData), "byte size that overflows");
    CHECK_BAD(st_file(header(entry("c", "U8", "[1,1,1,1,1,1,1,1,1]", 0, 1)), kData), "shape has 9 dimensions");
    CHECK_BAD(st_file(header("\"\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}"), kData), "empty name");
    // A name with a control character is escaped, keeping the message on one line.
    CHECK_BAD(st_file(header(entry("x\\ny", "F9", "[1]", 0, 4)), kData), "tensor 'x\\x0ay': unknown dtype");
}

TEST_CASE("safetensors hostile: data offsets", "[safetensors][hostile]") {
    TempDir dir;
    auto one = [](const std::string& offsets) {
        return st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":" + offsets + "}}", kData);
    };
    CHECK_BAD(one("[0,1000]"), "tensor 'a': data_offsets [0, 1000] run past the end of the data section (24 bytes)");
    CHECK_BAD(one("[18446744073709551600,18446744073709551615]"), "run past the end of the data section");
    CHECK_BAD(one("[16,8]"), "tensor 'a': data_offsets [16, 8]: begin is after end");
    CHECK_BAD(one("[0,12]"), "tensor 'a': data_offsets [0, 12] hold 12 bytes, but F32 [2, 2] needs 16");
    CHECK_BAD(one("[0]"), "tensor 'a': 'data_offsets' [0] is not [begin, end]");
    CHECK_BAD(one("[0,16,32]"), "is not [begin, end]");
    CHECK_BAD(one("[-8,8]"), "is not [begin, end]");
    CHECK_BAD(one("{\"b\":0}"), "is not [begin, end]");
    CHECK_BAD(st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2]}}", kData), "tensor 'a': missing 'data_offsets'");
    CHECK(open_error(dir, one("[8,24]")) == "(opened)");  // holes are allowed
}

TEST_CASE("safetensors hostile: overlaps and duplicates", "[safetensors][hostile]") {
    TempDir dir;
    CHECK_BAD(st_file(header(entry("c", "F32", "[4]", 8, 24)), kData),
              "tensor 'c': data_offsets [8, 24] overlap tensor 'a' [0, 16]");
    CHECK_BAD(st_file(header(entry("c", "F16", "[4]", 16, 24)), kData), "overlap tensor '");  // same range as b
    CHECK_BAD(st_file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[4]", 0, 16) + "}", kData),
              "tensor 'b': data_offsets [0, 16] overlap tensor 'a' [0, 8]");
    // Empty tensors overlap nothing, wherever they sit.
    CHECK(open_error(dir, st_file(header(entry("e", "F32", "[0]", 4, 4)), kData)) == "(opened)");
    // nlohmann would keep the last of two equal keys; the reader refuses them.
    CHECK_BAD(st_file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("a", "F32", "[2]", 8, 16) + "}", kData),
              "tensor 'a': duplicate name in the header");
    CHECK_BAD(st_file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", kData),
              "header has the key 'dtype' twice in one object");
    CHECK_BAD(st_file("{\"__metadata__\":{},\"__metadata__\":{}}"), "header has the key '__metadata__' twice");
}

TEST_CASE("safetensors hostile: __metadata__", "[safetensors][hostile]") {
    TempDir dir;
    CHECK_BAD(st_file(header("\"__metadata__\":[\"x\"]"), kData), "__metadata__ is an array, not an object of strings");
    CHECK_BAD(st_file(header("\"__metadata__\":\"x\""), kData), "__metadata__ is a string, not an object");
    CHECK_BAD(st_file(header("\"__metadata__\":{\"format\":\"pt\",\"n\":3}"), kData), "__metadata__ 'n' is a number, not a string");
    CHECK_BAD(st_file(header("\"__metadata__\":{\"k\":{\"x\":\"y\"}}"), kData), "__metadata__ 'k' is an object, not a string");
    CHECK(open_error(dir, st_file(header("\"__metadata__\":{}"), kData)) == "(opened)");
}

TEST_CASE("safetensors hostile: every truncation and byte flip is refused or read in bounds",
          "[safetensors][hostile]") {
    TempDir dir;
    const std::string good = st_file(header("\"__metadata__\":{\"format\":\"pt\"}"), kData);
    for (size_t n = 0; n < good.size(); n++) {
        INFO("truncated to " << n);
        CHECK(open_error(dir, good.substr(0, n)) != "(opened)");
    }
    for (size_t i = 0; i < good.size() - kData.size(); i++)
        for (unsigned char v : {0x00, 0x22, 0x5b, 0x7d, 0x30, 0x39, 0xff}) {
            std::string b = good;
            b[i] = char(v);
            INFO("byte " << i << " set to " << unsigned(v));
            open_error(dir, b);  // either outcome; only a crash or a sanitizer report fails
        }
}

// ---- checkpoint folders ----

TEST_CASE("safetensors hostile: checkpoint folders and indexes", "[safetensors][hostile]") {
    TempDir dir;
    const std::string d = dir.path();
    const std::string idx = dir.file("model.safetensors.index.json");

    CHECK_BAD_DIR(d, d, "no model.safetensors, model.safetensors.index.json or *.safetensors files");
    CHECK_BAD_DIR(d + "/missing", d + "/missing", "cannot open folder");
    write_file(dir.file("notes.txt"), "x");
    CHECK_BAD_DIR(dir.file("notes.txt"), "notes.txt", "not a folder");

    write_file(dir.file("m1.safetensors"), st_file(header(), kData));  // a, b
    write_file(dir.file("m2.safetensors"),
               st_file("{" + entry("c", "F32", "[1]", 0, 4) + "}", std::string(4, '\0')));

    write_file(idx, "{not json");
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "index is not valid JSON");
    write_file(idx, "[]");
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "index is an array, not an object");
    write_file(idx, "{\"metadata\":{}}");
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "'weight_map' is missing or not an object");
    write_file(idx, index_json(""));
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "'weight_map' lists no tensors");
    write_file(idx, index_json("\"a\":3"));
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "tensor 'a': shard is a number, not a file name");
    write_file(idx, index_json("\"a\":\"m1.safetensors\",\"a\":\"m2.safetensors\""));
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "index has the key 'a' twice");

    write_file(idx, index_json("\"a\":\"m1.safetensors\",\"c\":\"m9.safetensors\""));
    CHECK_BAD_DIR(d, "model.safetensors.index.json", "shard 'm9.safetensors' does not exist in the folder");
    for (const char* escape : {"../m1.safetensors", "/etc/passwd", "sub/m1.safetensors", "..", ".", ""}) {
        write_file(idx, index_json(std::string("\"a\":\"") + escape + "\""));
        CHECK_BAD_DIR(d, "model.safetensors.index.json", "is not a plain file name in the folder");
    }
    write_file(idx, index_json("\"a\":\"m1.safetensors\",\"zz\":\"m2.safetensors\""));
    CHECK_BAD_DIR(d, "m2.safetensors", "tensor 'zz': listed in model.safetensors.index.json but not in this file");
    write_file(idx, index_json("\"a\":\"m2.safetensors\",\"c\":\"m2.safetensors\""));  // a lives in m1
    CHECK_BAD_DIR(d, "m2.safetensors", "tensor 'a': listed in model.safetensors.index.json but not in this file");
    write_file(idx, index_json("\"a\":\"m1.safetensors\",\"c\":\"m2.safetensors\""));
    CHECK(checkpoint_error(d, "") == "(opened)");

    // A shard that is broken reports the shard.
    write_file(dir.file("m2.safetensors"), st_file("{", ""));
    CHECK_BAD_DIR(d, "m2.safetensors", "header is not valid JSON");
    // The same tensor in two shards is ambiguous.
    write_file(dir.file("m2.safetensors"), st_file(header(), kData));
    CHECK_BAD_DIR(d, "m2.safetensors", "tensor 'a': also in " + dir.file("m1.safetensors"));
    // Without the index, every *.safetensors counts, and the duplicate is found too.
    ::unlink(idx.c_str());
    CHECK_BAD_DIR(d, "m2.safetensors", "tensor 'a': also in");
    // model.safetensors wins over everything else in the folder.
    write_file(dir.file("model.safetensors"), st_file("{" + entry("z", "U8", "[2]", 0, 2) + "}", "ab"));
    Checkpoint ck(d);
    REQUIRE(ck.tensors().size() == 1);
    CHECK(ck.tensors()[0]->name == "z");
    CHECK_THROWS_WITH(st_to_f32(ck.get("z"), nullptr),
                      Catch::Contains("model.safetensors: tensor 'z': dtype U8 cannot be converted to float"));
}

// ---- files written by PyPI's safetensors ----

namespace {

struct Expected {
    std::string folder, file, name, dtype;
    std::vector<int64_t> shape;
};

std::vector<Expected> read_expected(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in.good());
    std::vector<Expected> v;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream ls(line);
        Expected e;
        int rank = 0;
        ls >> e.folder >> e.file >> e.name >> e.dtype >> rank;
        e.shape.resize(size_t(rank));
        for (int64_t& d : e.shape) ls >> d;
        REQUIRE(!ls.fail());
        v.push_back(e);
    }
    return v;
}

// Values equal bit for bit; a NaN need only stay a NaN.
void check_values(const StTensor& t, const std::string& ref) {
    const std::vector<float> want = read_floats(ref);
    REQUIRE(int64_t(want.size()) == t.n_elements());
    std::vector<float> got(want.size());
    st_to_f32(t, got.data());
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); i++)
        if (std::isnan(want[i]) ? !std::isnan(got[i]) : bits(want[i]) != bits(got[i])) bad++;
    INFO(t.name << ": " << bad << " of " << want.size() << " values differ");
    CHECK(bad == 0);
}

}  // namespace

TEST_CASE("safetensors: checkpoints written by the safetensors library", "[safetensors]") {
    TempDir dir;
    run_python("tests/convert/safetensors_write.py", dir.path());
    const std::vector<Expected> expected = read_expected(dir.file("expect.txt"));

    for (const std::string& folder : std::vector<std::string>{"single", "sharded", "loose"}) {
        Checkpoint ck(dir.file(folder));
        size_t n = 0;
        for (const Expected& e : expected) {
            if (e.folder != folder) continue;
            n++;
            INFO(folder << " " << e.name);
            const StTensor* t = ck.find(e.name);
            REQUIRE(t != nullptr);
            CHECK(st_dtype_name(t->dtype) == e.dtype);
            CHECK(t->shape == e.shape);
            CHECK(*t->file == dir.file(folder) + "/" + e.file);
            CHECK(t->nbytes == size_t(t->n_elements()) * st_dtype_size(t->dtype));
            const std::string ref = dir.file("ref/" + folder + "." + e.name + ".f32");
            if (access(ref.c_str(), R_OK) == 0)
                check_values(*t, ref);
            else
                CHECK_THROWS_WITH(st_to_f32(*t, nullptr),
                                  Catch::Contains("tensor '" + e.name + "': dtype " + e.dtype + " cannot be converted"));
        }
        CHECK(ck.tensors().size() == n);
        for (size_t i = 1; i < ck.tensors().size(); i++) CHECK(ck.tensors()[i - 1]->name < ck.tensors()[i]->name);
    }

    SafetensorsFile f(dir.file("single/model.safetensors"));
    CHECK(f.metadata() == std::map<std::string, std::string>{{"format", "np"}, {"note", "test"}});
    for (size_t i = 1; i < f.tensors().size(); i++) CHECK(f.tensors()[i - 1].data <= f.tensors()[i].data);
}
