// Several sequences in one session (Session::decode_batch): every sequence's logits must equal those of a
// session that decoded it alone, whatever shares its micro-batches (prompt chunks beside other sequences'
// single tokens, entries split across micro-batches), on full and sliding-window layers whose rings wrap,
// with float and block KV types. Also: freeing and reusing a sequence, keeping a prefix, and bad batches.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>

#include "giraffe.h"
#include "model.h"
#include "model_gen.h"
#include "session.h"
#include "test_util.h"
#include "tiny_models.h"

using namespace giraffe;

namespace {

const int kCtx = 64;

std::string write_tiny(const TempDir& dir, const std::string& arch) {
    const std::string path = dir.file(arch + ".gguf");
    ModelShape s = tiny(arch, ggml::Type::F32);
    s.head_dim = 32;  // whole q8_0 blocks
    write_random_model(path, s);
    return path;
}

SessionParams params(ggml::Type kv, int n_seq) {
    SessionParams p;
    p.n_ctx = kCtx;
    p.n_ubatch = 8;  // gemma3's window is 8: its rings hold 16 cells and wrap
    p.n_threads = 2;
    p.kv_type_k = p.kv_type_v = kv;
    p.n_seq = n_seq;
    return p;
}

std::vector<int32_t> random_tokens(std::mt19937& rng, int n) {
    std::uniform_int_distribution<int32_t> d(0, 319);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int32_t& x : t) x = d(rng);
    return t;
}

// max |a - b| / max |b| over the vocabulary
double rel_diff(const float* a, const float* b, int n) {
    double err = 0, mag = 0;
    for (int i = 0; i < n; i++) {
        err = std::max(err, std::fabs(double(a[i]) - double(b[i])));
        mag = std::max(mag, std::fabs(double(b[i])));
    }
    return err / mag;
}

// A sequence's tokens: a prompt, then tokens fed one at a time; want[i] is the logits after the prompt
// (i = 0) and after each later token, from a session that decoded it alone.
struct Script {
    std::vector<int32_t> prompt, more;
    std::vector<std::vector<float>> want;
    size_t fed = 0;     // prompt tokens given so far
    size_t step = 0;    // later tokens given so far
};

void record_alone(const Model& m, ggml::Type kv, Script& s) {
    Session alone(m, params(kv, 1));
    const int nv = m.hparams().n_vocab;
    alone.decode(s.prompt);
    s.want.emplace_back(alone.logits(), alone.logits() + nv);
    for (int32_t t : s.more) {
        alone.decode({t});
        s.want.emplace_back(alone.logits(), alone.logits() + nv);
    }
}

}  // namespace

TEST_CASE("multi-sequence: each sequence's logits equal those of the sequence alone", "[multi_seq]") {
    TempDir dir;
    for (const char* arch : {"llama", "gemma3"})
        for (ggml::Type kv : {ggml::Type::F32, ggml::Type::F16, ggml::Type::Q8_0}) {
            INFO(arch << ", KV " << ggml::type_name(kv));
            auto m = Model::load(write_tiny(dir, arch), Model::Options());
            const int nv = m->hparams().n_vocab;
            std::mt19937 rng(11);
            const int kSeq = 3;
            std::vector<Script> scripts(kSeq);
            const int prompt_len[kSeq] = {21, 3, 37}, more_len[kSeq] = {30, 40, 20};
            for (int s = 0; s < kSeq; s++) {
                scripts[size_t(s)].prompt = random_tokens(rng, prompt_len[s]);
                scripts[size_t(s)].more = random_tokens(rng, more_len[s]);
                record_alone(*m, kv, scripts[size_t(s)]);
            }
            Session sess(*m, params(kv, kSeq));
            double worst = 0;
            int checked = 0;
            std::uniform_int_distribution<int> coin(0, 3);
            for (bool busy = true; busy;) {
                // Each step: every unfinished sequence (but now and then one sits out) gives a chunk of its
                // prompt of random length, or its next token.
                std::vector<SeqTokens> batch;
                std::vector<int> which;
                busy = false;
                for (int s = 0; s < kSeq; s++) {
                    Script& sc = scripts[size_t(s)];
                    if (sc.step == sc.more.size()) continue;
                    busy = true;
                    if (coin(rng) == 0) continue;
                    SeqTokens e;
                    e.seq = s;
                    if (sc.fed < sc.prompt.size()) {
                        const size_t n = std::min(sc.prompt.size() - sc.fed, size_t(1 + coin(rng) * 4));
                        e.tokens.assign(sc.prompt.begin() + long(sc.fed), sc.prompt.begin() + long(sc.fed + n));
                        sc.fed += n;
                        e.logits = sc.fed == sc.prompt.size();
                    } else {
                        e.tokens = {sc.more[sc.step++]};
                    }
                    if (e.logits) which.push_back(s);
                    batch.push_back(std::move(e));
                }
                if (batch.empty()) continue;
                sess.decode_batch(batch);
                REQUIRE(sess.n_outputs() == int(which.size()));
                for (size_t i = 0; i < which.size(); i++) {
                    const Script& sc = scripts[size_t(which[i])];
                    const double d = rel_diff(sess.logits(int(i)), sc.want[sc.step].data(), nv);
                    worst = std::max(worst, d);
                    checked++;
                }
            }
            for (int s = 0; s < kSeq; s++)
                REQUIRE(sess.n_past(s) == int(scripts[size_t(s)].prompt.size() + scripts[size_t(s)].more.size()));
            INFO("worst relative difference " << worst << " over " << checked << " outputs");
            REQUIRE(checked == 93);
            // The products' sums run in another order when a micro-batch holds other tokens (about 1e-7);
            // rounding keys and values to f16 or q8_0 now and then turns that into a step of the type's
            // precision. A wrong cell or mask would be off by the logits' own size.
            CHECK(worst < (kv == ggml::Type::F32 ? 5e-6 : 5e-4));
        }
}

TEST_CASE("multi-sequence: a freed sequence is reused, a kept prefix continues exactly", "[multi_seq]") {
    TempDir dir;
    for (const char* arch : {"llama", "gemma3"}) {
        INFO(arch);
        auto m = Model::load(write_tiny(dir, arch), Model::Options());
        const int nv = m->hparams().n_vocab;
        std::mt19937 rng(5);
        const std::vector<int32_t> a = random_tokens(rng, 30), b = random_tokens(rng, 12), c = random_tokens(rng, 9);
        Session sess(*m, params(ggml::Type::F32, 2));
        sess.decode_batch({{0, a, true}, {1, b, true}});
        // Sequence 1 starts over with other tokens: nothing of b may remain visible.
        sess.clear_seq(1);
        REQUIRE(sess.n_past(1) == 0);
        REQUIRE(sess.n_past(0) == 30);
        sess.decode_batch({{1, c, true}});
        Session alone(*m, params(ggml::Type::F32, 1));
        alone.decode(c);
        CHECK(rel_diff(sess.logits(0), alone.logits(), nv) < 2e-5);

        // Keep the first 26 positions of a (a reply that shares the prompt's start), then go on with c.
        // The gemma3 rings (16 cells) still hold the window of position 26 after 30 positions.
        REQUIRE(sess.keep_prefix(0, 26) == 26);
        sess.decode_batch({{0, c, true}});
        std::vector<int32_t> ac(a.begin(), a.begin() + 26);
        ac.insert(ac.end(), c.begin(), c.end());
        alone.clear();
        alone.decode(ac);
        CHECK(rel_diff(sess.logits(0), alone.logits(), nv) < 2e-5);
        REQUIRE(sess.n_past(0) == 35);
        // Far back: the rings no longer hold the window of position 4 (gemma3), so nothing is kept there.
        const int32_t kept = sess.keep_prefix(0, 4);
        REQUIRE(kept == (std::string(arch) == "gemma3" ? 0 : 4));
        REQUIRE(sess.n_past(0) == kept);
    }
}

TEST_CASE("multi-sequence: bad batches are refused and change nothing", "[multi_seq]") {
    TempDir dir;
    auto m = Model::load(write_tiny(dir, "llama"), Model::Options());
    Session sess(*m, params(ggml::Type::F32, 2));
    sess.decode_batch({{0, {1, 2, 3}, true}});
    REQUIRE_THROWS_AS(sess.decode_batch({{2, {1}, true}}), std::out_of_range);
    REQUIRE_THROWS_AS(sess.decode_batch({{-1, {1}, true}}), std::out_of_range);
    REQUIRE_THROWS_AS(sess.decode_batch({{1, {1}, true}, {1, {2}, true}}), std::invalid_argument);
    REQUIRE_THROWS_AS(sess.decode_batch({{1, {}, true}}), std::invalid_argument);
    REQUIRE_THROWS_AS(sess.decode_batch({{1, {5}, true}, {0, {320}, true}}), std::out_of_range);  // vocabulary
    REQUIRE_THROWS_AS(sess.decode_batch({{1, {5}, true}, {0, std::vector<int32_t>(kCtx - 2, 1), true}}), std::length_error);
    REQUIRE_THROWS_AS(sess.decode_batch({}), std::invalid_argument);
    REQUIRE(sess.n_past(0) == 3);
    REQUIRE(sess.n_past(1) == 0);
    REQUIRE_THROWS_AS(sess.clear_seq(2), std::out_of_range);
    REQUIRE_THROWS_WITH(Session(*m, [] {
                            SessionParams p = params(ggml::Type::F32, 2);
                            p.flash_attn = FlashAttn::Off;
                            return p;
                        }()),
                        Catch::Contains("flash attention"));
}


TEST_CASE("multi-sequence: the C API decodes several sequences and samples each", "[multi_seq]") {
    TempDir dir;
    const std::string path = write_tiny(dir, "gemma3");
    giraffe_model_params mp = giraffe_model_default_params();
    mp.n_threads = 2;
    giraffe_model* m = nullptr;
    REQUIRE(giraffe_model_load(path.c_str(), &mp, &m) == GIRAFFE_OK);
    giraffe_session* s = nullptr;
    REQUIRE(giraffe_session_create_seqs(m, kCtx, 8, 2, &s) == GIRAFFE_OK);
    const int32_t a[5] = {1, 2, 3, 4, 5}, b[3] = {9, 8, 7};
    const giraffe_seq_tokens batch[2] = {{0, a, 5, 1}, {1, b, 3, 1}};
    REQUIRE(giraffe_decode_batch(s, batch, 2) == GIRAFFE_OK);
    REQUIRE(giraffe_session_seq_n_past(s, 0) == 5);
    REQUIRE(giraffe_session_seq_n_past(s, 1) == 3);
    REQUIRE(giraffe_logits_ith(s, 2) == nullptr);
    const int nv = giraffe_model_n_vocab(m);
    for (int i = 0; i < 2; i++) {
        giraffe_session* alone = nullptr;
        REQUIRE(giraffe_session_create(m, kCtx, 8, &alone) == GIRAFFE_OK);
        REQUIRE(giraffe_decode(alone, batch[i].tokens, batch[i].n_tokens) == GIRAFFE_OK);
        CHECK(rel_diff(giraffe_logits_ith(s, i), giraffe_logits(alone), nv) < 5e-4);  // f16 cache: see above
        giraffe_sampler *x = nullptr, *y = nullptr;
        REQUIRE(giraffe_sampler_create(0.0f, 0, 1.0f, 0.0f, 1.0f, 1, &x) == GIRAFFE_OK);
        REQUIRE(giraffe_sampler_create(0.0f, 0, 1.0f, 0.0f, 1.0f, 1, &y) == GIRAFFE_OK);
        int32_t tx = -1, ty = -2;
        REQUIRE(giraffe_sample_ith(x, s, i, &tx) == GIRAFFE_OK);
        REQUIRE(giraffe_sample(y, alone, &ty) == GIRAFFE_OK);
        CHECK(tx == ty);
        giraffe_sampler_free(x);
        giraffe_sampler_free(y);
        giraffe_session_free(alone);
    }
    const giraffe_seq_tokens bad[1] = {{2, a, 1, 1}};
    REQUIRE(giraffe_decode_batch(s, bad, 1) == GIRAFFE_ERR_INVALID_ARGUMENT);
    CHECK(std::string(giraffe_last_error()).find("sequence 2") != std::string::npos);
    int32_t kept = -1;
    REQUIRE(giraffe_session_seq_keep(s, 0, 2, &kept) == GIRAFFE_OK);
    REQUIRE(kept == 2);
    REQUIRE(giraffe_session_seq_clear(s, 1) == GIRAFFE_OK);
    REQUIRE(giraffe_session_seq_n_past(s, 1) == 0);
    REQUIRE(giraffe_session_seq_clear(s, 7) == GIRAFFE_ERR_INVALID_ARGUMENT);
    giraffe_session_free(s);
    giraffe_model_free(m);
}
