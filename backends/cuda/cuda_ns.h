// The namespace of everything in the CUDA backend: ggml::cuda, or ggml::cuda_emu when the backend is
// compiled as C++ for the CPU emulation (-DGIRAFFE_CUDA_EMULATE, tests/cuda_emu), so that the emulated
// objects link beside a real backend's in one program.
#pragma once

#ifdef GIRAFFE_CUDA_EMULATE
#define GIRAFFE_CUDA_NS cuda_emu
#else
#define GIRAFFE_CUDA_NS cuda
#endif
