// Plain ARMv8 NEON quantized dot table (no SDOT: int8 products widened to int16 with SMULL / SMLAL and added
// pairwise). The kernels live in quant_dot_neon.inl, shared with the dotprod build. Compiled only on ARM.
#include "backends/cpu/quant_dot_neon.inl"

namespace ggml::cpu {

const QuantDotTable& quant_dot_table_neon() {
    static const QuantDotTable t = make_table();
    return t;
}

}  // namespace ggml::cpu
