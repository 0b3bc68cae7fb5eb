// Whole pages of a read-only file mapping that a reader is done with: the kernel may drop them (they are
// read from the file again if touched), so a program that streams once through a mapped file keeps its
// resident memory small.
#pragma once
#include <cstddef>
#include <cstdint>

#include <sys/mman.h>
#include <unistd.h>

namespace ggml {

inline void drop_mapped_pages(const void* p, size_t n) {
    const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    const uintptr_t lo = (uintptr_t(p) + page - 1) / page * page, hi = (uintptr_t(p) + n) / page * page;
    if (lo < hi) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);  // advice: failure costs only memory
}

}  // namespace ggml
