// giraffe convert on random-weight checkpoints of each architecture (tests/convert/hf_checkpoint_make.py):
// against llama.cpp's convert_hf_to_gguf.py (every tensor's bytes and every metadata key both write), against
// the numpy forward pass (the converted model's logits), quantized outputs, and bad input through the CLI.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "convert/convert.h"
#include "ggml/gguf.h"
#include "model.h"
#include "session.h"
#include "src/tiny_models.h"
#include "test_util.h"

namespace {

bool exists(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

// The checkpoints, written once per run.
const TempDir& checkpoints() {
    static TempDir dir;
    static bool made = false;
    if (!made) {
        run_python("tests/convert/hf_checkpoint_make.py", dir.path());
        made = true;
    }
    return dir;
}

std::string ckpt(const std::string& name) { return checkpoints().file(name); }

// Converts a checkpoint with giraffe (once per checkpoint and type).
std::string converted(const std::string& name, const std::string& type, std::vector<std::string>* warnings = nullptr) {
    const std::string out = checkpoints().file(name + "-" + type + ".gguf");
    if (!exists(out)) {
        giraffe::convert::ConvertOptions o;
        o.type = type;
        o.n_threads = 2;
        o.warn = [warnings](const std::string& w) {
            if (warnings) warnings->push_back(w);
        };
        giraffe::convert::convert_checkpoint(ckpt(name), out, o);
    }
    return out;
}

// The reference converter's Python (tests/convert/setup_reference.sh), or "" when it is not set up: then the
// comparison is skipped with a warning, or fails where GIRAFFE_REQUIRE_CONVERT_REF=1 (CI).
std::string reference_python() {
    const std::string root = GIRAFFE_SOURCE_DIR "/.venv-convert-ref";
    if (access((root + "/bin/python").c_str(), X_OK) == 0 && exists(root + "/llama.cpp/convert_hf_to_gguf.py"))
        return root + "/bin/python";
    const char* req = std::getenv("GIRAFFE_REQUIRE_CONVERT_REF");
    if (req && std::string(req) == "1") FAIL("llama.cpp's converter is not set up: run tests/convert/setup_reference.sh");
    WARN("llama.cpp's convert_hf_to_gguf.py is not set up, skipping the comparison with it "
         "(run tests/convert/setup_reference.sh to enable it)");
    return "";
}

// (checkpoint, type as the Python converter names it): F32 / F16 / BF16 from each source dtype.
const std::pair<const char*, const char*> kRefCases[] = {
    {"llama", "f32"},        {"llama", "f16"},  {"llama-bf16", "auto"}, {"llama-linear", "f32"},
    {"mistral-yarn", "auto"}, {"qwen2", "f32"}, {"qwen2", "bf16"},     {"gemma3", "auto"},
    {"gemma3", "f32"},       {"gemma3-f16", "f16"}, {"phi3", "auto"},
};

std::string ref_path(const std::string& name, const std::string& type) {
    return checkpoints().file("ref-" + name + "-" + type + ".gguf");
}

// Runs the Python converter on every case, in one process (torch is slow to import), once per run.
void run_reference(const std::string& py) {
    static bool done = false;
    if (done) return;
    done = true;
    std::string cmd = py + " " GIRAFFE_SOURCE_DIR "/tests/convert/reference_convert.py " GIRAFFE_SOURCE_DIR
                      "/.venv-convert-ref/llama.cpp/convert_hf_to_gguf.py";
    for (auto [name, type] : kRefCases) cmd += " " + ckpt(name) + " " + type + " " + ref_path(name, type);
    std::string out;
    const int rc = run_capture(cmd, out);
    INFO(cmd << "\n" << out);
    REQUIRE(rc == 0);
}

std::string shape_of(const ggml::GgufTensorInfo& t) {
    std::string s;
    for (int d = 0; d < t.n_dims; d++) s += (d ? "x" : "") + std::to_string(t.ne[d]);
    return s;
}

// Keys the Python converter writes and giraffe does not: provenance from its model-card heuristics.
const std::set<std::string> kOnlyReference = {"general.size_label"};

void compare_with_reference(const std::string& mine, const std::string& ref) {
    const ggml::GgufFile a = ggml::GgufFile::open(mine), b = ggml::GgufFile::open(ref);
    INFO("giraffe: " << mine << "\nPython:  " << ref);
    REQUIRE(a.tensors().size() == b.tensors().size());
    for (const ggml::GgufTensorInfo& tb : b.tensors()) {
        INFO("tensor " << tb.name);
        const ggml::GgufTensorInfo* ta = a.find_tensor(tb.name);
        REQUIRE(ta != nullptr);
        CHECK(ggml::type_name(ta->type) == std::string(ggml::type_name(tb.type)));
        CHECK(shape_of(*ta) == shape_of(tb));
        REQUIRE(ta->size == tb.size);
        CHECK(std::memcmp(a.tensor_data(*ta), b.tensor_data(tb), tb.size) == 0);
    }
    int equal = 0;
    for (const ggml::GgufKv& kv : b.kvs()) {
        const ggml::GgufValue* v = a.find(kv.key);
        if (!v) {
            INFO("key only the Python converter writes: " << kv.key << " = " << kv.value.to_string());
            CHECK(kOnlyReference.count(kv.key) == 1);
            continue;
        }
        INFO("key " << kv.key << ": giraffe " << v->type_string() << " " << v->to_string() << ", Python "
                    << kv.value.type_string() << " " << kv.value.to_string());
        CHECK(*v == kv.value);
        equal++;
    }
    for (const ggml::GgufKv& kv : a.kvs()) {
        INFO("key only giraffe writes: " << kv.key << " = " << kv.value.to_string());
        CHECK(b.find(kv.key) != nullptr);
    }
    std::printf("convert: %-40s %3zu tensors bit-identical, %3d keys equal to convert_hf_to_gguf.py's\n",
                mine.substr(mine.find_last_of('/') + 1).c_str(), b.tensors().size(), equal);
}

// Every position's logits from giraffe (CPU, F32 cache), as tests/src/test_models.cpp computes them.
std::vector<float> giraffe_logits(const std::string& path, const std::vector<int32_t>& toks) {
    auto model = giraffe::Model::load(path, giraffe::Model::Options{});
    giraffe::SessionParams p;
    p.n_ctx = 64;
    p.n_threads = 2;
    p.kv_type_k = p.kv_type_v = ggml::Type::F32;
    giraffe::Session s(*model, p);
    s.decode(toks, true);
    const size_t nv = size_t(model->hparams().n_vocab);
    std::vector<float> out(toks.size() * nv);
    for (size_t i = 0; i < toks.size(); i++) std::copy(s.logits(int(i)), s.logits(int(i)) + nv, out.begin() + long(i * nv));
    return out;
}

std::vector<int32_t> test_tokens() {
    std::mt19937 rng(5);
    std::vector<int32_t> t(21);
    for (int32_t& x : t) x = int32_t(rng() % 1000);
    return t;
}

// tol: the relative error test_models allows for the weight type (the reference decodes the same blocks).
void check_logits(const std::string& path, double tol) {
    const std::vector<int32_t> toks = test_tokens();
    const std::vector<float> ref = giraffe::reference_logits(path, toks, 64);
    const std::vector<float> got = giraffe_logits(path, toks);
    REQUIRE(got.size() == ref.size());
    const double err = giraffe::rel_err(got, ref);
    INFO(path << ": relative error " << err);
    CHECK(err < tol);
}

}  // namespace

TEST_CASE("convert: every tensor and key equal to convert_hf_to_gguf.py's", "[convert]") {
    for (auto [name, type] : kRefCases) converted(name, type);
    const std::string py = reference_python();
    if (py.empty()) return;
    run_reference(py);
    for (auto [name, type] : kRefCases) {
        DYNAMIC_SECTION(name << " " << type) { compare_with_reference(converted(name, type), ref_path(name, type)); }
    }
}

TEST_CASE("convert: the converted models' logits equal the numpy reference", "[convert]") {
    // F32 / F16 / BF16 weights, an F32 cache: float rounding only (test_models' tolerance).
    const std::pair<const char*, const char*> cases[] = {
        {"llama", "f32"}, {"llama", "f16"}, {"qwen2", "f32"}, {"qwen2", "bf16"},
        {"gemma3", "auto"}, {"gemma3", "f32"}, {"phi3", "auto"},
    };
    for (auto [name, type] : cases) {
        DYNAMIC_SECTION(name << " " << type) { check_logits(converted(name, type), 1e-4); }
    }
}

TEST_CASE("convert: quantized outputs follow the mix rules, load and run", "[convert]") {
    SECTION("llama q8_0: every matrix Q8_0, as the Python converter's q8_0") {
        const ggml::GgufFile f = ggml::GgufFile::open(converted("llama", "q8_0"));
        for (const ggml::GgufTensorInfo& t : f.tensors())
            CHECK(t.type == (t.n_dims == 2 ? ggml::Type::Q8_0 : ggml::Type::F32));
        CHECK(f.get_u32("general.file_type") == 7);
        // Quantized products also quantize their activations to 8 bits: errors grow with the rows' width
        // (this model's FFN is 512 wide, test_models' 256).
        check_logits(f.path(), 5e-2);
    }
    SECTION("llama q4_k_m: Q6_K output and more-bits layers") {
        const ggml::GgufFile f = ggml::GgufFile::open(converted("llama", "q4_k_m"));
        CHECK(f.find_tensor("output.weight")->type == ggml::Type::Q6_K);
        CHECK(f.find_tensor("token_embd.weight")->type == ggml::Type::Q4_K);
        // Two layers: the last eighth is layer 1 alone.
        CHECK(f.find_tensor("blk.0.attn_v.weight")->type == ggml::Type::Q4_K);
        CHECK(f.find_tensor("blk.1.attn_v.weight")->type == ggml::Type::Q6_K);
        CHECK(f.find_tensor("blk.1.ffn_down.weight")->type == ggml::Type::Q6_K);
        CHECK(f.find_tensor("blk.0.attn_q.weight")->type == ggml::Type::Q4_K);
        CHECK(f.find_tensor("blk.0.attn_norm.weight")->type == ggml::Type::F32);
        CHECK(f.get_u32("general.file_type") == 15);
        check_logits(f.path(), 5e-2);
    }
    SECTION("gemma3 q4_0: 64-wide rows, the tied output falls back from Q6_K to Q8_0") {
        std::vector<std::string> warnings;
        const ggml::GgufFile f = ggml::GgufFile::open(converted("gemma3", "q4_0", &warnings));
        CHECK(f.find_tensor("token_embd.weight")->type == ggml::Type::Q8_0);
        CHECK(f.find_tensor("blk.0.attn_q.weight")->type == ggml::Type::Q4_0);
        REQUIRE(warnings.size() == 1);
        CHECK(warnings[0].find("token_embd.weight") != std::string::npos);
        check_logits(f.path(), 3e-2);
    }
}

TEST_CASE("convert: RoPE scaling carried into the metadata giraffe reads", "[convert]") {
    const struct {
        const char* name;
        giraffe::RopeScalingType type;
        float factor;
    } cases[] = {
        {"llama-linear", giraffe::RopeScalingType::Linear, 2.0f},
        {"mistral-yarn", giraffe::RopeScalingType::Yarn, 4.0f},
        {"phi3", giraffe::RopeScalingType::LongRope, 4.0f},
        {"llama-bf16", giraffe::RopeScalingType::None, 1.0f},  // Llama 3: the rope_freqs tensor instead
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            auto m = giraffe::Model::load(converted(c.name, "auto"), giraffe::Model::Options{});
            CHECK(m->hparams().rope_scaling.type == c.type);
            CHECK(m->hparams().rope_scaling.factor == Approx(c.factor));
            if (std::string(c.name) == "llama-bf16") CHECK(m->weights().rope_freqs != nullptr);
        }
    }
}

TEST_CASE("convert: bad input is one clear line, a failed exit and no output", "[convert]") {
    const std::string out = checkpoints().file("bad-out.gguf");
    const struct {
        std::string dir, extra, expect;
    } cases[] = {
        {checkpoints().file("nonexistent"), "", "nonexistent: no such directory"},
        {ckpt("bad-no-config"), "", "config.json: No such file or directory"},
        {ckpt("bad-arch"), "", "architecture 'GPT2LMHeadModel' is not supported"},
        {ckpt("bad-missing"), "", "tensor 'model.layers.1.mlp.down_proj.weight' is missing"},
        {ckpt("bad-shape"), "", "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [96, 64], config.json implies [104, 64]"},
        {ckpt("bad-type"), "", "config.json: 'num_attention_heads' must be an integer, got \"4\""},
        {ckpt("bad-heads"), "", "'num_attention_heads' 4 is not a multiple of 'num_key_value_heads' 3"},
        {ckpt("llama-linear"), "--type q7_7", "unknown quantization type 'q7_7'"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.expect) {
            std::ofstream(out) << "an older file";
            std::string log;
            const int rc = run_capture(std::string(GIRAFFE_CLI) + " convert " + c.dir + " -o " + out + " " + c.extra, log);
            INFO(log);
            CHECK(rc != 0);
            CHECK(log.find("error: ") == 0);
            CHECK(log.find(c.expect) != std::string::npos);
            CHECK(std::count(log.begin(), log.end(), '\n') == 1);
            std::ifstream in(out);
            std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            CHECK(kept == "an older file");  // the existing output is untouched
            CHECK(!exists(out + ".tmp"));
        }
    }
}

TEST_CASE("convert: the command line converts with a plain progress log when piped", "[convert]") {
    const std::string out = checkpoints().file("cli-qwen2.gguf");
    std::string log;
    const int rc = run_capture(std::string(GIRAFFE_CLI) + " convert " + ckpt("qwen2") + " -o " + out + " --type Q8_0 -t 2", log);
    INFO(log);
    REQUIRE(rc == 0);
    CHECK(log.find("[   1/  26] token_embd.weight") != std::string::npos);
    CHECK(log.find("qwen2 (Qwen2ForCausalLM), 26 tensors, Q8_0") != std::string::npos);
    CHECK(log.find('\r') == std::string::npos);  // no progress bar when not on a terminal
    check_logits(out, 2e-2);
}
