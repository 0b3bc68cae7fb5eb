// Table cases for mul_mat: every weight type, odd sizes, N = 1, grouped-query broadcasting, non-contiguous
// activations and weight views.
#include <cmath>

#include "ops/case_helpers.h"

namespace optest {

namespace {

// Weights decode exactly, so only float accumulation error remains: it grows with sqrt(K).
Tolerance mm_tol(int64_t K) { return Tolerance{1e-5 * std::max(1.0, std::sqrt(double(K)) / 8.0), 0}; }

ggml::Tensor* build_mm(ggml::Context& c, const Ts& t) { return ggml::mul_mat(c, t[0], t[1]); }
ref::Result ref_mm(const Rs& r) { return ref::mul_mat(r[0], r[1]); }

}  // namespace

void add_mul_mat_cases(std::vector<OpCase>& out) {
    for (T w : {T::F32, T::F16, T::BF16}) {
        const std::string p = "mul_mat_" + tname(w);
        auto add = [&](const std::string& suffix, int64_t K, std::vector<InputSpec> inputs, ArgsFn args = nullptr) {
            out.push_back(make(p + "_" + suffix, std::move(inputs), build_mm, ref_mm, mm_tol(K), std::move(args)));
        };
        add("k67_m33_n7", 67, {in(w, {67, 33}), in(T::F32, {67, 7})});
        add("k130_m65_n1", 130, {in(w, {130, 65}), in(T::F32, {130, 1})});
        add("k1_m5_n3", 1, {in(w, {1, 5}), in(T::F32, {1, 3})});
        add("k64_m1_n9", 64, {in(w, {64, 1}), in(T::F32, {64, 9})});
        add("k96_m130_n64", 96, {in(w, {96, 130}), in(T::F32, {96, 64})});
        add("k1024_m64_n17", 1024, {in(w, {1024, 64}), in(T::F32, {1024, 17})});
        add("k4096_m16_n2", 4096, {in(w, {4096, 16}), in(T::F32, {4096, 2})});
        // Grouped-query attention: 2 KV heads shared by 6 query heads.
        add("gqa_k64_m9_n5_a2_b6", 64, {in(w, {64, 9, 2}), in(T::F32, {64, 5, 6})});
        add("decode_gqa_k64_m37_n8_a3_b3", 64, {in(w, {64, 37, 3}), in(T::F32, {64, 8, 3})});  // 8 rows: m-major split
        // Decode attention on f16 caches: scores of 16-cell blocks (a tail of 13 cells, 4 and 8 query rows,
        // keys of 2 heads interleaved per cell as in the cache) and the value product's block dots (rows
        // longer than 512, a length that is no multiple of 16, 66 rows: a tile tail).
        add("decode_scores_k32_m45_n4_a2_b2", 32, {in(w, {32, 45, 2}), in(T::F32, {32, 4, 2})});
        add("decode_scores_cache_view_k64_m61_n8", 64, {in(w, {128, 61}), in(T::F32, {64, 8, 2})},
            [w](Layout& l, const As& a) {
                const size_t es = ref::type_size(w);
                return As{l.view(a[0], {64, 61, 2}, {128 * es, 64 * es}, 0), a[1]};
            });
        add("decode_values_k1000_m66_n8_a2_b2", 1000, {in(w, {1000, 66, 2}), in(T::F32, {1000, 8, 2})});
        add("decode_values_k600_m9_n3", 600, {in(w, {600, 9}), in(T::F32, {600, 3})});
        add("batch_k33_m7_n5_a3x2_b3x2", 33, {in(w, {33, 7, 3, 2}), in(T::F32, {33, 5, 3, 2})});
        add("broadcast_dim3_k33_m7_n5_a1x1_b3x2", 33, {in(w, {33, 7, 1, 1}), in(T::F32, {33, 5, 3, 2})});
        add("broadcast_k33_m7_n5_a2x1_b4x3", 33, {in(w, {33, 7, 2, 1}), in(T::F32, {33, 5, 4, 3})});
        // Transposed activations (b's rows are strided).
        add("transposed_b_k67_m33_n7", 67, {in(w, {67, 33}), in(T::F32, {7, 67})},
            [](Layout& l, const As& a) { return As{a[0], l.transpose(a[1])}; });
        // Attention scores: queries [hd, heads, tokens] permuted to [hd, tokens, heads] against a KV-cache view
        // (9 of 16 cells, 2 KV heads).
        add("attn_kq_cache_view_gqa_k64_m9_n5", 64, {in(w, {64, 16, 2}), in(T::F32, {64, 6, 5})},
            [w](Layout& l, const As& a) {
                const size_t es = ref::type_size(w);
                Arg k = l.view(a[0], {64, 9, 2}, {64 * es, 64 * 16 * es}, 0);
                return As{k, l.permute(a[1], 0, 2, 1, 3)};
            });
        // A sub-block of a larger weight (row stride larger than the row) at an offset.
        add("row_view_a_k33_m7_n3", 33, {in(w, {40, 9}), in(T::F32, {33, 3})}, [w](Layout& l, const As& a) {
            const size_t es = ref::type_size(w);
            return As{l.view(a[0], {33, 7}, {40 * es}, 40 * es + 4 * es), a[1]};
        });
        // The same shapes with more than 8 columns (prefill kernels): grouped-query broadcasting, strided
        // columns over two column tiles, a row view over two row tiles.
        add("gqa_k64_m9_n12_a2_b6", 64, {in(w, {64, 9, 2}), in(T::F32, {64, 12, 6})});
        add("transposed_b_k67_m33_n70", 67, {in(w, {67, 33}), in(T::F32, {70, 67})},
            [](Layout& l, const As& a) { return As{a[0], l.transpose(a[1])}; });
        // Columns of different magnitudes (2^-3 .. 2^3), and values past f16's range (a 16-bit product
        // must scale each column).
        add("column_scales_k64_m9_n12_b2", 64,
            {in(w, {64, 9, 2}), in(T::F32, {64, 12, 2}, [](const int64_t* i, Rng& r) {
                 return r.uniform(-1, 1) * std::ldexp(1.0, int((i[1] + 3 * i[2]) % 7) - 3);
             })});
        add("large_k64_m9_n12", 64, {in(w, {64, 9}), in(T::F32, {64, 12}, uniform(-3e5, 3e5))});
        add("row_view_a_k33_m70_n10", 33, {in(w, {40, 72}), in(T::F32, {33, 10})}, [w](Layout& l, const As& a) {
            const size_t es = ref::type_size(w);
            return As{l.view(a[0], {33, 70}, {40 * es}, 40 * es + 4 * es), a[1]};
        });
    }
    // Tensors over 128 MiB (lavapipe's maxStorageBufferRange): a backend that binds a limited range must split
    // a over its rows, b and dst over columns. A weight of 134.3 MB against 2 columns (decode) and against 9
    // (prefill tiles); b of 139 MB; dst of 138 MB.
    auto big = [&](const std::string& name, int64_t K, std::vector<InputSpec> inputs) {
        out.push_back(make("mul_mat_big_" + name, std::move(inputs), build_mm, ref_mm, mm_tol(K)));
    };
    big("a_f32_k4096_m8200_n2", 4096, {in(T::F32, {4096, 8200}), in(T::F32, {4096, 2})});
    big("a_f32_k4096_m8200_n9", 4096, {in(T::F32, {4096, 8200}), in(T::F32, {4096, 9})});
    big("b_f32_k1024_m3_n34000", 1024, {in(T::F32, {1024, 3}), in(T::F32, {1024, 34000})});
    big("dst_f32_k8_m4200_n8200", 8, {in(T::F32, {8, 4200}), in(T::F32, {8, 8200})});
}

}  // namespace optest
