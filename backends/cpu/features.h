// The one-time CPU feature probe that picks SIMD kernels at run time (the only global state we keep).
#pragma once

namespace ggml::cpu {

struct Features {
    bool avx2 = false;     // with FMA and F16C
    bool avx512 = false;   // F, BW, VL, DQ
    bool avx512_vnni = false;
    bool avx512_bf16 = false;
    bool neon = false;
    bool neon_dotprod = false;  // SDOT/UDOT (ARMv8.2 dotprod), probed at run time
};
const Features& features();
// Caps the dispatch level (for tests comparing SIMD paths with the scalar ones): "scalar", "avx2",
// "avx512", "neon" (without dotprod), "dotprod" or "" for the best available. Also read once from the environment variable GIRAFFE_SIMD.
void force_simd_level(const char* level);
const char* simd_level_name();  // the level in use, e.g. "avx2"

}  // namespace ggml::cpu
