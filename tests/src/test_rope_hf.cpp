// RoPE scaling against Hugging Face transformers (tests/reference/rope_hf.py): for each method and a set
// of configurations, what the rope op really computes with resolve_rope's parameters (and the divisors the
// session would give it) must be transformers' rotation, angle inv_freq[i] * position for every pair, with
// cos and sin times its attention_scaling. A unit vector per pair goes through the op on the CPU backend
// at a few positions; each pair's angle and length come back out of the result.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "backends/registry.h"
#include "ggml/alloc.h"
#include "ggml/graph.h"
#include "ggml/sched.h"
#include "model.h"
#include "rope_scaling.h"
#include "test_util.h"

using namespace giraffe;

namespace {

struct Case {
    std::string method;  // the comparison table's row
    std::string label;
    std::string json;    // the rope_hf.py case
    HParams hp;
    RopeScaling rs;
    int n_ctx = 0;
    std::vector<float> short_factors, long_factors;  // LongRoPE: the model's tensors
    bool assert_equal = true;  // false: a known difference, measured for the table only
};

std::string num(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string list(const std::vector<float>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + num(v[i]);
    return s + "]";
}

// A case: transformers' config (head_dim, rotary fraction, theta, max_position_embeddings, and the method's
// rope_parameters entries), the same settings for giraffe, and the length transformers computes for.
Case make(const std::string& method, const std::string& label, int head_dim, double partial, float theta, int max_pos,
          const std::string& rope_params, bool neox, int seq_len, const RopeScaling& rs) {
    Case c;
    c.method = method;
    c.label = label;
    c.hp.head_dim_k = head_dim;
    c.hp.n_rot = int(head_dim * partial);
    c.hp.rope_neox = neox;
    c.hp.rope_base = c.hp.rope_base_swa = theta;
    c.hp.n_ctx_train = max_pos;
    c.rs = rs;
    if (c.rs.orig_ctx <= 0) c.rs.orig_ctx = max_pos;  // as the session fills it
    c.n_ctx = seq_len;
    std::ostringstream j;
    j << "{\"config\": {\"hidden_size\": " << head_dim * 4 << ", \"num_attention_heads\": 4, \"num_key_value_heads\": 4, "
      << "\"head_dim\": " << head_dim << ", \"max_position_embeddings\": " << max_pos;
    if (partial != 1.0) j << ", \"partial_rotary_factor\": " << num(partial);
    j << ", \"rope_parameters\": {\"rope_theta\": " << num(theta) << (rope_params.empty() ? "" : ", ") << rope_params
      << "}}, \"seq_len\": " << seq_len << "}";
    c.json = j.str();
    return c;
}

RopeScaling scaling(RopeScalingType t, float factor, int orig_ctx = 0) {
    RopeScaling rs;
    rs.type = t;
    rs.factor = factor;
    rs.orig_ctx = orig_ctx;
    return rs;
}

std::vector<Case> cases() {
    using T = RopeScalingType;
    std::vector<Case> v;
    const RopeScaling none = scaling(T::None, 1.0f);
    // No scaling: transformers' default inverse frequencies (its linear function with factor 1).
    v.push_back(make("default", "d64 base 1e4", 64, 1.0, 10000.0f, 2048, "\"rope_type\": \"default\"", false, 2048, none));
    v.push_back(make("default", "d128 base 5e5 neox", 128, 1.0, 500000.0f, 8192, "\"rope_type\": \"default\"", true, 8192, none));
    v.push_back(make("default", "d256 rot 64 base 1e6", 256, 0.25, 1000000.0f, 32768, "\"rope_type\": \"default\"", true, 32768, none));

    // Linear (position interpolation).
    for (auto [hd, theta, s, neox] : {std::tuple{64, 10000.0f, 2.0f, false}, {128, 1000000.0f, 4.0f, true}, {96, 10000.0f, 8.0f, false}})
        v.push_back(make("linear", "d" + std::to_string(hd) + " s " + num(s), hd, 1.0, theta, 4096,
                         "\"rope_type\": \"linear\", \"factor\": " + num(s), neox, 4096, scaling(T::Linear, s)));

    // Static NTK-aware (bloc97): transformers has no such type, but its dynamic NTK at length L (2s - 1) / s
    // gives base * s^(d / (d - 2)), the same base.
    for (auto [hd, theta, s, L] : {std::tuple{64, 10000.0f, 2.0f, 4096}, {128, 500000.0f, 4.0f, 8192}, {80, 10000.0f, 8.0f, 2048}}) {
        Case c = make("ntk", "d" + std::to_string(hd) + " s " + num(s) + " L " + std::to_string(L), hd, 1.0, theta, L,
                      "\"rope_type\": \"dynamic\", \"factor\": " + num(s), false, int(L * (2 * s - 1) / s), scaling(T::Ntk, s, L));
        v.push_back(c);
    }

    // Dynamic NTK at the length transformers computes it for (the sequence so far), within and beyond L.
    for (auto [hd, theta, s, L, n, neox] : {std::tuple{64, 10000.0f, 2.0f, 4096, 4096, false}, {64, 10000.0f, 2.0f, 4096, 12000, false},
                                            {128, 500000.0f, 4.0f, 2048, 30001, false}, {128, 1000000.0f, 8.0f, 8192, 65536, true}})
        v.push_back(make("dynamic", "d" + std::to_string(hd) + " s " + num(s) + " L " + std::to_string(L) + " n " + std::to_string(n),
                         hd, 1.0, theta, L, "\"rope_type\": \"dynamic\", \"factor\": " + num(s), neox, n, scaling(T::Dynamic, s, L)));

    // YaRN: the ramp between beta_fast and beta_slow over the original context, and the attention factor.
    auto yarn = [&](const std::string& label, int hd, double partial, float theta, float s, int L, float bf, float bs,
                    float attn, bool neox, const std::string& extra = "") {
        RopeScaling rs = scaling(T::Yarn, s, L);
        rs.beta_fast = bf;
        rs.beta_slow = bs;
        rs.attn_factor = attn;
        std::string p = "\"rope_type\": \"yarn\", \"factor\": " + num(s) + ", \"original_max_position_embeddings\": " +
                        std::to_string(L) + ", \"beta_fast\": " + num(bf) + ", \"beta_slow\": " + num(bs);
        if (attn > 0) p += ", \"attention_factor\": " + num(attn);
        return make("yarn", label, hd, partial, theta, int(L * s), p + extra, neox, int(L * s), rs);
    };
    v.push_back(yarn("d64 s 4 L 4096", 64, 1.0, 10000.0f, 4.0f, 4096, 32, 1, 0, false));
    v.push_back(yarn("d128 s 8 L 32768 beta 16/2", 128, 1.0, 1000000.0f, 8.0f, 32768, 16, 2, 0, true));
    v.push_back(yarn("d128 s 2.5 attention_factor 1.3", 128, 1.0, 500000.0f, 2.5f, 8192, 32, 1, 1.3f, false));
    v.push_back(yarn("d64 s 32 beta 64/0.5", 64, 1.0, 10000.0f, 32.0f, 4096, 64, 0.5f, 0, true));
    v.push_back(yarn("d128 rot 64 s 4 L 2048", 128, 0.5, 10000.0f, 4.0f, 2048, 32, 1, 0, false));
    // transformers' truncate = false (gpt-oss) keeps the ramp's ends fractional; the op floors / ceils them.
    Case untrunc = yarn("d64 s 32 truncate=false (not asserted)", 64, 1.0, 150000.0f, 32.0f, 4096, 32, 1, 0, true,
                        ", \"truncate\": false");
    untrunc.assert_equal = false;
    v.push_back(untrunc);

    // Llama 3: per-pair divisors between the low and high frequency wavelengths.
    for (auto [hd, theta, s, lo, hi, L, neox] :
         {std::tuple{128, 500000.0f, 8.0f, 1.0f, 4.0f, 8192, false}, {64, 500000.0f, 32.0f, 1.0f, 4.0f, 8192, false},
          {128, 10000.0f, 4.0f, 0.5f, 3.0f, 4096, false}, {128, 500000.0f, 16.0f, 2.0f, 8.0f, 8192, true}}) {
        RopeScaling rs = scaling(T::Llama3, s, L);
        rs.low_freq_factor = lo;
        rs.high_freq_factor = hi;
        v.push_back(make("llama3", "d" + std::to_string(hd) + " s " + num(s) + " low/high " + num(lo) + "/" + num(hi), hd, 1.0,
                         theta, 131072,
                         "\"rope_type\": \"llama3\", \"factor\": " + num(s) + ", \"low_freq_factor\": " + num(lo) +
                             ", \"high_freq_factor\": " + num(hi) + ", \"original_max_position_embeddings\": " + std::to_string(L),
                         neox, 131072, rs));
    }

    // LongRoPE: short factors within the original context, long ones beyond; s = max context / original.
    auto longrope = [&](const std::string& label, int hd, double partial, int max_pos, int L, int n_ctx, float attn) {
        const int half = int(hd * partial) / 2;
        std::vector<float> sf, lf;
        for (int i = 0; i < half; i++) {
            sf.push_back(1.0f + float(i) / 64.0f);
            lf.push_back(1.0f + float(i * i) / 32.0f);
        }
        RopeScaling rs = scaling(T::LongRope, float(max_pos) / float(L), L);
        rs.attn_factor = attn;
        std::string p = "\"rope_type\": \"longrope\", \"original_max_position_embeddings\": " + std::to_string(L) +
                        ", \"short_factor\": " + list(sf) + ", \"long_factor\": " + list(lf);
        if (attn > 0) p += ", \"attention_factor\": " + num(attn);
        Case c = make("longrope", label, hd, partial, 10000.0f, max_pos, p, true, n_ctx, rs);
        c.short_factors = sf;
        c.long_factors = lf;
        return c;
    };
    v.push_back(longrope("d96 n_ctx 4096 = L (short)", 96, 1.0, 131072, 4096, 4096, 0));
    v.push_back(longrope("d96 n_ctx 8192 > L (long)", 96, 1.0, 131072, 4096, 8192, 0));
    v.push_back(longrope("d128 rot 96 n_ctx 2000 (short)", 128, 0.75, 131072, 4096, 2000, 0));
    v.push_back(longrope("d128 rot 96 n_ctx 32768 (long)", 128, 0.75, 131072, 4096, 32768, 0));
    v.push_back(longrope("d64 attention_factor 1.2 (long)", 64, 1.0, 65536, 8192, 16384, 1.2f));
    return v;
}

struct HfResult {
    std::vector<double> inv_freq;
    double attention_scaling = 0;
};

// Reads rope_hf.py's JSON: {"transformers": "...", "torch": "...", "results": [{"inv_freq": [...],
// "attention_scaling": x}, ...]} (the only shape it prints).
std::vector<HfResult> parse(const std::string& s, std::string* versions) {
    auto string_after = [&](const std::string& key) {
        size_t at = s.find("\"" + key + "\": \"");
        if (at == std::string::npos) return std::string("?");
        at += key.size() + 5;
        return s.substr(at, s.find('"', at) - at);
    };
    *versions = "transformers " + string_after("transformers") + ", torch: " + string_after("torch");
    std::vector<HfResult> out;
    for (size_t at = s.find("\"inv_freq\": ["); at != std::string::npos; at = s.find("\"inv_freq\": [", at)) {
        HfResult r;
        const char* p = s.c_str() + at + 13;
        while (*p != ']') {
            char* end;
            r.inv_freq.push_back(std::strtod(p, &end));
            REQUIRE(end != p);
            p = end;
            while (*p == ',' || *p == ' ') p++;
        }
        at = s.find("\"attention_scaling\": ", at);
        REQUIRE(at != std::string::npos);
        r.attention_scaling = std::strtod(s.c_str() + at + 21, nullptr);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<HfResult> run_reference(const std::vector<Case>& cs, std::string* versions) {
    const std::string py = GIRAFFE_PYTHON;
    if (access(py.c_str(), X_OK) != 0) FAIL("no test Python at " << py << ": run `make setup`");
    TempDir dir;
    {
        std::ofstream f(dir.file("cases.json"));
        f << "[\n";
        for (size_t i = 0; i < cs.size(); i++) f << cs[i].json << (i + 1 < cs.size() ? ",\n" : "\n");
        f << "]\n";
    }
    std::string out;
    const std::string cmd = py + " " + GIRAFFE_SOURCE_DIR + "/tests/reference/rope_hf.py " + dir.file("cases.json") +
                            " 2> " + dir.file("stderr.txt");
    const int rc = run_capture(cmd, out);
    std::ifstream err(dir.file("stderr.txt"));
    const std::string err_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    INFO(cmd << "\n" << err_text);
    REQUIRE(rc == 0);
    std::vector<HfResult> r = parse(out, versions);
    REQUIRE(r.size() == cs.size());
    return r;
}

// The rope op with the case's resolved parameters, applied to (1, 0) in every rotated pair (0.5 in the
// dimensions that pass through) at the given positions: [position][head_dim] results.
std::vector<std::vector<float>> apply_rope(ggml::Backend& cpu, const Case& c, const std::vector<int32_t>& positions) {
    const ResolvedRope r = resolve_rope(c.hp, c.rs, false, c.n_ctx);
    const int hd = c.hp.head_dim_k, half = c.hp.n_rot / 2, n = int(positions.size());
    ggml::Context ctx;
    ggml::Tensor* x = ctx.new_tensor(ggml::Type::F32, {hd, 1, n});
    ggml::Tensor* pos = ctx.new_tensor(ggml::Type::I32, {n});
    // The divisors as a session gives them: the model's LongRoPE tensor for this context, else resolve_rope's.
    Weights w;
    if (!c.short_factors.empty()) {
        w.rope_factors_short = ctx.new_tensor(ggml::Type::F32, {half});
        w.rope_factors_long = ctx.new_tensor(ggml::Type::F32, {half});
    }
    ggml::Tensor* computed = r.freq_factors.empty() ? nullptr : ctx.new_tensor(ggml::Type::F32, {half});
    ggml::Tensor* own = model_rope_factors(w, c.rs, c.n_ctx);
    ggml::Tensor* y = ggml::rope(ctx, x, pos, own ? own : computed, r.params);
    ggml::Graph g = ggml::build_graph({y});
    std::unique_ptr<ggml::Buffer> buf = ggml::alloc_ctx_tensors(cpu, ctx);
    std::vector<float> xs(size_t(hd) * size_t(n), 0.5f);
    for (int t = 0; t < n; t++)
        for (int i = 0; i < half; i++) {
            const bool neox = c.hp.rope_neox;
            xs[size_t(t * hd + (neox ? i : 2 * i))] = 1.0f;
            xs[size_t(t * hd + (neox ? i + half : 2 * i + 1))] = 0.0f;
        }
    ggml::tensor_set(x, xs.data(), xs.size() * 4);
    ggml::tensor_set(pos, positions.data(), positions.size() * 4);
    if (w.rope_factors_short) {
        ggml::tensor_set(w.rope_factors_short, c.short_factors.data(), c.short_factors.size() * 4);
        ggml::tensor_set(w.rope_factors_long, c.long_factors.data(), c.long_factors.size() * 4);
    }
    if (computed) ggml::tensor_set(computed, r.freq_factors.data(), r.freq_factors.size() * 4);
    ggml::Scheduler sched({&cpu});
    sched.compute(g);
    std::vector<float> ys(xs.size());
    ggml::tensor_get(y, ys.data(), ys.size() * 4);
    std::vector<std::vector<float>> out;
    for (int t = 0; t < n; t++) out.emplace_back(ys.begin() + t * hd, ys.begin() + (t + 1) * hd);
    return out;
}

struct Worst {
    double inv_abs = 0, inv_rel = 0;  // inverse frequencies: the angles at position 1
    double angle_rel = 0;             // angles at every position, relative
    double attn_abs = 0;              // attention factor
    int n = 0;
};

}  // namespace

TEST_CASE("rope scaling: the op's rotation matches transformers' rope initialisation", "[rope][hf]") {
    const std::vector<Case> cs = cases();
    std::string versions;
    const std::vector<HfResult> hf = run_reference(cs, &versions);
    std::unique_ptr<ggml::Backend> cpu = ggml::make_backend(ggml::DeviceSpec{}, 1);
    const std::vector<int32_t> positions = {1, 1000, 30000};
    std::map<std::string, Worst> table;
    std::vector<std::string> order;
    for (size_t k = 0; k < cs.size(); k++) {
        const Case& c = cs[k];
        INFO(c.method << ": " << c.label << "\n" << c.json);
        const int half = c.hp.n_rot / 2;
        REQUIRE(hf[k].inv_freq.size() == size_t(half));
        const std::vector<std::vector<float>> ys = apply_rope(*cpu, c, positions);
        const std::string row = c.assert_equal ? c.method : c.method + " (" + c.label + ")";
        if (!table.count(row)) order.push_back(row);
        Worst& w = table[row];
        w.n++;
        for (size_t t = 0; t < positions.size(); t++) {
            const double p = positions[t];
            for (int i = 0; i < half; i++) {
                const bool neox = c.hp.rope_neox;
                const double y0 = ys[t][size_t(neox ? i : 2 * i)], y1 = ys[t][size_t(neox ? i + half : 2 * i + 1)];
                const double want = hf[k].inv_freq[size_t(i)] * p;
                // The op's angle is known modulo 2 pi; its distance to transformers' angle, relative to that angle.
                const double diff = std::fabs(std::remainder(std::atan2(y1, y0) - want, 2 * M_PI));
                const double attn_diff = std::fabs(std::hypot(y0, y1) - hf[k].attention_scaling);
                w.angle_rel = std::max(w.angle_rel, diff / want);
                w.attn_abs = std::max(w.attn_abs, attn_diff);
                if (p == 1) {
                    w.inv_abs = std::max(w.inv_abs, diff);
                    w.inv_rel = std::max(w.inv_rel, diff / want);
                }
                if (!c.assert_equal) continue;
                INFO("position " << p << ", pair " << i << ": angle " << std::atan2(y1, y0) << " vs transformers' "
                                 << want << " (mod 2 pi), length " << std::hypot(y0, y1) << " vs "
                                 << hf[k].attention_scaling);
                REQUIRE(diff <= 1e-5 * want);
                REQUIRE(attn_diff <= 1e-6 * hf[k].attention_scaling);
            }
            for (int i = c.hp.n_rot; i < c.hp.head_dim_k; i++) REQUIRE(ys[t][size_t(i)] == 0.5f);  // passed through
        }
    }
    std::ostringstream s;
    s << "RoPE scaling vs transformers (" << versions << "); positions 1, 1000, 30000; max differences:\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %-44s %5s %12s %12s %14s %12s\n", "method", "cases", "inv_freq abs",
                  "inv_freq rel", "angle rel", "attn abs");
    s << line;
    for (const std::string& m : order) {
        const Worst& w = table[m];
        std::snprintf(line, sizeof line, "  %-44s %5d %12.3g %12.3g %14.3g %12.3g\n", m.c_str(), w.n, w.inv_abs, w.inv_rel,
                      w.angle_rel, w.attn_abs);
        s << line;
    }
    WARN(s.str());
}
