// NEON quantized dot table for cores with the ARMv8.2 dot product extension: this file is compiled with
// +dotprod, so the shared kernels in quant_dot_neon.inl use SDOT (vdotq_s32). Selected only when the run-time
// probe finds it (features().neon_dotprod). Compiled only on ARM.
#if !defined(__ARM_FEATURE_DOTPROD)
#error "quant_dot_neon_dotprod.cpp must be compiled with dotprod enabled (-march=armv8.2-a+dotprod)"
#endif
#include "backends/cpu/quant_dot_neon.inl"

namespace ggml::cpu {

const QuantDotTable& quant_dot_table_neon_dotprod() {
    static const QuantDotTable t = make_table();
    return t;
}

}  // namespace ggml::cpu
