// The block types' mul_mat and get_rows on a GPU backend (op_cases.h: check_block_types).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "backends/cpu/quant_dot.h"
#include "ggml/alloc.h"
#include "ggml/quants.h"
#include "ggml/sched.h"
#include "ops/op_cases.h"

namespace optest {

namespace {

// x (columns of K values) as the backend multiplies it: as it is, or quantized to 8 bits per 32 values as
// the CPU's Q8_0 activations are (int8), and decoded.
std::vector<float> as_multiplied(const std::vector<float>& x, int64_t K, bool int8) {
    if (!int8) return x;
    std::vector<ggml::block_q8_0> q(size_t(K / 32));
    std::vector<float> out(x.size());
    for (size_t c = 0; c < x.size(); c += size_t(K)) {
        ggml::cpu::quantize_act_q8_0_ref(x.data() + c, q.data(), K);
        ggml::dequantize_rows(ggml::Type::Q8_0, q.data(), out.data() + c, 1, K, 1);
    }
    return out;
}

// max |got - ref| / max |ref| for got = w x (M rows of K decoded weights, per batch b the matrix b / rep
// of w against columns b of x, N columns of K each).
double relative_error(const std::vector<float>& wd, const std::vector<float>& xq, const std::vector<float>& got,
                      int64_t K, int64_t M, int64_t N, int64_t batches, int64_t rep) {
    double max_ref = 0, max_err = 0;
    for (int64_t b = 0; b < batches; b++)
        for (int64_t n = 0; n < N; n++)
            for (int64_t m = 0; m < M; m++) {
                const float* wr = wd.data() + ((b / rep) * M + m) * K;
                const float* xr = xq.data() + (b * N + n) * K;
                double ref = 0;
                for (int64_t k = 0; k < K; k++) ref += double(wr[k]) * double(xr[k]);
                max_ref = std::max(max_ref, std::fabs(ref));
                max_err = std::max(max_err, std::fabs(ref - double(got[size_t((b * N + n) * M + m)])));
            }
    return max_err / max_ref;
}

}  // namespace

// The op table's inputs are float types; the block types' mul_mat and get_rows are checked here, against
// a double-precision product of the same blocks decoded by the library's reference dequantizer.
void check_block_types(ggml::Backend* gpu, ggml::Backend* cpu, bool int8_activations) {
    using ggml::Type;
    Rng rng(11);
    const int64_t M = 37;
    for (Type t : {Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q8_0, Type::Q2_K, Type::Q3_K, Type::Q4_K,
                   Type::Q5_K, Type::Q6_K}) {
        // 15 blocks of 32 (a K no multiple of 128) or 2 of 256
        const int64_t K = ggml::type_traits(t).block_size == 32 ? 480 : 512;
        const double bound = 1e-5 * std::sqrt(double(K)) / 8;  // the op table's mul_mat bound for this K
        std::vector<float> wf(size_t(K * M * 2)), wd(wf.size());
        for (float& v : wf) v = float(rng.uniform(-1, 1));
        std::vector<uint8_t> blocks(ggml::row_size(t, K) * size_t(M * 2));
        ggml::quantize_rows(t, wf.data(), blocks.data(), M * 2, K, 1);
        ggml::dequantize_rows(t, blocks.data(), wd.data(), M * 2, K, 1);
        for (int64_t N : {1, 5, 8, 70}) {
            DYNAMIC_SECTION(ggml::type_name(t) << " N=" << N) {
                ggml::Context ctx;
                ggml::Tensor* w = ctx.new_tensor(t, {K, M});
                ggml::Tensor* x = ctx.new_tensor(Type::F32, {K, N});
                ggml::Tensor* idx = ctx.new_tensor(Type::I32, {3});
                ggml::Tensor* y = ggml::mul_mat(ctx, w, x);
                ggml::Tensor* rows = ggml::get_rows(ctx, w, idx);
                ggml::Graph g = ggml::build_graph({y, rows});
                auto buf = ggml::alloc_ctx_tensors(*gpu, ctx);
                std::vector<float> xf(size_t(K * N));
                for (float& v : xf) v = float(rng.uniform(-1, 1));
                const int32_t picks[3] = {int32_t(M - 1), 0, 17};
                ggml::tensor_set(w, blocks.data(), blocks.size() / 2);
                ggml::tensor_set(x, xf.data(), xf.size() * 4);
                ggml::tensor_set(idx, picks, sizeof picks);
                ggml::Scheduler s({gpu, cpu});
                s.compute(g);
                REQUIRE(s.backend_of(y) == gpu);
                REQUIRE(s.backend_of(rows) == gpu);
                std::vector<float> got(size_t(M * N)), got_rows(size_t(3 * K));
                ggml::tensor_get(y, got.data(), got.size() * 4);
                ggml::tensor_get(rows, got_rows.data(), got_rows.size() * 4);
                const double err = relative_error(wd, as_multiplied(xf, K, int8_activations), got, K, M, N, 1, 1);
                INFO("max |err| / max |ref| = " << err);
                CHECK(err <= bound);
                for (int r = 0; r < 3; r++)
                    for (int64_t k = 0; k < K; k++)
                        REQUIRE(got_rows[size_t(r * K + k)] == wd[size_t(picks[r] * K + k)]);  // decoding is exact
            }
        }
        // Two weight matrices shared by six batches of activations (grouped-query attention over a quantized
        // cache), the activations' values strided: x is the transpose of a [K][3 * 6] tensor.
        DYNAMIC_SECTION(ggml::type_name(t) << " broadcast, strided columns") {
            const int64_t N = 3, B = 6;
            ggml::Context ctx;
            ggml::Tensor* w = ctx.new_tensor(t, {K, M, 2});
            ggml::Tensor* xs = ctx.new_tensor(Type::F32, {N, B, K});
            ggml::Tensor* y = ggml::mul_mat(ctx, w, ggml::permute(ctx, xs, 1, 2, 0, 3));  // [K, N, B], K strided
            ggml::Graph g = ggml::build_graph({y});
            auto buf = ggml::alloc_ctx_tensors(*gpu, ctx);
            std::vector<float> xsf(size_t(N * B * K)), xf(xsf.size());
            for (float& v : xsf) v = float(rng.uniform(-1, 1));
            for (int64_t b = 0; b < B; b++)
                for (int64_t n = 0; n < N; n++)
                    for (int64_t k = 0; k < K; k++) xf[size_t((b * N + n) * K + k)] = xsf[size_t(n + N * b + N * B * k)];
            ggml::tensor_set(w, blocks.data(), blocks.size());
            ggml::tensor_set(xs, xsf.data(), xsf.size() * 4);
            ggml::Scheduler s({gpu, cpu});
            s.compute(g);
            REQUIRE(s.backend_of(y) == gpu);
            std::vector<float> got(size_t(M * N * B));
            ggml::tensor_get(y, got.data(), got.size() * 4);
            const double err = relative_error(wd, as_multiplied(xf, K, int8_activations), got,
                                              K, M, N, B, B / 2);
            INFO("max |err| / max |ref| = " << err);
            CHECK(err <= bound);
        }
    }
}

}  // namespace optest
