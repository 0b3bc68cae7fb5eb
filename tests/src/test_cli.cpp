// The giraffe command line: bad input gets one clear line and a non-zero exit; the happy paths work.
#include <catch2/catch.hpp>

#include <fstream>

#include "model_gen.h"
#include "test_util.h"

namespace {

const std::string kCli = GIRAFFE_CLI;

// A tiny random llama written once per test run.
const std::string& tiny_model(TempDir& dir) {
    static std::string path;
    if (path.empty() || access(path.c_str(), R_OK) != 0) {
        path = dir.path() + "/tiny.gguf";
        giraffe::ModelShape s;
        s.n_vocab = 400, s.n_embd = 64, s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 128, s.n_ctx = 128;
        s.type = ggml::Type::F16;
        giraffe::write_random_model(path, s);
    }
    return path;
}

void expect_error(const std::string& args, const std::string& fragment) {
    std::string out;
    const int rc = run_capture(kCli + " " + args, out);
    INFO("giraffe " << args << "\n" << out);
    REQUIRE(rc != 0);
    REQUIRE(out.find("error: ") != std::string::npos);
    REQUIRE(out.find(fragment) != std::string::npos);
    // One line: the message, nothing else after it.
    const size_t at = out.find("error: ");
    REQUIRE(out.find('\n', at) == out.size() - 1);
}

}  // namespace

TEST_CASE("cli: each bad input is one clear line and a non-zero exit", "[cli]") {
    TempDir dir;
    const std::string model = tiny_model(dir);
    const std::string not_gguf = dir.path() + "/notes.txt";
    std::ofstream(not_gguf) << "this is not a model\n";

    expect_error("run -m " + dir.path() + "/missing.gguf -p hi", "missing.gguf");
    expect_error("run -m " + not_gguf + " -p hi", "magic");
    expect_error("run -p hi", "no model");
    expect_error("run -m " + model, "no prompt");
    expect_error("run -m " + model + " -p hi --bogus", "giraffe run does not take --bogus");
    expect_error("run -m " + model + " -p hi -n many", "-n expects an integer");
    expect_error("frobnicate", "unknown command 'frobnicate'");
    expect_error("run -m " + model + " -c 8 -p \"" + std::string(200, 'a') + "\"", "raise -c");
    expect_error("run -m " + model + " -p hi --cache-type q9", "--cache-type");
    expect_error("run -m " + model + " -p hi -ctk q9", "--cache-type-k must be");
    expect_error("run -m " + model + " -p hi --cache-type-v q4_K", "--cache-type-v must be");
    expect_error("run -m " + model + " -p hi --cache-type q8_0", "whole blocks of 32; this model's is 16");
    expect_error("run -m " + model + " -p hi --rope-scaling warp", "--rope-scaling");
    expect_error("chat -m " + model + " --chat-template nope < /dev/null", "unknown chat template 'nope'");
    expect_error("perplexity -m " + model, "-f FILE");
    expect_error("quantize " + model + " " + dir.path() + "/q.gguf Q9_Z", "unknown quantization type 'Q9_Z'");

    // An unknown architecture names it.
    std::string out;
    const std::string py = GIRAFFE_PYTHON;
    const std::string alien = dir.path() + "/alien.gguf";
    const std::string script = "import gguf; w = gguf.GGUFWriter('" + alien + "', 'mamba9'); "
                               "w.add_uint32('mamba9.block_count', 1); w.write_header_to_file(); "
                               "w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()";
    REQUIRE(run_capture(py + " -c \"" + script + "\"", out) == 0);
    expect_error("run -m " + alien + " -p hi", "mamba9");
}

TEST_CASE("cli: run, tokenize, info, bench and the C example work on a tiny model", "[cli]") {
    TempDir dir;
    const std::string model = tiny_model(dir);
    std::string out;
    REQUIRE(run_capture(kCli + " run -m " + model + " -p 'a b c' -n 8 --temp 0", out) == 0);
    REQUIRE(out.find("tokens/s") != std::string::npos);
    // Greedy decoding is deterministic.
    std::string again;
    REQUIRE(run_capture(kCli + " run -m " + model + " -p 'a b c' -n 8 --temp 0", again) == 0);
    REQUIRE(out.substr(0, out.find("load ")) == again.substr(0, again.find("load ")));

    REQUIRE(run_capture(kCli + " tokenize -m " + model + " -p 'ab'", out) == 0);
    REQUIRE(out == "1 259 260 261\n");  // BOS, the space prefix, a, b (pieces of the random vocab)
    REQUIRE(run_capture(kCli + " tokenize -m " + model + " -p 'ab' --no-bos", out) == 0);
    REQUIRE(out == "259 260 261\n");

    REQUIRE(run_capture(kCli + " info -m " + model + " -c 128", out) == 0);
    REQUIRE(out.find("architecture:  llama") != std::string::npos);
    REQUIRE(out.find("KV cache:") != std::string::npos);

    // The KV memory for the chosen cache types: 2 layers x 8192 cells x 2 KV heads of 32 channels, per cell
    // 64 keys and 64 values: f16 128 + 128 bytes, q8_0 2 x 34, q4_0 2 x 18.
    const std::string wide = dir.path() + "/hd32.gguf";
    giraffe::ModelShape s;
    s.n_vocab = 400, s.n_embd = 128, s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 128, s.n_ctx = 128;
    s.type = ggml::Type::F16;
    giraffe::write_random_model(wide, s);
    const std::pair<std::string, std::string> kv_memory[] = {
        {"", "4.0 MiB for 8192 tokens (K f16, V f16"},
        {"--cache-type q8_0", "2.1 MiB for 8192 tokens (K q8_0, V q8_0"},
        {"-ctk q8_0 -ctv q4_0", "1.6 MiB for 8192 tokens (K q8_0, V q4_0"},
        {"--cache-type q4_0 -ctk f16", "2.6 MiB for 8192 tokens (K f16, V q4_0"},
    };
    for (const auto& [flags, want] : kv_memory) {
        REQUIRE(run_capture(kCli + " info -m " + wide + " -c 8192 " + flags, out) == 0);
        INFO(flags << "\n" << out);
        REQUIRE(out.find("KV cache:      " + want) != std::string::npos);
    }
    expect_error("info -m " + wide + " -c 8192 -ctv q8_0 -fa off", "needs flash attention");
    REQUIRE(run_capture(kCli + " run -m " + wide + " -p 'a b c' -n 8 --temp 0 --cache-type q8_0", out) == 0);

    REQUIRE(run_capture(kCli + " bench -m " + model + " -p 16 -n 4 -r 2 --json", out) == 0);
    REQUIRE(out.find("{\"test\": \"memory\", \"n_ctx\": 17, ") != std::string::npos);
    REQUIRE(out.find("{\"test\": \"pp16\", \"depth\": 0") != std::string::npos);
    REQUIRE(out.find("{\"test\": \"tg4\"") != std::string::npos);
    REQUIRE(out.find("{\"test\": \"tg_floor\"") != std::string::npos);
    REQUIRE(out.find("\"paired_share\": ") != std::string::npos);

    REQUIRE(run_capture(std::string(GIRAFFE_SIMPLE) + " " + model + " 'a b' 4", out) == 0);
    REQUIRE(out.rfind("a b", 0) == 0);
}
