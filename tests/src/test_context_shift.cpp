// Context shift with attention sinks (Session::shift, src/kv_shift.cpp). The exact check uses one-layer
// models, whose keys and values of a token depend only on the token and its position: after a shift, the
// cells a query can see must equal those of a fresh session that decoded only the kept tokens, and the next
// token's logits must equal that session's.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <string>

#include "backends/registry.h"
#include "giraffe.h"
#include "model.h"
#include "model_gen.h"
#include "session.h"
#include "test_util.h"
#include "tiny_models.h"

using namespace giraffe;

namespace {

const int kCtx = 64, kKeep = 4;

struct ShiftCase {
    const char* name;
    const char* arch;
    ggml::Type kv = ggml::Type::F32;
    FlashAttn flash = FlashAttn::Auto;
    RopeScalingType scaling = RopeScalingType::None;
    double tol_cells, tol_logits;  // max |error| / max |value|
};

std::string write_model(const TempDir& dir, const std::string& arch, int n_layer, int n_embd) {
    ModelShape s = tiny(arch, ggml::Type::F32);
    s.n_layer = n_layer;
    s.n_embd = n_embd;
    if (arch == "gemma3") s.head_dim = n_embd / 2;
    const std::string path = dir.file(arch + "_" + std::to_string(n_layer) + "_" + std::to_string(n_embd) + ".gguf");
    if (access(path.c_str(), R_OK) != 0) write_random_model(path, s);
    return path;
}

SessionParams params_for(const ShiftCase& c) {
    SessionParams p;
    p.n_ctx = kCtx;
    p.n_ubatch = 8;  // gemma3's window is 8: its ring has 16 cells, and wraps
    p.n_threads = 1;  // tiny models: threads would only wait for each other
    p.kv_type_k = p.kv_type_v = c.kv;
    p.flash_attn = c.flash;
    if (c.scaling != RopeScalingType::None) {
        RopeScaling rs;
        rs.type = c.scaling;
        rs.factor = 4.0f;
        rs.orig_ctx = 16;  // the model's 256 pretend to be 16 x 4 (YaRN's ramp then spans some pairs)
        p.rope_scaling = rs;
    }
    return p;
}

// Layer il's keys (or values) by cell, as floats.
std::vector<std::vector<float>> cell_values(const Session& s, int il, bool key) {
    const KvCache& kv = s.kv();
    ggml::Tensor* t = key ? kv.k(il) : kv.v(il);
    const bool transposed = !key && kv.types().v_trans;
    std::vector<char> bytes(t->nbytes());
    ggml::tensor_get(t, bytes.data(), bytes.size());
    const int64_t cells = transposed ? t->ne[0] : t->ne[1], channels = transposed ? t->ne[1] : t->ne[0];
    const ggml::TypeTraits& tt = ggml::type_traits(t->type);
    std::vector<std::vector<float>> out(static_cast<size_t>(cells), std::vector<float>(static_cast<size_t>(channels)));
    for (int64_t c = 0; c < cells; c++) {
        if (!transposed) {
            tt.to_float(bytes.data() + size_t(c) * t->nb[1], out[size_t(c)].data(), channels);
            continue;
        }
        for (int64_t j = 0; j < channels; j++)
            tt.to_float(bytes.data() + size_t(j) * t->nb[1] + size_t(c) * t->nb[0], &out[size_t(c)][size_t(j)], 1);
    }
    return out;
}

// The cells of layer il that a query at position q can see, by position.
std::map<int32_t, int> visible_cells(const Session& s, int il, int32_t q) {
    const KvCache::Ring& r = s.kv().ring_of(il);
    std::map<int32_t, int> cells;
    for (int c = 0; c < r.size; c++) {
        const int32_t p = r.pos[size_t(c)];
        if (p >= 0 && p <= q && (r.window == 0 || q - p < r.window)) {
            INFO("position " << p << " is in cell " << c << " and another");
            REQUIRE(cells.count(p) == 0);
            cells[p] = c;
        }
    }
    return cells;
}

// Layer il of `shifted` holds what layer il of `fresh` does, for every position the next query sees.
void require_same_cells(const Session& shifted, const Session& fresh, int il, double tol) {
    REQUIRE(shifted.n_past() == fresh.n_past());
    const int32_t q = fresh.n_past();
    const std::map<int32_t, int> a = visible_cells(shifted, il, q), b = visible_cells(fresh, il, q);
    REQUIRE(a.size() == b.size());
    REQUIRE(!b.empty());
    for (bool key : {true, false}) {
        const auto va = cell_values(shifted, il, key), vb = cell_values(fresh, il, key);
        std::vector<float> got, want;
        for (const auto& [p, cb] : b) {
            INFO("position " << p);
            REQUIRE(a.count(p) == 1);
            const std::vector<float>& x = va[size_t(a.at(p))];
            got.insert(got.end(), x.begin(), x.end());
            want.insert(want.end(), vb[size_t(cb)].begin(), vb[size_t(cb)].end());
        }
        const double err = rel_err(got, want);
        INFO((key ? "keys" : "values") << ": relative error " << err << " over " << b.size() << " cells");
        CHECK(err <= tol);
    }
}

std::vector<float> last_logits(const Session& s, int n_vocab) { return std::vector<float>(s.logits(), s.logits() + n_vocab); }

// Fills a session, shifts, compares with a fresh session of the kept tokens; then refills and does it again
// (a ring's offset grows). first_fill: tokens decoded before the first shift.
void check_shift(const std::string& path, const ShiftCase& c, int first_fill, const Model::Options& mo = {}) {
    auto model = Model::load(path, mo);
    const int n_vocab = model->hparams().n_vocab;
    const SessionParams p = params_for(c);
    std::mt19937 rng(11);
    auto random_tokens = [&](int n) {
        std::vector<int32_t> t(static_cast<size_t>(n));
        for (int32_t& x : t) x = int32_t(rng() % uint32_t(n_vocab));
        return t;
    };
    Session s(*model, p);
    std::vector<int32_t> seq = random_tokens(first_fill);
    s.decode(seq);
    for (int round = 0; round < 2; round++) {
        INFO("round " << round << ", " << s.n_past() << " positions");
        const std::vector<float> before = last_logits(s, n_vocab);
        const int32_t n_past = s.n_past();
        const int dropped = s.shift(kKeep);
        REQUIRE(dropped == (n_past - kKeep) / 2);
        REQUIRE(s.n_past() == n_past - dropped);
        // The last logits stay.
        REQUIRE(last_logits(s, n_vocab) == before);
        seq.erase(seq.begin() + kKeep, seq.begin() + kKeep + dropped);

        Session fresh(*model, p);
        fresh.decode(seq);
        require_same_cells(s, fresh, 0, c.tol_cells);
        const std::vector<int32_t> next = random_tokens(1);
        s.decode(next);
        fresh.decode(next);
        seq.push_back(next[0]);
        const double err = rel_err(last_logits(s, n_vocab), last_logits(fresh, n_vocab));
        INFO("next token's logits: relative error " << err);
        CHECK(err <= c.tol_logits);
        // Refill to the end of the context in micro-batches (writes that wrap the shifted ring).
        const std::vector<int32_t> more = random_tokens(kCtx - s.n_past());
        s.decode(more);
        seq.insert(seq.end(), more.begin(), more.end());
    }
}

}  // namespace

TEST_CASE("context shift: kept cells and next logits equal a fresh session's (one layer)", "[shift]") {
    using T = ggml::Type;
    const ShiftCase cases[] = {
        {"llama f32", "llama", T::F32, FlashAttn::Auto, RopeScalingType::None, 1e-5, 1e-4},
        {"llama f32 unfused (transposed values)", "llama", T::F32, FlashAttn::Off, RopeScalingType::None, 1e-5, 1e-4},
        {"llama f32 yarn", "llama", T::F32, FlashAttn::Auto, RopeScalingType::Yarn, 1e-5, 1e-4},
        {"llama f32 llama3 divisors", "llama", T::F32, FlashAttn::Auto, RopeScalingType::Llama3, 1e-5, 1e-4},
        {"llama f16", "llama", T::F16, FlashAttn::Auto, RopeScalingType::None, 2e-3, 5e-3},
        {"llama q8_0", "llama", T::Q8_0, FlashAttn::Auto, RopeScalingType::None, 3e-2, 5e-2},
        {"gemma3 sliding f32", "gemma3", T::F32, FlashAttn::Auto, RopeScalingType::None, 1e-5, 1e-4},
        {"gemma3 sliding f16 unfused", "gemma3", T::F16, FlashAttn::Off, RopeScalingType::None, 2e-3, 5e-3},
        {"gemma3 sliding q8_0", "gemma3", T::Q8_0, FlashAttn::Auto, RopeScalingType::None, 3e-2, 5e-2},
    };
    TempDir dir;
    for (const ShiftCase& c : cases) {
        DYNAMIC_SECTION(c.name) {
            // q8_0 blocks hold 32 values: heads of 32.
            const std::string path = write_model(dir, c.arch, 1, 128);
            check_shift(path, c, kCtx);
        }
    }
}

namespace {
void check_shift_on_gpu(const std::string& dev) {
    if (!have_gpu(dev)) return;
    const ShiftCase cases[] = {
        {"llama f16", "llama", ggml::Type::F16, FlashAttn::Auto, RopeScalingType::Yarn, 2e-3, 5e-3},
        {"gemma3 sliding f16", "gemma3", ggml::Type::F16, FlashAttn::Auto, RopeScalingType::None, 2e-3, 5e-3},
    };
    TempDir dir;
    Model::Options mo;
    mo.device = dev;
    for (const ShiftCase& c : cases) {
        DYNAMIC_SECTION(c.name) { check_shift(write_model(dir, c.arch, 1, 128), c, kCtx, mo); }
    }
}
}  // namespace

TEST_CASE("vulkan: context shift on a cache in device memory", "[shift][vulkan]") { check_shift_on_gpu("vulkan"); }
TEST_CASE("cuda: context shift on a cache in device memory", "[shift][cuda]") { check_shift_on_gpu("cuda"); }

TEST_CASE("context shift: a ring that still holds the sinks moves them", "[shift]") {
    // 14 tokens in gemma3's 16-cell ring: nothing overwritten yet. The shift drops 5 positions; the next
    // query (position 9, window 8) sees the sinks at 2 and 3, which must have moved to their new cells.
    TempDir dir;
    const std::string path = write_model(dir, "gemma3", 1, 128);
    ShiftCase c{"gemma3", "gemma3", ggml::Type::F32, FlashAttn::Auto, RopeScalingType::None, 1e-5, 1e-4};
    check_shift(path, c, 14);
}

TEST_CASE("context shift: a model with full and sliding layers keeps decoding", "[shift]") {
    // gemma3's six layers: five sliding, then a global one. Layer 0 reads only the tokens, so its cells must
    // still equal a fresh session's; the deeper layers remember the dropped tokens, so only sanity there.
    TempDir dir;
    const std::string path = write_model(dir, "gemma3", 6, 64);
    auto model = Model::load(path, Model::Options());
    const int n_vocab = model->hparams().n_vocab;
    ShiftCase c{"gemma3", "gemma3", ggml::Type::F16, FlashAttn::Auto, RopeScalingType::None, 2e-3, 0};
    const SessionParams p = params_for(c);
    Session s(*model, p);
    std::vector<int32_t> seq;
    for (int i = 0; i < kCtx; i++) seq.push_back(int32_t((i * 37 + 5) % n_vocab));
    s.decode(seq);
    int shifts = 0;
    for (int i = 0; i < 100; i++) {
        if (s.n_past() == s.n_ctx()) {
            const int dropped = s.shift(kKeep);
            seq.erase(seq.begin() + kKeep, seq.begin() + kKeep + dropped);
            shifts++;
            Session fresh(*model, p);
            fresh.decode(seq);
            require_same_cells(s, fresh, 0, c.tol_cells);
        }
        const int32_t t = int32_t((i * 13 + 1) % n_vocab);
        s.decode({t});
        seq.push_back(t);
        const float* l = s.logits();
        for (int v = 0; v < n_vocab; v++) REQUIRE(std::isfinite(l[v]));
    }
    REQUIRE(shifts >= 3);
}

TEST_CASE("context shift: bad keep values", "[shift]") {
    TempDir dir;
    const std::string path = write_model(dir, "llama", 1, 64);
    auto model = Model::load(path, Model::Options());
    SessionParams p;
    p.n_ctx = 16;
    p.n_threads = 1;
    Session s(*model, p);
    REQUIRE_THROWS_AS(s.shift(-1), std::invalid_argument);
    REQUIRE(s.shift(0) == 0);  // nothing decoded: nothing to drop
    s.decode({1, 2, 3, 4, 5, 6});
    REQUIRE(s.shift(5) == 0);  // one position after the kept ones: (6 - 5) / 2 = 0
    REQUIRE(s.shift(8) == 0);
    REQUIRE(s.n_past() == 6);
    REQUIRE(s.shift(0) == 3);
    REQUIRE(s.n_past() == 3);
}

TEST_CASE("context shift: the C API", "[shift]") {
    TempDir dir;
    const std::string path = write_model(dir, "llama", 1, 64);
    giraffe_model* m = nullptr;
    REQUIRE(giraffe_model_load(path.c_str(), nullptr, &m) == GIRAFFE_OK);
    giraffe_session* s = nullptr;
    REQUIRE(giraffe_session_create(m, 16, 0, &s) == GIRAFFE_OK);
    const int32_t toks[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    REQUIRE(giraffe_decode(s, toks, 16) == GIRAFFE_OK);
    REQUIRE(giraffe_decode(s, toks, 1) == GIRAFFE_ERR_CONTEXT_FULL);
    int32_t dropped = -1;
    REQUIRE(giraffe_session_shift(s, 4, &dropped) == GIRAFFE_OK);
    REQUIRE(dropped == 6);
    REQUIRE(giraffe_session_n_past(s) == 10);
    REQUIRE(giraffe_decode(s, toks, 1) == GIRAFFE_OK);
    REQUIRE(giraffe_session_shift(s, -1, nullptr) == GIRAFFE_ERR_INVALID_ARGUMENT);
    giraffe_session_free(s);
    giraffe_model_free(m);
}

TEST_CASE("context shift: giraffe run keeps generating past a full context", "[shift][cli]") {
    TempDir dir;
    ModelShape s = tiny("llama", ggml::Type::F16);  // two layers
    const std::string path = dir.file("tiny.gguf");
    write_random_model(path, s);
    const std::string cli = GIRAFFE_CLI;
    std::string out;
    // Greedy on this random model never picks the end-of-text token within 200 tokens.
    const std::string cmd = cli + " run -m " + path + " -p hello -c 64 -n 200 --keep 4 --temp 0 -t 1";
    INFO(cmd);
    REQUIRE(run_capture(cmd, out) == 0);
    INFO(out);
    REQUIRE(out.find("[context shift: dropped 30 tokens]") != std::string::npos);
    REQUIRE(out.find("generation 200 tokens") != std::string::npos);

    // chat shifts too, when a message does not fit or a reply fills the context; a message that cannot fit
    // even then is an error.
    const std::string chat = cli + " chat -m " + path + " -c 128 -n 30 --chat-template chatml --temp 0 -t 1";
    REQUIRE(run_capture("printf 'hi\\nok\\nyes\\nno\\n' | " + chat, out) == 0);
    REQUIRE(out.find("[context shift: dropped ") != std::string::npos);
    REQUIRE(run_capture("printf '" + std::string(200, 'a') + "\\n' | " + chat, out) != 0);
    REQUIRE(out.find("error: the message needs") != std::string::npos);

    // --keep must leave something to drop: one line, before any work.
    for (const std::string bad : {"--keep 64", "--keep 63", "--keep -1"}) {
        REQUIRE(run_capture(cli + " run -m " + path + " -p hello -c 64 -n 8 " + bad, out) != 0);
        INFO(out);
        REQUIRE(out.rfind("error: --keep", 0) == 0);
        REQUIRE(out.find('\n') == out.size() - 1);
    }
}
