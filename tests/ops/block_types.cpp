// The block types' mul_mat and get_rows on a GPU backend (op_cases.h: check_block_types).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "ggml/alloc.h"
#include "ggml/quants.h"
#include "ggml/sched.h"
#include "ops/op_cases.h"

namespace optest {

// The op table's inputs are float types; the block types' mul_mat and get_rows are checked here, against
// a double-precision product of the same blocks decoded by the library's reference dequantizer.
void check_block_types(ggml::Backend* gpu, ggml::Backend* cpu) {
    using ggml::Type;
    Rng rng(11);
    const int64_t K = 512, M = 37;
    for (Type t : {Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q8_0, Type::Q2_K, Type::Q3_K, Type::Q4_K,
                   Type::Q5_K, Type::Q6_K}) {
        std::vector<float> wf(size_t(K * M)), wd(wf.size());
        for (float& v : wf) v = float(rng.uniform(-1, 1));
        std::vector<uint8_t> blocks(ggml::row_size(t, K) * size_t(M));
        ggml::quantize_rows(t, wf.data(), blocks.data(), M, K, 1);
        ggml::dequantize_rows(t, blocks.data(), wd.data(), M, K, 1);
        for (int64_t N : {1, 5, 70}) {
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
                ggml::tensor_set(w, blocks.data(), blocks.size());
                ggml::tensor_set(x, xf.data(), xf.size() * 4);
                ggml::tensor_set(idx, picks, sizeof picks);
                ggml::Scheduler s({gpu, cpu});
                s.compute(g);
                REQUIRE(s.backend_of(y) == gpu);
                REQUIRE(s.backend_of(rows) == gpu);
                std::vector<float> got(size_t(M * N)), got_rows(size_t(3 * K));
                ggml::tensor_get(y, got.data(), got.size() * 4);
                ggml::tensor_get(rows, got_rows.data(), got_rows.size() * 4);
                double max_ref = 0, max_err = 0;
                for (int64_t n = 0; n < N; n++)
                    for (int64_t m = 0; m < M; m++) {
                        double ref = 0;
                        for (int64_t k = 0; k < K; k++) ref += double(wd[size_t(m * K + k)]) * double(xf[size_t(n * K + k)]);
                        max_ref = std::max(max_ref, std::fabs(ref));
                        max_err = std::max(max_err, std::fabs(ref - double(got[size_t(n * M + m)])));
                    }
                INFO("max |err| / max |ref| = " << max_err / max_ref);
                CHECK(max_err <= 1e-5 * 2.83 * max_ref);  // the op table's mul_mat bound for this K
                for (int r = 0; r < 3; r++)
                    for (int64_t k = 0; k < K; k++)
                        REQUIRE(got_rows[size_t(r * K + k)] == wd[size_t(picks[r] * K + k)]);  // decoding is exact
            }
        }
    }
}

}  // namespace optest
