// AVX-512 quantized kernels: the x86 kernels of quant_dot_x86.inl with AVX512-VNNI (vpdpbusd, on 256-bit
// vectors through AVX512VL) for the u8 x s8 four-product sums. Selected only when features().avx512_vnni;
// AVX-512 parts without VNNI use the AVX2 table. Not executed on machines without AVX-512.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "backends/cpu/gemm.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "ggml/quants.h"

#define QD_VNNI 1
namespace ggml::cpu {
#include "backends/cpu/quant_dot_x86.inl"

const QuantDotTable& quant_dot_table_avx512() {
    static const QuantDotTable t = make_table();
    return t;
}
}  // namespace ggml::cpu
