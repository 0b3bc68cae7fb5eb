// AVX2 quantized kernels (u8 x s8 products with maddubs + madd): the table for SimdLevel::Avx2, also used
// on AVX-512 parts without VNNI. The kernels themselves are in quant_dot_x86.inl.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "backends/cpu/gemm.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "ggml/quants.h"

#define QD_VNNI 0
namespace ggml::cpu {
#include "backends/cpu/quant_dot_x86.inl"

const QuantDotTable& quant_dot_table_avx2() {
    static const QuantDotTable t = make_table();
    return t;
}
}  // namespace ggml::cpu
