// Context extension: each RopeScaling method resolves to the rope op's parameters as its paper says.
#include <catch2/catch.hpp>

#include <cmath>

#include "rope_scaling.h"

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
