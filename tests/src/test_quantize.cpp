// giraffe quantize: round trip, metadata kept, clear refusals, no output left by a failed or killed run.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>

#include "ggml/gguf.h"
#include "model_gen.h"
#include "quantize.h"
#include "test_util.h"

namespace {

bool exists(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

giraffe::ModelShape small_shape() {
    giraffe::ModelShape s;
    s.n_vocab = 512, s.n_embd = 256, s.n_layer = 8, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 256, s.n_ctx = 256;
    s.type = ggml::Type::F32;
    return s;
}

// Max |dequantized - original| over max |original| across all 2-D tensors.
double worst_rel_error(const ggml::GgufFile& a, const ggml::GgufFile& b) {
    double worst = 0;
    for (const ggml::GgufTensorInfo& ta : a.tensors()) {
        if (ta.n_dims < 2) continue;
        const ggml::GgufTensorInfo* tb = b.find_tensor(ta.name);
        REQUIRE(tb != nullptr);
        const size_t n = size_t(ta.n_elements());
        std::vector<float> x(n), y(n);
        ggml::type_traits(ta.type).to_float(a.tensor_data(ta), x.data(), int64_t(n));
        ggml::type_traits(tb->type).to_float(b.tensor_data(*tb), y.data(), int64_t(n));
        double num = 0, den = 0;
        for (size_t i = 0; i < n; i++) {
            num += (x[i] - y[i]) * double(x[i] - y[i]);
            den += double(x[i]) * x[i];
        }
        worst = std::max(worst, std::sqrt(num / den));
    }
    return worst;
}

}  // namespace

TEST_CASE("quantize: round trip per format and mix, metadata kept", "[quantize]") {
    static TempDir dir;  // one source model for all sections (Catch re-enters the test per section)
    const std::string src = dir.path() + "/f32.gguf";
    if (!exists(src)) giraffe::write_random_model(src, small_shape());
    const ggml::GgufFile in = ggml::GgufFile::open(src);
    // Relative RMS error bounds per target (Gaussian-like weights; measured values are well below).
    const std::pair<const char*, double> targets[] = {
        {"Q8_0", 0.01}, {"Q4_0", 0.12}, {"Q5_1", 0.06}, {"Q6_K", 0.03}, {"Q4_K_M", 0.12}, {"Q2_K", 0.40}, {"F16", 0.001},
    };
    for (auto [target, bound] : targets) {
        DYNAMIC_SECTION(target) {
            const std::string out = dir.path() + "/" + target + ".gguf";
            giraffe::QuantizeOptions o;
            o.target = target;
            o.n_threads = 2;
            int progress_calls = 0;
            o.progress = [&](const giraffe::QuantizeProgress&) { progress_calls++; };
            const giraffe::QuantizeResult r = giraffe::quantize_model(src, out, o);
            REQUIRE(progress_calls == r.n_quantized);
            REQUIRE(!exists(out + ".tmp"));
            const ggml::GgufFile q = ggml::GgufFile::open(out);
            REQUIRE(q.tensors().size() == in.tensors().size());
            // Metadata: every key kept with its value, except the file type (and quantization version).
            for (const ggml::GgufKv& kv : in.kvs()) {
                const ggml::GgufValue* v = q.find(kv.key);
                REQUIRE(v != nullptr);
                if (kv.key != "general.file_type" && kv.key != "general.quantization_version") REQUIRE(*v == kv.value);
            }
            REQUIRE(q.has("general.file_type"));
            for (const ggml::GgufTensorInfo& t : q.tensors())
                if (t.n_dims == 1) REQUIRE(t.type == ggml::Type::F32);  // norms stay f32
            const double err = worst_rel_error(in, q);
            INFO(target << ": worst relative RMS error " << err);
            REQUIRE(err < bound);
            if (std::string(target) == "Q4_0") {  // legacy formats: the output matrix in Q6_K, as llama.cpp
                REQUIRE(q.find_tensor("output.weight")->type == ggml::Type::Q6_K);
                REQUIRE(q.find_tensor("token_embd.weight")->type == ggml::Type::Q4_0);
                REQUIRE(q.find_tensor("blk.0.attn_v.weight")->type == ggml::Type::Q4_0);
                REQUIRE(q.get_u32("general.file_type") == 2);
            }
            if (std::string(target) == "Q4_K_M") {
                REQUIRE(q.find_tensor("output.weight")->type == ggml::Type::Q6_K);
                REQUIRE(q.find_tensor("blk.0.attn_v.weight")->type == ggml::Type::Q6_K);  // first eighth
                REQUIRE(q.find_tensor("blk.2.attn_v.weight")->type == ggml::Type::Q4_K);
                REQUIRE(q.get_u32("general.file_type") == 15);
            }
        }
    }
}

TEST_CASE("quantize: requantizing warns; bad requests are refused without output", "[quantize]") {
    TempDir dir;
    const std::string src = dir.path() + "/f32.gguf", q8 = dir.path() + "/q8.gguf", out = dir.path() + "/out.gguf";
    giraffe::ModelShape s = small_shape();
    s.n_embd = 320;  // rows of 320 fit 32-element blocks but not the K-quants' 256
    giraffe::write_random_model(src, s);

    giraffe::QuantizeOptions o;
    o.target = "Q6_K";
    REQUIRE_THROWS_WITH(giraffe::quantize_model(src, out, o), Catch::Contains("not a multiple of the q6_K block size"));
    REQUIRE(!exists(out));
    REQUIRE(!exists(out + ".tmp"));

    o.target = "Q4_K_M";  // a mix falls back to a format that fits, and says so
    std::vector<std::string> warnings;
    o.warn = [&](const std::string& w) { warnings.push_back(w); };
    giraffe::quantize_model(src, out, o);
    REQUIRE(!warnings.empty());
    REQUIRE(warnings[0].find("do not fit") != std::string::npos);

    o.target = "Q8_0";
    warnings.clear();
    giraffe::quantize_model(src, q8, o);
    REQUIRE(warnings.empty());
    o.target = "Q4_0";
    giraffe::quantize_model(q8, out, o);  // works through dequantization, with a warning
    REQUIRE(warnings.size() == 2);
    // Q4_0's output gets Q6_K (llama.cpp's rule), whose blocks do not fit 320: Q8_0.
    REQUIRE(warnings[0].find("output.weight: rows of 320 do not fit q6_K blocks, using q8_0") != std::string::npos);
    REQUIRE(warnings[1].find("already quantized") != std::string::npos);
    REQUIRE(ggml::GgufFile::open(out).find_tensor("output.weight")->type == ggml::Type::Q8_0);

    o.target = "Q7_7";
    REQUIRE_THROWS_WITH(giraffe::quantize_model(src, out, o), Catch::Contains("unknown quantization type"));
    o.target = "Q4_0";
    REQUIRE_THROWS_WITH(giraffe::quantize_model(dir.path() + "/nope.gguf", out, o), Catch::Contains("nope.gguf"));
}

TEST_CASE("quantize: a killed run leaves no output file", "[quantize]") {
    TempDir dir;
    const std::string src = dir.path() + "/big.gguf", out = dir.path() + "/out.gguf";
    giraffe::ModelShape s = small_shape();
    s.n_embd = 1024, s.n_ff = 2048, s.n_layer = 4, s.n_vocab = 4096;  // ~ 180 MB of F32: seconds to quantize
    giraffe::write_random_model(src, s);
    // Through the shell: GIRAFFE_CLI is a command line under an emulator (cross builds); `exec` keeps the
    // signal going to the process that quantizes.
    const std::string cmd = "exec " GIRAFFE_CLI " quantize '" + src + "' '" + out + "' Q4_K_M -t 1";
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), (char*)nullptr);
        _exit(127);
    }
    // Wait until it has started writing, then interrupt it.
    for (int i = 0; i < 400 && !exists(out + ".tmp"); i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(exists(out + ".tmp"));
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(!exists(out));
    REQUIRE(!exists(out + ".tmp"));
}
