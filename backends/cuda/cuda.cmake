# Included from the top CMakeLists.txt once the CUDA language is enabled. The CUDA backend: host code in
# C++ (cuda_backend.cpp) and one .cu per op, compiled for GIRAFFE_CUDA_ARCHITECTURES and linked with the
# static CUDA runtime, so a program built with it needs only the NVIDIA driver where it runs.
find_package(CUDAToolkit REQUIRED)
set(CUDA_DIR ${CMAKE_SOURCE_DIR}/backends/cuda)
file(GLOB CUDA_SOURCES CONFIGURE_DEPENDS ${CUDA_DIR}/*.cu ${CUDA_DIR}/*.cpp)
target_sources(ggml PRIVATE ${CUDA_SOURCES})
set_target_properties(ggml PROPERTIES CUDA_ARCHITECTURES "${GIRAFFE_CUDA_ARCHITECTURES}")
target_compile_options(ggml PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
target_link_libraries(ggml PUBLIC CUDA::cudart_static)
target_compile_definitions(ggml PUBLIC GIRAFFE_CUDA=1)
