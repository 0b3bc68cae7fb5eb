// get_rows: dst[i3][i2][j] = a[i3][i2][idx[i3][i2][j]] decoded to f32 (embedding lookup), for every weight
// type. One 128-thread block per output row (a grid-stride loop over the rows); its threads decode the row's
// 8-element chunks side by side with dequant8 (float rows with strided elements: one element each). An index
// outside 0 .. a.ne1-1 gives a row of NaN (the CPU throws; a kernel cannot).
#include <algorithm>
#include <stdexcept>

#include "backends/cuda/common.cuh"
#include "backends/cuda/dequant.cuh"

namespace ggml::GIRAFFE_CUDA_NS {

bool weight_type_supported(Type t) { return is_weight_type(uint32_t(t)); }

namespace {

constexpr int kThreads = 128;

// Eight f32 values to dst elements at p, element stride s bytes.
__device__ __forceinline__ void store8(char* p, int64_t s, const float v[8]) {
    if (s == 4 && (reinterpret_cast<uintptr_t>(p) & 15u) == 0) {
        reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
        reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
        return;
    }
#pragma unroll
    for (int j = 0; j < 8; j++) *reinterpret_cast<float*>(p + j * s) = v[j];
}

// a [ne0, R, a2, a3], idx i32 [n, a2, a3], d f32 [ne0, n, a2, a3].
template <uint32_t T>
__global__ void __launch_bounds__(kThreads) get_rows_kernel(TensorDesc a, TensorDesc idx, TensorDesc d) {
    const int64_t n = d.ne[1], rows = d.nrows(), ne0 = a.ne[0];
    constexpr bool kBlockType = TypeInfo<T>::kBlock > 1;
    // Block types' rows are contiguous whole blocks; a float row takes the chunked path when contiguous.
    const bool chunks = kBlockType || a.nb[0] == TypeInfo<T>::kBytes;
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const int64_t j = r % n, i2 = (r / n) % d.ne[2], i3 = r / (n * d.ne[2]);
        const int32_t src = *reinterpret_cast<const int32_t*>(idx.data + j * idx.nb[0] + i2 * idx.nb[1] + i3 * idx.nb[2]);
        char* drow = d.data + j * d.nb[1] + i2 * d.nb[2] + i3 * d.nb[3];
        if (src < 0 || src >= a.ne[1]) {
            for (int64_t e = threadIdx.x; e < ne0; e += kThreads)
                *reinterpret_cast<float*>(drow + e * d.nb[0]) = __int_as_float(0x7FC00000);
            continue;
        }
        const char* arow = a.data + src * a.nb[1] + i2 * a.nb[2] + i3 * a.nb[3];
        int64_t done = 0;  // elements written by the chunked path
        if (chunks) {
            const int64_t units = ne0 / 8;
            for (int64_t u = threadIdx.x; u < units; u += kThreads) {
                float v[8];
                dequant8<T>(arow, u * 8, v);
                store8(drow + u * 8 * d.nb[0], d.nb[0], v);
            }
            done = units * 8;
        }
        if constexpr (!kBlockType)  // the tail of a contiguous float row, or all of a strided one
            for (int64_t e = done + threadIdx.x; e < ne0; e += kThreads)
                *reinterpret_cast<float*>(drow + e * d.nb[0]) = load_float(T, arow + e * a.nb[0]);
    }
}

}  // namespace

void op_get_rows(const OpContext& c, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* idx = dst->src[1];
    if (!weight_type_supported(a->type) || idx->type != Type::I32 || dst->type != Type::F32)
        throw std::logic_error("cuda get_rows: unsupported types");
    const TensorDesc da = desc(a), di = desc(idx), dd = desc(dst);
    const int64_t rows = dd.nrows();
    if (rows == 0 || dd.ne[0] == 0) return;
    const unsigned grid = unsigned(std::min<int64_t>(rows, 0x7FFFFFFF));
    with_weight_type(da.type, [&](auto tag) {
        constexpr uint32_t T = decltype(tag)::value;
        if (TypeInfo<T>::kBlock > 1 && (da.nb[0] != TypeInfo<T>::kBytes || da.ne[0] % TypeInfo<T>::kBlock))
            throw std::logic_error("cuda get_rows: a block-type a needs contiguous rows of whole blocks");
        launch_kernel(get_rows_kernel<T>, grid, kThreads, 0, c.stream, da, di, dd);
    });
    check_launch("get_rows");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
