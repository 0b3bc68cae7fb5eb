// Matrix-level quantize / dequantize over the type table, parallel over rows.
#include "ggml/quants.h"

#include "ggml/threads.h"

namespace ggml {

size_t quant_row_size(Type t, int64_t n) {
    const TypeTraits& tt = type_traits(t);
    if (!tt.name || tt.block_size <= 0 || n % tt.block_size != 0) return 0;
    return size_t(n / tt.block_size) * tt.block_bytes;
}

size_t quantize_rows(Type t, const float* src, void* dst, int64_t n_rows, int64_t n_per_row, int n_threads) {
    const TypeTraits& tt = type_traits(t);
    if (!tt.from_float || n_rows < 0 || n_per_row <= 0 || n_per_row % tt.block_size != 0) return 0;
    const size_t rs = quant_row_size(t, n_per_row);
    const FromFloatFn fn = tt.from_float;
    uint8_t* out = static_cast<uint8_t*>(dst);
    ggml::parallel_for(n_rows, n_threads > 0 ? n_threads : ggml::default_threads(),
                       [&](int64_t r) { fn(src + r * n_per_row, out + size_t(r) * rs, n_per_row); });
    return rs * size_t(n_rows);
}

size_t dequantize_rows(Type t, const void* src, float* dst, int64_t n_rows, int64_t n_per_row, int n_threads) {
    const TypeTraits& tt = type_traits(t);
    if (!tt.to_float || n_rows < 0 || n_per_row <= 0 || n_per_row % tt.block_size != 0) return 0;
    const size_t rs = quant_row_size(t, n_per_row);
    const ToFloatFn fn = tt.to_float;
    const uint8_t* in = static_cast<const uint8_t*>(src);
    ggml::parallel_for_static(n_rows, n_threads > 0 ? n_threads : ggml::default_threads(),
                              [&](int64_t r) { fn(in + size_t(r) * rs, dst + r * n_per_row, n_per_row); });
    return rs * size_t(n_rows);
}

}  // namespace ggml
