// Each architecture against the independent numpy forward pass (tests/reference/forward.py) on tiny
// random-weight models written by giraffe's own model generator.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "backends/cpu/repack.h"
#include "model.h"
#include "model_gen.h"
#include "session.h"
#include "test_util.h"
#include "tiny_models.h"

using namespace giraffe;

namespace {

constexpr int kCtx = 64;  // the sessions' context (phi3: beyond its original 32, so LongRoPE's long factors)

// Every position's logits, or with all = false the last token's alone (read where the graph left them).
std::vector<float> giraffe_logits(const std::string& path, const std::vector<int32_t>& toks, int n_ubatch, ggml::Type kv,
                                  bool repack = true, size_t scores_bytes = size_t(32) << 20, bool all = true,
                                  FlashAttn flash = FlashAttn::Auto, int n_ctx = kCtx) {
    Model::Options mo;
    mo.repack = repack;
    auto model = Model::load(path, mo);
    const LayerWeights& l0 = model->weights().layers[0];
    ggml::Tensor* wq = l0.wq ? l0.wq : l0.wqkv;  // phi3: fused
    if (repack && ggml::cpu::repack_supported(wq->type, model->hparams().n_embd, 8)) REQUIRE(ggml::cpu::is_repacked(wq));
    SessionParams p;
    p.n_ctx = n_ctx;
    p.n_ubatch = n_ubatch;
    p.n_threads = 2;
    p.kv_type_k = p.kv_type_v = kv;
    p.attn_scores_bytes = scores_bytes;
    p.flash_attn = flash;
    Session s(*model, p);
    s.decode(toks, all);
    const size_t nv = size_t(model->hparams().n_vocab);
    if (!all) return std::vector<float>(s.logits(), s.logits() + nv);
    std::vector<float> out(toks.size() * nv);
    for (size_t i = 0; i < toks.size(); i++) std::copy(s.logits(int(i)), s.logits(int(i)) + nv, out.begin() + long(i * nv));
    return out;
}


}  // namespace

TEST_CASE("architectures match the numpy reference", "[models]") {
    struct Case {
        const char* arch;
        ggml::Type type;
        double tol;  // max |error| / max |logit|
    };
    // F32 weights and an F32 cache: only float rounding. F16/BF16 weights: the reference decodes the same
    // values, so again only rounding. Quantized: the reference decodes the same blocks, and the error is
    // that of quantizing the activations to 8 bits inside the products.
    const Case cases[] = {
        {"llama", ggml::Type::F32, 1e-4},  {"qwen2", ggml::Type::F32, 1e-4}, {"gemma3", ggml::Type::F32, 1e-4},
        {"llama", ggml::Type::F16, 1e-4},  {"gemma3", ggml::Type::BF16, 1e-4},
        {"llama", ggml::Type::Q8_0, 2e-2}, {"qwen2", ggml::Type::Q4_0, 2e-2}, {"gemma3", ggml::Type::Q5_0, 3e-2},
        {"llama", ggml::Type::Q4_K, 2e-2}, {"gemma3", ggml::Type::Q6_K, 3e-2}, {"qwen2", ggml::Type::Q5_K, 2e-2},
        {"phi3", ggml::Type::F32, 1e-4},   {"phi3", ggml::Type::F16, 1e-4},  {"phi3", ggml::Type::Q4_0, 2e-2},
        {"phi3", ggml::Type::Q4_K, 2e-2},
    };
    TempDir dir;
    std::mt19937 rng(3);
    std::vector<int32_t> toks(29);
    for (int32_t& t : toks) t = int32_t(rng() % 320);
    for (const Case& c : cases) {
        DYNAMIC_SECTION(c.arch << " " << ggml::type_name(c.type)) {
            const std::string path = dir.path() + "/" + c.arch + "_" + ggml::type_name(c.type) + ".gguf";
            write_random_model(path, tiny(c.arch, c.type));
            const std::vector<float> ref = reference_logits(path, toks, kCtx);
            // One micro-batch, micro-batches of 5 (the sliding ring wraps: 8 + 5 cells for 29 tokens), and
            // token by token as in generation.
            for (int ub : {512, 5, 1}) {
                const std::vector<float> got = giraffe_logits(path, toks, ub, ggml::Type::F32);
                REQUIRE(got.size() == ref.size());
                const double err = rel_err(got, ref);
                INFO("micro-batch " << ub << ": relative error " << err);
                REQUIRE(err < c.tol);
                if (ub == 5) {  // the last token's logits alone: the last row of all of them
                    const std::vector<float> last = giraffe_logits(path, toks, ub, ggml::Type::F32, true, size_t(32) << 20, false);
                    const std::vector<float> got_last(got.end() - long(last.size()), got.end());
                    INFO("last token alone vs the last row: relative difference " << rel_err(last, got_last));
                    REQUIRE(rel_err(last, got_last) < 1e-5);
                }
                // Unfused attention (-fa off) with the group's query heads one at a time (a scores budget of
                // one byte): the reference's numbers, and with float weights those of the fused run to
                // rounding (with quantized ones a product summed in another order can flip an 8-bit
                // activation code downstream).
                if (ub > 1) {
                    const std::vector<float> chunked = giraffe_logits(path, toks, ub, ggml::Type::F32, true, 1, true, FlashAttn::Off);
                    const double e_ref = rel_err(chunked, ref), e_whole = rel_err(chunked, got);
                    INFO("micro-batch " << ub << ": attention in chunks, relative error " << e_ref << ", vs whole " << e_whole);
                    REQUIRE(e_ref < c.tol);
                    if (!ggml::type_traits(c.type).quantized) REQUIRE(e_whole < 1e-4);
                }
            }
            // Interleaved weights (Model::Options::repack, on by default) change only the summation order:
            // most positions agree to float rounding. Where a product lands within an ulp of a rounding
            // boundary of the next 8-bit activation quantization, one code flips and the later layers move
            // by about one activation step, so every position must stay within the reference tolerance.
            const std::vector<float> packed = giraffe_logits(path, toks, 1, ggml::Type::F32);
            const std::vector<float> plain = giraffe_logits(path, toks, 1, ggml::Type::F32, false);
            const size_t nv = packed.size() / toks.size();
            size_t exact = 0;
            for (size_t i = 0; i < toks.size(); i++) {
                const std::vector<float> a(packed.begin() + long(i * nv), packed.begin() + long((i + 1) * nv));
                const std::vector<float> b(plain.begin() + long(i * nv), plain.begin() + long((i + 1) * nv));
                const double e = rel_err(a, b);
                INFO("position " << i << ": repacked vs plain weights, relative difference " << e);
                REQUIRE(e < c.tol);
                exact += e < 1e-4;
            }
            INFO(exact << " of " << toks.size() << " positions agree to 1e-4");
            REQUIRE(exact * 2 >= toks.size());  // gemma3 q6_K: 23 of 29 seen
            // The unfused path whole (the transposed V cache it keeps), token by token.
            const std::vector<float> unfused = giraffe_logits(path, toks, 1, ggml::Type::F32, true, size_t(32) << 20, true, FlashAttn::Off);
            INFO("unfused attention: relative error " << rel_err(unfused, ref));
            REQUIRE(rel_err(unfused, ref) < c.tol);
            // The default f16 cache costs a little precision, nothing more; the block types a little more.
            REQUIRE(rel_err(giraffe_logits(path, toks, 5, ggml::Type::F16), ref) < c.tol + 5e-3);
            // Block-quantized caches (read in place by the fused attention; the kernel itself is exact in
            // the op table): q8_0 stays close, the 4- and 5-bit ones within what their precision allows on
            // these random models, whose attention is sharp. A head size that is no whole number of
            // blocks is a clear error.
            const ModelShape shape = tiny(c.arch, c.type);
            const int hd = shape.head_dim ? shape.head_dim : shape.n_embd / shape.n_head;
            for (auto [kv, bound] : {std::pair{ggml::Type::Q8_0, 0.04}, {ggml::Type::Q5_0, 0.2}, {ggml::Type::Q4_0, 0.4}}) {
                if (hd % 32 != 0) {
                    REQUIRE_THROWS_WITH(giraffe_logits(path, toks, 5, kv), Catch::Contains("whole blocks of 32"));
                    continue;
                }
                const double e = rel_err(giraffe_logits(path, toks, 5, kv), ref);
                INFO(ggml::type_name(kv) << " cache: relative error " << e);
                REQUIRE(e < c.tol + bound);
            }
        }
    }
}

TEST_CASE("phi3: fused weights and LongRoPE's short and long factors match the numpy reference", "[models]") {
    TempDir dir;
    std::mt19937 rng(4);
    std::vector<int32_t> toks(29);
    for (int32_t& t : toks) t = int32_t(rng() % 320);
    ModelShape shape = tiny("phi3", ggml::Type::F32);
    const std::string path = dir.file("phi3.gguf");
    write_random_model(path, shape);
    {
        auto m = Model::load(path, Model::Options{});
        REQUIRE(m->hparams().rope_neox);
        REQUIRE(m->hparams().sliding_window == 0);  // the file says 8: ignored, as llama.cpp does
        REQUIRE(m->hparams().rope_scaling.type == RopeScalingType::LongRope);
        REQUIRE(m->hparams().rope_scaling.factor == 8.0f);  // 256 / 32
        REQUIRE(m->hparams().n_rot == 12);
        REQUIRE(m->weights().layers[0].wqkv != nullptr);
        REQUIRE(m->weights().layers[0].ffn_gate == nullptr);
    }
    auto logits = [&](const std::string& p, int n_ctx) {
        return giraffe_logits(p, toks, 5, ggml::Type::F32, true, size_t(32) << 20, true, FlashAttn::Auto, n_ctx);
    };
    // Within the original context (32 cells): the short factors; beyond it (64): the long ones. Both times
    // cos and sin carry the file's attention factor.
    const std::vector<float> short_ref = reference_logits(path, toks, 32), long_ref = reference_logits(path, toks, 64);
    REQUIRE(rel_err(short_ref, long_ref) > 1e-2);  // the two really differ on these positions
    for (auto [n_ctx, ref] : {std::pair{32, &short_ref}, {64, &long_ref}}) {
        const double err = rel_err(logits(path, n_ctx), *ref);
        INFO("context " << n_ctx << ": relative error " << err);
        REQUIRE(err < 1e-4);
    }
    // Without the attention factor key: sqrt(1 + ln(s) / ln(L)), as transformers derives it.
    ModelShape derived = shape;
    derived.rope_attn_factor = 0;
    const std::string derived_path = dir.file("phi3_derived.gguf");
    write_random_model(derived_path, derived);
    const std::vector<float> derived_ref = reference_logits(derived_path, toks, 64);
    REQUIRE(rel_err(derived_ref, long_ref) > 1e-3);
    REQUIRE(rel_err(logits(derived_path, 64), derived_ref) < 1e-4);
    // Separate attn_q, attn_k and attn_v tensors instead of attn_qkv (llama.cpp reads both).
    ModelShape split = shape;
    split.fused_qkv = false;
    const std::string split_path = dir.file("phi3_split.gguf");
    write_random_model(split_path, split);
    REQUIRE(Model::load(split_path, Model::Options{})->weights().layers[0].wqkv == nullptr);
    REQUIRE(rel_err(logits(split_path, 64), reference_logits(split_path, toks, 64)) < 1e-4);
}
