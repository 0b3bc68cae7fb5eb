// Table cases for flash_attn: f32/f16/bf16 keys and values, grouped-query heads, head sizes 40/64/128/256,
// decode (one token) and prefill, cell counts that are no multiple of any tile, causal and sliding-window
// masks (whole tiles hidden), a token with every cell hidden, and the KV cache's layouts: keys as a view of
// [hd * n_kv_head, n_ctx] rows, values transposed ([n_ctx, hd * n_kv_head], read through a permuted view).
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/case_helpers.h"

namespace optest {

namespace {

enum class MaskKind { None, Causal, Window };

struct Attn {
    T kt = T::F16, vt = T::F16;
    int64_t hd_k = 64, hd_v = 64;
    int64_t n = 1, n_head = 4, n_kv_head = 4, n_kv = 61;
    MaskKind mask = MaskKind::Causal;
    int64_t window = 0;       // MaskKind::Window: cells visible before (and including) each token's own
    int64_t hidden_row = -1;  // >= 0: this token's mask row is -inf everywhere
    bool zero_open = false;   // open entries are 0, as in the runtime's masks (else random biases)
    bool cache_layout = false;  // k and v as views of KV-cache-shaped leaves of n_ctx cells
    int64_t n_ctx = 0;          // cells of those leaves (>= n_kv)
    bool k_transposed = false;  // keys read through a transposed [n_kv, hd_k, n_kv_head] leaf (strided elements)
    double q_range = 1.0;       // queries uniform in [-q_range, q_range]
    bool growing_keys = false;  // keys' magnitude grows with the cell: later cells tend to score higher
    float scale = 0.0f;         // 0: 1/sqrt(hd_k)
};

// Token t sits at position t + n_kv - n: causal sees cells j <= pos, a window of W the cells pos - W < j <= pos.
// Open entries are random in [-1, 1] (an additive mask) or zeros; padding past n_kv x n is NaN and must never
// be read.
Gen attn_mask(const Attn& a) {
    return [a](const int64_t i[4], Rng& r) {
        const int64_t j = i[0], t = i[1];
        if (j >= a.n_kv || t >= a.n) return std::numeric_limits<double>::quiet_NaN();
        const double v = a.zero_open ? 0.0 : r.uniform(-1, 1);
        const int64_t pos = t + a.n_kv - a.n;
        bool open = j <= pos;
        if (a.mask == MaskKind::Window) open = open && j > pos - a.window;
        if (t == a.hidden_row) open = false;
        return open ? v : -HUGE_VAL;
    };
}

// Float accumulation over n_kv cells and hd-long dots (keys and values are exact in their leaves, so no
// conversion error remains): like soft_max then mul_mat, the allowance growing with sqrt(n_kv). Measured:
// max |err| / max |ref| <= 1.6e-6 on the CPU and on lavapipe.
Tolerance attn_tol(const Attn& a) { return Tolerance{1e-5 * std::max(1.0, std::sqrt(double(a.n_kv)) / 8.0), 1e-5}; }

OpCase attn_case(const std::string& name, const Attn& a) {
    const size_t ks = ref::type_size(a.kt), vs = ref::type_size(a.vt);
    const int64_t n_ctx = std::max(a.n_ctx, a.n_kv);
    std::vector<InputSpec> inputs;
    inputs.push_back(in(T::F32, {a.hd_k, a.n_head, a.n}, uniform(-a.q_range, a.q_range)));
    // Both key leaves have the cell in dimension 1.
    Gen keys = uniform(-1, 1);
    if (a.growing_keys) keys = [n_ctx](const int64_t i[4], Rng& r) { return r.uniform(-1, 1) * (0.2 + double(i[1]) / double(n_ctx)); };
    if (a.k_transposed) {
        inputs.push_back(in(a.kt, {a.n_kv, a.hd_k, a.n_kv_head}));
        inputs.push_back(in(a.vt, {a.hd_v, a.n_kv, a.n_kv_head}));
    } else if (a.cache_layout) {
        inputs.push_back(in(a.kt, {a.hd_k * a.n_kv_head, n_ctx}, keys));
        inputs.push_back(in(a.vt, {n_ctx, a.hd_v * a.n_kv_head}));
    } else {
        inputs.push_back(in(a.kt, {a.hd_k, a.n_kv, a.n_kv_head}, keys));
        inputs.push_back(in(a.vt, {a.hd_v, a.n_kv, a.n_kv_head}));
    }
    const bool masked = a.mask != MaskKind::None;
    if (masked) inputs.push_back(in(T::F32, {a.n_kv + 3, a.n + 2}, attn_mask(a)));  // padded like a real mask
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / std::sqrt(float(a.hd_k));
    BuildFn build = [masked, scale](ggml::Context& c, const Ts& t) {
        return ggml::flash_attn(c, t[0], t[1], t[2], masked ? t[3] : nullptr, scale);
    };
    RefFn reference = [masked, scale](const Rs& r) { return ref::flash_attn(r[0], r[1], r[2], masked ? &r[3] : nullptr, scale); };
    ArgsFn args = [a, ks, vs, n_ctx](Layout& l, const As& in) {
        As r = in;
        r[0] = l.permute(in[0], 0, 2, 1, 3);  // [hd, n_head, n] -> [hd, n, n_head]
        if (a.k_transposed) r[1] = l.permute(in[1], 1, 0, 2, 3);
        if (a.cache_layout) {
            // keys: a cell's heads side by side in one row; values: a channel's cells side by side.
            r[1] = l.view(in[1], {a.hd_k, a.n_kv, a.n_kv_head}, {size_t(a.hd_k * a.n_kv_head) * ks, size_t(a.hd_k) * ks}, 0);
            const Arg vt = l.view(in[2], {a.n_kv, a.hd_v, a.n_kv_head}, {size_t(n_ctx) * vs, size_t(a.hd_v * n_ctx) * vs}, 0);
            r[2] = l.permute(vt, 1, 0, 2, 3);  // [hd_v, n_kv, n_kv_head], nb[0] = n_ctx * vs, nb[1] = vs
        }
        return r;
    };
    return make(name, std::move(inputs), build, reference, attn_tol(a), args);
}

// Values a block type stores exactly: per block of 32 along a row, a power-of-two-ish scale d (1..4 / 64,
// exact in f16) times integer codes, the block's first code the one of largest magnitude (so the quantizer
// picks d itself). Then quantizing loses nothing and the double reference needs no model of the format.
Gen block_exact(T bt) {
    const int lo = bt == T::Q8_0 ? -127 : bt == T::Q4_0 ? -8 : -16;  // codes lo+1 .. -lo-1 besides the first
    return [bt, lo](const int64_t i[4], Rng& r) {
        const uint64_t h = uint64_t(i[0] / 32) * 2654435761u + uint64_t(i[1]) * 40503u + uint64_t(i[2]) * 97u;
        const double d = double(1 + h % 4) / 64.0;
        if (i[0] % 32 == 0) return (bt == T::Q8_0 ? 127 : lo) * d;
        return std::floor(r.uniform(lo + 1, -lo - 1e-9)) * d;
    };
}

// Keys and values kept in a block type: f32 leaves of the cache's shape ([hd * n_kv_head, n_ctx], a
// cell's heads side by side) cast to the type, then read through the cache's views.
OpCase attn_block_case(const std::string& name, const Attn& a) {
    const int64_t n_ctx = std::max(a.n_ctx, a.n_kv);
    std::vector<InputSpec> inputs;
    inputs.push_back(in(T::F32, {a.hd_k, a.n_head, a.n}, uniform(-a.q_range, a.q_range)));
    inputs.push_back(in(T::F32, {a.hd_k * a.n_kv_head, n_ctx}, block_exact(a.kt)));
    inputs.push_back(in(T::F32, {a.hd_v * a.n_kv_head, n_ctx}, block_exact(a.vt)));
    inputs.push_back(in(T::F32, {a.n_kv + 3, a.n + 2}, attn_mask(a)));
    const float scale = 1.0f / std::sqrt(float(a.hd_k));
    BuildFn build = [a, scale](ggml::Context& c, const Ts& t) {
        ggml::Tensor* k = ggml::cast(c, t[1], a.kt);
        ggml::Tensor* v = ggml::cast(c, t[2], a.vt);
        k = ggml::view_3d(c, k, a.hd_k, a.n_kv, a.n_kv_head, k->nb[1], ggml::row_size(a.kt, a.hd_k), 0);
        v = ggml::view_3d(c, v, a.hd_v, a.n_kv, a.n_kv_head, v->nb[1], ggml::row_size(a.vt, a.hd_v), 0);
        return ggml::flash_attn(c, t[0], k, v, t[3], scale);
    };
    RefFn reference = [a, scale](const Rs& r) {
        auto cells = [&a](ref::Tensor t, int64_t hd) {
            t.ne[0] = hd, t.ne[1] = a.n_kv, t.ne[2] = a.n_kv_head;
            t.nb[2] = size_t(hd) * 4;
            return t;
        };
        const ref::Tensor k = cells(r[1], a.hd_k), v = cells(r[2], a.hd_v);
        return ref::flash_attn(r[0], k, v, &r[3], scale);
    };
    ArgsFn args = [](Layout& l, const As& in) {
        As r = in;
        r[0] = l.permute(in[0], 0, 2, 1, 3);  // [hd, n_head, n] -> [hd, n, n_head]
        return r;
    };
    OpCase c = make(name, std::move(inputs), build, reference, attn_tol(a), args);
    c.cpu_only = true;
    return c;
}

// Several sequences in one cache (flash_attn's kv_start): each token reads the n_kv cells from its
// sequence's first cell, of which the first used[t] are visible (the rest are hidden, as an idle
// sequence's tail is); seq_cells cells per sequence, the keys and values in the cache's row layout.
struct SeqAttn {
    T t = T::F16;
    int64_t hd = 64, n_head = 4, n_kv_head = 2, n_kv = 80, seq_cells = 96, n_seqs = 3;
    std::vector<double> start;  // per token: its sequence's first cell
    std::vector<int64_t> used;  // per token: cells it sees
};

OpCase attn_seq_case(const std::string& name, const SeqAttn& a) {
    const int64_t n = int64_t(a.start.size()), cells = a.seq_cells * a.n_seqs;
    std::vector<InputSpec> inputs;
    inputs.push_back(in(T::F32, {a.hd, a.n_head, n}, uniform(-2, 2)));
    // A block type's cells are f32 leaves of values it stores exactly, cast in the graph.
    const bool blocks = ggml::type_traits(a.t).quantized;
    const T leaf = blocks ? T::F32 : a.t;
    inputs.push_back(in(leaf, {a.hd * a.n_kv_head, cells}, blocks ? block_exact(a.t) : uniform(-1, 1)));
    inputs.push_back(in(leaf, {a.hd * a.n_kv_head, cells}, blocks ? block_exact(a.t) : uniform(-1, 1)));
    const std::vector<int64_t> used = a.used;
    inputs.push_back(in(T::F32, {a.n_kv, n}, [used](const int64_t i[4], Rng& r) {
        const double v = r.uniform(-1, 1);
        return i[0] < used[size_t(i[1])] ? v : -HUGE_VAL;
    }));
    inputs.push_back(in_values(T::I32, {n}, a.start));
    const float scale = 1.0f / std::sqrt(float(a.hd));
    BuildFn build = [a, cells, scale, blocks](ggml::Context& c, const Ts& t) {
        auto view = [&](ggml::Tensor* x) {
            if (blocks) x = ggml::cast(c, x, a.t);
            return ggml::view_3d(c, x, a.hd, cells, a.n_kv_head, x->nb[1], ggml::row_size(x->type, a.hd), 0);
        };
        return ggml::flash_attn(c, t[0], view(t[1]), view(t[2]), t[3], scale, t[4]);
    };
    RefFn reference = [a, cells, scale, leaf](const Rs& r) {
        auto view = [&](ref::Tensor x) {
            x.ne[0] = a.hd, x.ne[1] = cells, x.ne[2] = a.n_kv_head;
            x.nb[2] = size_t(a.hd) * ref::type_size(leaf);
            return x;
        };
        return ref::flash_attn(r[0], view(r[1]), view(r[2]), &r[3], scale, &r[4]);
    };
    ArgsFn args = [](Layout& l, const As& in) {
        As r = in;
        r[0] = l.permute(in[0], 0, 2, 1, 3);  // [hd, n_head, n] -> [hd, n, n_head]
        return r;
    };
    Attn like;
    like.n_kv = a.n_kv;
    OpCase c = make(name, std::move(inputs), build, reference, attn_tol(like), args);
    c.cpu_only = true;  // the Vulkan backend leaves kv_start to the CPU
    return c;
}

}  // namespace

void add_attention_cases(std::vector<OpCase>& out) {
    auto add = [&](const std::string& name, const Attn& a) { out.push_back(attn_case("flash_attn_" + name, a)); };
    for (T t : {T::F32, T::F16, T::BF16}) {
        const std::string p = tname(t) + "_";
        Attn a;
        a.kt = a.vt = t;

        // Decode: one token against a cache of 200 of 256 cells, 8 query heads on 2 KV heads.
        Attn d = a;
        d.hd_k = d.hd_v = 128, d.n = 1, d.n_head = 8, d.n_kv_head = 2, d.n_kv = 200;
        d.cache_layout = true, d.n_ctx = 256;
        add(p + "decode_gqa8x2_hd128_kv200_cache", d);

        // Prefill, plain layouts, as many KV heads as query heads.
        Attn s = a;
        s.hd_k = s.hd_v = 64, s.n = 7, s.n_head = 4, s.n_kv_head = 4, s.n_kv = 61;
        add(p + "prefill_n7_hd64_kv61_causal", s);

        // Prefill of 33 tokens, an odd head size, a long cache seen through a sliding window: whole tiles hidden.
        Attn w = a;
        w.hd_k = w.hd_v = 40, w.n = 33, w.n_head = 6, w.n_kv_head = 2, w.n_kv = 1000, w.q_range = 2.0;
        w.mask = MaskKind::Window, w.window = 100;
        w.cache_layout = true, w.n_ctx = 1024;
        add(p + "prefill_n33_gqa6x2_hd40_kv1000_window100_cache", w);

        // Causal prefill with one token whose mask hides everything (zeros), grouped heads, cache layout. The
        // token is the first of a block of 16 (a kernel must not decide from one row that a tile is hidden).
        Attn h = a;
        h.hd_k = h.hd_v = 128, h.n = 33, h.n_head = 8, h.n_kv_head = 2, h.n_kv = 200, h.q_range = 2.0;
        h.hidden_row = 16;
        h.cache_layout = true, h.n_ctx = 200;
        add(p + "prefill_n33_gqa8x2_hd128_kv200_row_hidden_cache", h);
    }

    // The quantized KV cache's block types, read in place: decode split along the cells, causal prefill of
    // grouped heads, a sliding window over a long cache, keys and values of different types.
    for (T t : {T::Q8_0, T::Q4_0, T::Q5_0}) {
        const std::string p = tname(t) + "_";
        Attn d;
        d.kt = d.vt = t, d.hd_k = d.hd_v = 64, d.n = 1, d.n_head = 8, d.n_kv_head = 2, d.n_kv = 1500, d.n_ctx = 1536;
        out.push_back(attn_block_case("flash_attn_" + p + "decode_gqa8x2_hd64_kv1500", d));
        Attn pf;
        pf.kt = pf.vt = t, pf.hd_k = pf.hd_v = 128, pf.n = 33, pf.n_head = 4, pf.n_kv_head = 1, pf.n_kv = 300;
        out.push_back(attn_block_case("flash_attn_" + p + "prefill_n33_gqa4x1_hd128_kv300", pf));
    }
    Attn wq;
    wq.kt = T::Q8_0, wq.vt = T::Q4_0, wq.hd_k = wq.hd_v = 256, wq.n = 9, wq.n_head = 4, wq.n_kv_head = 1, wq.n_kv = 1000;
    wq.mask = MaskKind::Window, wq.window = 200;
    out.push_back(attn_block_case("flash_attn_q8_0_q4_0_prefill_n9_gqa4x1_hd256_kv1000_window200", wq));

    // Several sequences: a prefill chunk of one beside single tokens of others (the token blocks must
    // split where the sequence changes), and decode tokens of two sequences deep enough to split the cells.
    SeqAttn mix;
    mix.start = {96, 96, 96, 96, 96, 0, 192, 192, 192};
    mix.used = {20, 21, 22, 23, 24, 77, 3, 4, 5};
    out.push_back(attn_seq_case("flash_attn_f16_seqs3_prefill_beside_decode_gqa4x2_hd64_kv80", mix));
    for (T t : {T::F32, T::Q8_0}) {
        SeqAttn deep;
        deep.t = t, deep.n_head = 8, deep.n_kv_head = 1, deep.n_kv = 1500, deep.seq_cells = 1536, deep.n_seqs = 2;
        deep.start = {1536, 0};
        deep.used = {1500, 1234};
        out.push_back(attn_seq_case("flash_attn_" + tname(t) + "_seqs2_decode_gqa8x1_hd64_kv1500", deep));
    }

    // Without a mask; a single cell; decode through a sliding window over a long cache.
    Attn nm;
    nm.kt = nm.vt = T::F32, nm.mask = MaskKind::None, nm.n = 7, nm.n_kv = 61;
    add("f32_nomask_n7_hd64_kv61", nm);
    Attn one;
    one.n = 1, one.n_kv = 1, one.n_head = 2, one.n_kv_head = 1, one.hd_k = one.hd_v = 64;
    add("f16_decode_kv1", one);
    Attn dw;
    dw.hd_k = dw.hd_v = 64, dw.n = 1, dw.n_head = 8, dw.n_kv_head = 2, dw.n_kv = 1000;
    dw.mask = MaskKind::Window, dw.window = 100, dw.cache_layout = true, dw.n_ctx = 1000;
    add("f16_decode_gqa8x2_hd64_kv1000_window100_cache", dw);

    // The runtime's masks, zeros and -inf: tiles all zeros (their scores take no mask pass) beside tiles
    // that hide some cells, in prefill and in decode through a window.
    Attn zc;
    zc.n = 40, zc.n_head = 8, zc.n_kv_head = 2, zc.n_kv = 300, zc.zero_open = true;
    add("f16_prefill_n40_gqa8x2_hd64_kv300_zero_mask", zc);
    Attn zw = dw;
    zw.zero_open = true;
    add("f16_decode_gqa8x2_hd64_kv1000_window100_cache_zero_mask", zw);

    // A window narrower than a tile: neighbouring tokens see different tiles.
    Attn nw;
    nw.kt = nw.vt = T::F32, nw.hd_k = nw.hd_v = 64, nw.n = 33, nw.n_head = 2, nw.n_kv_head = 1, nw.n_kv = 1000;
    nw.mask = MaskKind::Window, nw.window = 20, nw.q_range = 2.0;
    add("f32_prefill_n33_gqa2x1_hd64_kv1000_window20", nw);

    // Gemma's head size (256) with a sliding window, grouped heads, the cache layout.
    Attn g;
    g.hd_k = g.hd_v = 256, g.n = 7, g.n_head = 4, g.n_kv_head = 1, g.n_kv = 300, g.q_range = 2.0;
    g.mask = MaskKind::Window, g.window = 70, g.cache_layout = true, g.n_ctx = 320;
    add("f16_prefill_n7_gqa4x1_hd256_kv300_window70_cache", g);

    // Keys and values of different types and sizes.
    Attn mixed;
    mixed.kt = T::F16, mixed.vt = T::BF16, mixed.hd_k = 72, mixed.hd_v = 40, mixed.n = 7, mixed.n_head = 4,
    mixed.n_kv_head = 2, mixed.n_kv = 130;
    add("f16_bf16_prefill_n7_hdk72_hdv40_kv130", mixed);

    // Odd head sizes (16-bit rows not word-aligned), and keys whose elements are strided.
    Attn odd;
    odd.kt = odd.vt = T::BF16, odd.hd_k = odd.hd_v = 33, odd.n = 7, odd.n_head = 4, odd.n_kv_head = 2, odd.n_kv = 70;
    add("bf16_prefill_n7_hd33_kv70", odd);
    for (T t : {T::F32, T::F16}) {
        Attn kt = odd;
        kt.kt = kt.vt = t, kt.hd_k = kt.hd_v = 40, kt.k_transposed = true;
        add(tname(t) + "_prefill_n7_hd40_kv70_keys_transposed", kt);
    }

    // Scores far from zero (|scale q.k| up to ~100, exp(88) overflows a float): exp overflows unless the running maximum is subtracted,
    // and the maximum keeps growing from tile to tile (ascending keys), so every rescale matters.
    Attn big;
    big.kt = big.vt = T::F32, big.hd_k = big.hd_v = 64, big.n = 7, big.n_head = 2, big.n_kv_head = 2, big.n_kv = 500;
    big.q_range = 12.0, big.scale = 1.0f, big.growing_keys = true;
    add("f32_large_scores_n7_hd64_kv500", big);
}

}  // namespace optest
