# Cross build for 64-bit ARM Linux on an x86 Debian host (g++-aarch64-linux-gnu, qemu-user):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# scripts/test-aarch64.sh builds with it and runs the tests under qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# ctest runs each add_test() program through this, and tests/CMakeLists.txt puts it in front of the
# programs the tests spawn (giraffe, simple): without binfmt_misc the host cannot exec an ARM binary.
# -L: where qemu finds the ARM dynamic loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)

# Libraries and headers come from the ARM root only, so no x86 library (Vulkan loader, OpenBLAS) is
# picked up; that also leaves the Vulkan backend off. CMake packages may come from the host too: Catch2 v2
# and nlohmann-json are header-only, installed once under /usr.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(GIRAFFE_VULKAN OFF CACHE STRING "Build the Vulkan backend: ON, OFF or AUTO")

# Header-only host headers (Catch2, nlohmann, stb) are searched after the ARM C/C++ headers, never before
# them. The compiler check then lists /usr/include as a built-in directory, so CMake does not pass the
# packages' include directory /usr/include as -isystem, which would put the x86 glibc headers first.
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include")
set(CMAKE_CXX_FLAGS_INIT "-idirafter /usr/include")

# pkg-config looks at ARM .pc files only: Debian's cpp-httplib is a compiled x86 library, so
# `giraffe serve` is left out of the ARM build (examples/CMakeLists.txt handles that).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/aarch64-linux-gnu/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
