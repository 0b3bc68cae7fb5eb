// Shared plumbing for the CPU op files: row addressing, thread splitting, and rows read as f32.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backends/cpu/ops/ops.h"
#include "backends/cpu/vec.h"
#include "ggml/threads.h"

namespace ggml::cpu {

inline char* row_ptr(const Tensor* t, int64_t i1, int64_t i2, int64_t i3) {
    return static_cast<char*>(t->data) + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
}
inline float* f32_row(const Tensor* t, int64_t i1, int64_t i2, int64_t i3) {
    return reinterpret_cast<float*>(row_ptr(t, i1, i2, i3));
}
inline bool rows_contiguous(const Tensor* t) { return t->nb[0] == type_traits(t->type).block_bytes; }

// Threads worth using for `work` scalar operations: small ops stay on one thread, where a fork would
// cost more than it saves.
inline int threads_for(int64_t work, int n_threads) {
    const int64_t per_thread = 16384;
    return int(std::max<int64_t>(1, std::min<int64_t>(n_threads, work / per_thread + 1)));
}

// Calls fn(i1, i2, i3, scratch) for every row of t, split across threads in contiguous chunks; scratch
// is a per-thread array of `scratch_floats` floats.
template <class Fn>
void for_each_row(const Tensor* t, int n_threads, Fn&& fn, size_t scratch_floats = 0) {
    const int64_t nr = t->nrows();
    auto rows = [&](int64_t r0, int64_t r1, float* scratch) {
        for (int64_t ir = r0; ir < r1; ir++) {
            const int64_t i1 = ir % t->ne[1], i2 = ir / t->ne[1] % t->ne[2], i3 = ir / (t->ne[1] * t->ne[2]);
            fn(i1, i2, i3, scratch);
        }
    };
    const int nth = threads_for(t->nelements(), n_threads);
    if (nth == 1) {
        // No region: a one-thread OpenMP region and a fresh scratch cost ~0.5 us, the whole of a small op at
        // decode (Gemma 3 270M runs ~20 of them per layer and token).
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
        rows(0, nr, scratch.data());
        return;
    }
    ggml::parallel_run(nth, [&](int ith, int n) {
        std::vector<float> scratch(scratch_floats);
        const int64_t per = (nr + n - 1) / n;
        const int64_t r0 = per * ith;
        rows(r0, std::min(nr, r0 + per), scratch.data());
    });
}

// Converts n elements of type `from` at src (element stride `stride` bytes) to f32.
void load_f32(Type from, const char* src, size_t stride, int64_t n, float* dst);
// Converts n f32 values to type `to` at dst (element stride `stride` bytes).
void store_f32(Type to, const float* src, int64_t n, char* dst, size_t stride);

// A row of a float tensor as contiguous f32: the row itself when it already is, else a converted copy
// in scratch (which must hold ne[0] floats).
inline const float* f32_row_view(const Tensor* t, int64_t i1, int64_t i2, int64_t i3, float* scratch) {
    const char* p = row_ptr(t, i1, i2, i3);
    if (t->type == Type::F32 && t->nb[0] == sizeof(float)) return reinterpret_cast<const float*>(p);
    load_f32(t->type, p, t->nb[0], t->ne[0], scratch);
    return scratch;
}

// For ops mapping each f32 row of src[0] to the same row of dst (contiguous f32):
// fn(out, in, n) with `in` contiguous.
template <class Fn>
void map_rows(Tensor* dst, const OpContext& ctx, Fn&& fn) {
    const Tensor* a = dst->src[0];
    const int64_t n = dst->ne[0];
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float* scratch) {
        fn(f32_row(dst, i1, i2, i3), f32_row_view(a, i1, i2, i3, scratch), n);
    }, size_t(n));
}

}  // namespace ggml::cpu
