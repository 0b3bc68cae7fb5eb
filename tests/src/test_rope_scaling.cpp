// Context extension: each RopeScaling method resolves to the rope op's parameters as its paper says.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "ggml/gguf.h"
#include "model.h"
#include "model_gen.h"
#include "rope_scaling.h"
#include "session.h"
#include "test_util.h"

using namespace giraffe;

namespace {

HParams hp_llama() {
    HParams hp;
    hp.n_rot = 128;
    hp.head_dim_k = 128;
    hp.rope_base = 500000.0f;
    hp.rope_base_swa = 10000.0f;
    hp.n_ctx_train = 8192;
    return hp;
}

}  // namespace

TEST_CASE("rope scaling: linear, NTK, dynamic NTK, YaRN", "[rope]") {
    const HParams hp = hp_llama();
    RopeScaling rs;
    rs.factor = 4.0f;
    rs.orig_ctx = 8192;

    rs.type = RopeScalingType::None;
    ResolvedRope r = resolve_rope(hp, rs, false, 100);
    REQUIRE(r.params.freq_scale == 1.0f);
    REQUIRE(r.params.freq_base == 500000.0f);
    REQUIRE(r.params.ext_factor == 0.0f);

    rs.type = RopeScalingType::Linear;  // Chen et al.: theta / s
    REQUIRE(resolve_rope(hp, rs, false, 100).params.freq_scale == Approx(0.25f));

    rs.type = RopeScalingType::Ntk;  // base * s^(d/(d-2))
    REQUIRE(resolve_rope(hp, rs, false, 100).params.freq_base == Approx(500000.0 * std::pow(4.0, 128.0 / 126.0)));

    rs.type = RopeScalingType::Dynamic;  // unchanged below L; base * ((s n / L) - (s - 1))^(d/(d-2)) above
    REQUIRE(resolve_rope(hp, rs, false, 4000).params.freq_base == 500000.0f);
    REQUIRE(resolve_rope(hp, rs, false, 16384).params.freq_base ==
            Approx(500000.0 * std::pow(4.0 * 16384 / 8192 - 3.0, 128.0 / 126.0)));

    rs.type = RopeScalingType::Yarn;
    r = resolve_rope(hp, rs, false, 100);
    REQUIRE(r.params.freq_scale == Approx(0.25f));
    REQUIRE(r.params.ext_factor == 1.0f);
    REQUIRE(r.params.n_ctx_orig == 8192);
    REQUIRE(r.params.beta_fast == 32.0f);
    REQUIRE(r.params.beta_slow == 1.0f);

    // Sliding-window layers keep their own base and no scaling.
    r = resolve_rope(hp, rs, true, 100);
    REQUIRE(r.params.freq_base == 10000.0f);
    REQUIRE(r.params.freq_scale == 1.0f);
    REQUIRE(r.params.ext_factor == 0.0f);
}

TEST_CASE("rope scaling: Llama 3 frequency divisors", "[rope]") {
    HParams hp = hp_llama();
    RopeScaling rs;
    rs.type = RopeScalingType::Llama3;
    rs.factor = 8.0f;
    rs.orig_ctx = 8192;
    rs.low_freq_factor = 1.0f;
    rs.high_freq_factor = 4.0f;
    const ResolvedRope r = resolve_rope(hp, rs, false, 100);
    REQUIRE(r.freq_factors.size() == 64);
    for (int i = 0; i < 64; i++) {
        const double wavelength = 2 * M_PI * std::pow(500000.0, 2.0 * i / 128);
        const float f = r.freq_factors[size_t(i)];
        if (wavelength < 8192 / 4.0) REQUIRE(f == Approx(1.0f));        // high frequencies kept
        else if (wavelength > 8192 / 1.0) REQUIRE(f == Approx(8.0f));  // low frequencies interpolated
        else REQUIRE((f > 1.0f && f < 8.0f));                            // smooth in between
        if (i > 0) REQUIRE(f >= r.freq_factors[size_t(i - 1)]);
    }
}

TEST_CASE("rope scaling: LongRoPE attention factor", "[rope]") {
    HParams hp = hp_llama();
    RopeScaling rs;
    rs.type = RopeScalingType::LongRope;
    rs.factor = 16.0f;
    rs.orig_ctx = 4096;
    const ResolvedRope r = resolve_rope(hp, rs, false, 100);
    REQUIRE(r.params.attn_factor == Approx(std::sqrt(1.0 + std::log(16.0) / std::log(4096.0))));
}

TEST_CASE("rope scaling: attention factors, derived or given", "[rope]") {
    const HParams hp = hp_llama();
    RopeScaling rs;
    rs.factor = 4.0f;
    rs.orig_ctx = 8192;
    // What cos and sin end up multiplied by: YaRN's op applies its own 0.1 ln(1/freq_scale) + 1 on top.
    auto total = [&](const ResolvedRope& r) {
        double f = r.params.attn_factor;
        if (r.params.ext_factor != 0.0f) f *= 1.0 + 0.1 * std::log(1.0 / r.params.freq_scale);
        return f;
    };
    rs.type = RopeScalingType::Yarn;  // Peng et al.: sqrt(1/t) = 0.1 ln(s) + 1
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == Approx(0.1 * std::log(4.0) + 1.0).epsilon(1e-6));
    rs.attn_factor = 1.25f;  // given (transformers' attention_factor): replaces it, not multiplied by it
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == Approx(1.25).epsilon(1e-6));
    rs.type = RopeScalingType::LongRope;
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == Approx(1.25).epsilon(1e-6));
    rs.type = RopeScalingType::Linear;
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == Approx(1.25).epsilon(1e-6));
    REQUIRE(resolve_rope(hp, rs, true, 100).params.attn_factor == 1.0f);  // sliding layers: unscaled
    rs.attn_factor = 0;
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == 1.0);
    rs.type = RopeScalingType::Yarn;  // compression (s < 1): transformers keeps 1
    rs.factor = 0.5f;
    REQUIRE(total(resolve_rope(hp, rs, false, 100)) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("rope scaling: Llama 3 without an original context uses the trained one", "[rope]") {
    const HParams hp = hp_llama();
    RopeScaling rs;
    rs.type = RopeScalingType::Llama3;
    rs.factor = 8.0f;
    RopeScaling explicit_ctx = rs;
    explicit_ctx.orig_ctx = hp.n_ctx_train;
    REQUIRE(resolve_rope(hp, rs, false, 100).freq_factors == resolve_rope(hp, explicit_ctx, false, 100).freq_factors);
}

namespace {

// A model file of metadata (a llama, 64 wide, 4 heads of 16: 8 rotated pairs) with the given extra keys
// and 1-D F32 tensors of 8 values.
std::string write_meta(const TempDir& dir, const std::string& name, const std::vector<std::pair<std::string, ggml::GgufValue>>& keys,
                       const std::vector<std::string>& tensors = {}) {
    ggml::GgufWriter w;
    w.set("general.architecture", ggml::GgufValue::str("llama"));
    w.set("llama.context_length", ggml::GgufValue::u32(131072));
    w.set("llama.embedding_length", ggml::GgufValue::u32(64));
    w.set("llama.block_count", ggml::GgufValue::u32(1));
    w.set("llama.feed_forward_length", ggml::GgufValue::u32(128));
    w.set("llama.attention.head_count", ggml::GgufValue::u32(4));
    for (const auto& [k, v] : keys) w.set(k, v);
    static const float eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int64_t ne[1] = {8};
    for (const std::string& t : tensors) w.add_tensor(t, ggml::Type::F32, 1, ne, eight);
    const std::string path = dir.file(name);
    w.write(path);
    return path;
}

HParams read_meta(const std::string& path) {
    const ggml::GgufFile f = ggml::GgufFile::open(path);
    HParams hp;
    hp.arch = "llama";
    read_common_hparams(f, hp);
    return hp;
}

}  // namespace

TEST_CASE("rope scaling: settings read from GGUF metadata", "[rope]") {
    using V = ggml::GgufValue;
    TempDir dir;
    // Nothing said: no scaling, the method's own attention factor.
    HParams hp = read_meta(write_meta(dir, "plain.gguf", {}));
    REQUIRE(hp.rope_scaling.type == RopeScalingType::None);
    REQUIRE(hp.rope_scaling.attn_factor == 0.0f);
    REQUIRE(hp.rope_scaling.orig_ctx == 131072);

    // Llama 3 with its frequency factors as keys.
    hp = read_meta(write_meta(dir, "llama3.gguf",
                              {{"llama.rope.scaling.type", V::str("llama3")}, {"llama.rope.scaling.factor", V::f32(32)},
                               {"llama.rope.scaling.low_freq_factor", V::f32(2)}, {"llama.rope.scaling.high_freq_factor", V::f32(8)},
                               {"llama.rope.scaling.original_context_length", V::u32(8192)}}));
    REQUIRE(hp.rope_scaling.type == RopeScalingType::Llama3);
    REQUIRE(hp.rope_scaling.factor == 32.0f);
    REQUIRE(hp.rope_scaling.low_freq_factor == 2.0f);
    REQUIRE(hp.rope_scaling.high_freq_factor == 8.0f);
    REQUIRE(hp.rope_scaling.orig_ctx == 8192);
    // Without the keys: Meta's defaults, 1 and 4.
    hp = read_meta(write_meta(dir, "llama3d.gguf", {{"llama.rope.scaling.type", V::str("llama3")}, {"llama.rope.scaling.factor", V::f32(8)}}));
    REQUIRE(hp.rope_scaling.low_freq_factor == 1.0f);
    REQUIRE(hp.rope_scaling.high_freq_factor == 4.0f);
    REQUIRE_THROWS_WITH(read_meta(write_meta(dir, "bad.gguf", {{"llama.rope.scaling.type", V::str("llama3")},
                                                                {"llama.rope.scaling.factor", V::f32(8)},
                                                                {"llama.rope.scaling.low_freq_factor", V::f32(4)}})),
                        Catch::Contains("low_freq_factor"));

    // llama.cpp's Phi-3 files: no type, the factor tensors, the original context and the whole attention factor.
    hp = read_meta(write_meta(dir, "phi3.gguf",
                              {{"llama.rope.scaling.original_context_length", V::u32(4096)}, {"llama.rope.scaling.attn_factor", V::f32(1.19f)}},
                              {"rope_factors_long.weight", "rope_factors_short.weight"}));
    REQUIRE(hp.rope_scaling.type == RopeScalingType::LongRope);
    REQUIRE(hp.rope_scaling.factor == 32.0f);  // 131072 / 4096
    REQUIRE(hp.rope_scaling.orig_ctx == 4096);
    REQUIRE(hp.rope_scaling.attn_factor == 1.19f);
    REQUIRE(resolve_rope(hp, hp.rope_scaling, false, 100).params.attn_factor == 1.19f);  // once, not squared
}

TEST_CASE("rope scaling: LongRoPE takes its long factors when the context exceeds the original one", "[rope]") {
    ggml::Context ctx;
    Weights w;
    RopeScaling rs;
    rs.type = RopeScalingType::LongRope;
    rs.factor = 32.0f;
    rs.orig_ctx = 4096;
    REQUIRE_THROWS_WITH(model_rope_factors(w, rs, 4096), Catch::Contains("rope_factors_short"));
    w.rope_factors_short = ctx.new_tensor(ggml::Type::F32, {8});
    w.rope_factors_long = ctx.new_tensor(ggml::Type::F32, {8});
    w.rope_freqs = ctx.new_tensor(ggml::Type::F32, {8});
    REQUIRE(model_rope_factors(w, rs, 100) == w.rope_factors_short);
    REQUIRE(model_rope_factors(w, rs, 4096) == w.rope_factors_short);
    REQUIRE(model_rope_factors(w, rs, 4097) == w.rope_factors_long);
    // Other methods: the file's rope_freqs (Llama 3's divisors as llama.cpp stores them), when it has them.
    rs.type = RopeScalingType::Llama3;
    REQUIRE(model_rope_factors(w, rs, 100) == w.rope_freqs);
    rs.type = RopeScalingType::None;
    REQUIRE(model_rope_factors(w, rs, 100) == w.rope_freqs);
    w.rope_freqs = nullptr;
    REQUIRE(model_rope_factors(w, rs, 100) == nullptr);
}

namespace {

ModelShape tiny_llama() {
    ModelShape s;
    s.n_vocab = 320, s.n_embd = 64, s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 96, s.n_ctx = 256;
    s.type = ggml::Type::F32;
    s.seed = 11;
    return s;
}

std::vector<float> all_logits(const std::string& path, int n_ctx, std::optional<RopeScaling> rs = {}) {
    auto model = Model::load(path, Model::Options{});
    SessionParams p;
    p.n_ctx = n_ctx;
    p.n_threads = 2;
    p.rope_scaling = rs;
    Session s(*model, p);
    std::mt19937 rng(5);
    std::vector<int32_t> toks(24);
    for (int32_t& t : toks) t = int32_t(rng() % 320);
    s.decode(toks, true);
    const size_t nv = size_t(model->hparams().n_vocab);
    return std::vector<float>(s.logits(0), s.logits(0) + nv * toks.size());
}

}  // namespace

TEST_CASE("rope scaling: a model's LongRoPE and rope_freqs tensors reach the rope op", "[rope]") {
    TempDir dir;
    const std::string plain = dir.file("plain.gguf"), longrope = dir.file("longrope.gguf"), freqs = dir.file("freqs.gguf");
    ModelShape s = tiny_llama();
    write_random_model(plain, s);
    // The same weights with LongRoPE factors as llama.cpp's Phi-3 files carry them: short 1 (no change),
    // long 2 (every frequency halved: linear interpolation by 2), original context 64, attention factor 1.
    ModelShape l = s;
    l.rope_factors_short.assign(8, 1.0f);
    l.rope_factors_long.assign(8, 2.0f);
    l.rope_orig_ctx = 64;
    l.rope_attn_factor = 1.0f;
    write_random_model(longrope, l);
    ModelShape f = s;  // Llama 3 divisors as llama.cpp stores them, all 2
    f.rope_freqs.assign(8, 2.0f);
    write_random_model(freqs, f);
    {
        auto m = Model::load(longrope, Model::Options{});
        REQUIRE(m->hparams().rope_scaling.type == RopeScalingType::LongRope);
        REQUIRE(m->hparams().rope_scaling.factor == 4.0f);  // 256 / 64
        REQUIRE(m->weights().rope_factors_short != nullptr);
        REQUIRE(m->weights().rope_factors_long != nullptr);
    }
    RopeScaling linear2;
    linear2.type = RopeScalingType::Linear;
    linear2.factor = 2.0f;
    // Within the original context: the short factors (1), i.e. no scaling at all.
    REQUIRE(all_logits(longrope, 64) == all_logits(plain, 64));
    // Beyond it: the long ones (2), i.e. linear interpolation by 2 (dividing by 2 or scaling by 0.5 is exact).
    const std::vector<float> long_ctx = all_logits(longrope, 128);
    REQUIRE(long_ctx == all_logits(plain, 128, linear2));
    REQUIRE(long_ctx != all_logits(plain, 128));
    // rope_freqs: read whatever the scaling (here none).
    REQUIRE(all_logits(freqs, 64) == all_logits(plain, 64, linear2));
}

TEST_CASE("rope scaling: beyond the trained context with no scaling, YaRN and a note saying so", "[rope]") {
    TempDir dir;
    const std::string path = dir.file("tiny.gguf");
    write_random_model(path, tiny_llama());  // trained context 256
    auto model = Model::load(path, Model::Options{});
    const HParams& hp = model->hparams();
    SessionParams p;
    p.n_ctx = 1024;
    {
        Session s(*model, p);
        INFO(s.rope_note());
        REQUIRE(s.rope_note().find("YaRN") != std::string::npos);
        REQUIRE(s.rope_note().find("factor 4") != std::string::npos);
        REQUIRE(s.rope_scaling().type == RopeScalingType::Yarn);
        REQUIRE(s.rope_scaling().factor == 4.0f);
        RopeScaling yarn;
        yarn.type = RopeScalingType::Yarn;
        yarn.factor = 4.0f;
        yarn.orig_ctx = 256;
        const ggml::RopeParams got = resolve_rope(hp, s.rope_scaling(), false, 1024).params;
        const ggml::RopeParams want = resolve_rope(hp, yarn, false, 1024).params;
        REQUIRE(std::memcmp(&got, &want, sizeof got) == 0);
        REQUIRE(want.ext_factor == 1.0f);
        REQUIRE(want.freq_scale == 0.25f);
    }
    p.n_ctx = 256;  // within the trained context: nothing to say
    {
        Session s(*model, p);
        REQUIRE(s.rope_note().empty());
        REQUIRE(s.rope_scaling().type == RopeScalingType::None);
    }
    p.n_ctx = 1024;  // the caller chose a scaling: theirs, silently
    RopeScaling linear;
    linear.type = RopeScalingType::Linear;
    linear.factor = 4.0f;
    p.rope_scaling = linear;
    {
        Session s(*model, p);
        REQUIRE(s.rope_note().empty());
        REQUIRE(s.rope_scaling().type == RopeScalingType::Linear);
    }
}

namespace {

// The giraffe CLI's perplexity output (every chunk's value and the total) for a tiny model and flags.
std::string cli_ppl(const std::string& model, const std::string& text, const std::string& flags) {
    std::string out;
    const std::string cmd = std::string(GIRAFFE_CLI) + " perplexity -m " + model + " -f " + text + " -t 2 " + flags + " 2>/dev/null";
    INFO(cmd);
    REQUIRE(run_capture(cmd, out) == 0);
    REQUIRE(out.find("PPL = ") != std::string::npos);
    return out;
}

}  // namespace

TEST_CASE("rope scaling: --rope-scale or a --yarn-* flag alone applies", "[rope][cli]") {
    TempDir dir;
    ModelShape s = tiny_llama();
    s.n_ctx = 128;
    const std::string plain = dir.file("plain.gguf"), yarn = dir.file("yarn.gguf"), text = dir.file("text.txt");
    write_random_model(plain, s);
    s.rope_scaling = "yarn";  // the file says YaRN, factor 2
    s.rope_scale = 2.0f;
    write_random_model(yarn, s);
    {
        std::ofstream t(text);
        std::mt19937 rng(9);
        for (int i = 0; i < 320; i++) t << char(i % 6 == 5 ? ' ' : 'a' + rng() % 26);
    }
    // --rope-scale alone: linear interpolation...
    const std::string base = cli_ppl(plain, text, "-c 64");
    const std::string scaled = cli_ppl(plain, text, "-c 64 --rope-scale 2");
    REQUIRE(scaled == cli_ppl(plain, text, "-c 64 --rope-scaling linear --rope-scale 2"));
    REQUIRE(scaled != base);
    // ... unless the file names a method, which then takes the new factor.
    const std::string yarn4 = cli_ppl(yarn, text, "-c 64 --rope-scale 4");
    REQUIRE(yarn4 == cli_ppl(yarn, text, "-c 64 --rope-scaling yarn --rope-scale 4"));
    REQUIRE(yarn4 != cli_ppl(yarn, text, "-c 64 --rope-scaling linear --rope-scale 4"));
    REQUIRE(yarn4 != cli_ppl(yarn, text, "-c 64"));
    // A --yarn-* flag alone: YaRN, with the factor the context asks for beyond the trained one (as without
    // flags), the file's when it has one, else 1.
    const std::string yarn_ctx = cli_ppl(plain, text, "-c 256 --yarn-beta-fast 32");
    REQUIRE(yarn_ctx == cli_ppl(plain, text, "-c 256 --rope-scaling yarn --rope-scale 2"));
    REQUIRE(yarn_ctx == cli_ppl(plain, text, "-c 256"));  // the automatic extension, the same YaRN
    REQUIRE(yarn_ctx != cli_ppl(plain, text, "-c 256 --rope-scaling none"));
    REQUIRE(cli_ppl(yarn, text, "-c 64 --yarn-beta-slow 2") == cli_ppl(yarn, text, "-c 64 --rope-scaling yarn --rope-scale 2 --yarn-beta-slow 2"));
    const std::string attn = cli_ppl(plain, text, "-c 64 --yarn-attn-factor 1.5");
    REQUIRE(attn == cli_ppl(plain, text, "-c 64 --rope-scaling yarn --rope-scale 1 --yarn-attn-factor 1.5"));
    REQUIRE(attn != base);
}
