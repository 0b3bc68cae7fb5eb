// The CUDA API the backend is written against, in one place: the toolkit's headers (the runtime API only
// for the backend's plain C++ files), or, with -DGIRAFFE_CUDA_EMULATE, the CPU emulation of
// tests/cuda_emu, which needs no CUDA headers and declares the same names in ggml::cuda_emu.
#pragma once
#include "backends/cuda/cuda_ns.h"

#if defined(GIRAFFE_CUDA_EMULATE)
#include "tests/cuda_emu/cuda_emu.h"
#elif defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>
#else
#include <cuda_runtime_api.h>
#endif
