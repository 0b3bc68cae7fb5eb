#version 450
// mul_mat for few columns (decode): dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k] for
// N <= MAX_N. One workgroup per output row m of a batch: its threads split the row into 8-element units
// (neighbouring threads read neighbouring bytes of a), each keeping one sum per column; the sums then meet
// in shared memory.
#include "common.glsl"
#include "dequant.glsl"

#define WG 128u
#define MAX_N 8u

layout(local_size_x = 128) in;

layout(push_constant) uniform Push {
    Tensor a;  // [K, M, a2, a3], rows contiguous
    Tensor b;  // [K, N, b2, b3] f32, any strides
    Tensor d;  // [M, N, b2, b3] f32
} p;

shared float red[MAX_N][WG];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint M = p.a.ne1, K = p.a.ne0, N = p.b.ne1;
    const uint g = group_index();
    if (g >= M * p.b.ne2 * p.b.ne3) return;  // the whole workgroup
    const uint m = g % M, batch = g / M;
    const uint i2 = batch % p.b.ne2, i3 = batch / p.b.ne2;
    const uint a2 = i2 / (p.b.ne2 / p.a.ne2), a3 = i3 / (p.b.ne3 / p.a.ne3);

    const uint arow = p.a.offset + m * p.a.nb1 + a2 * p.a.nb2 + a3 * p.a.nb3;
    const uint bmat = p.b.offset + i2 * p.b.nb2 + i3 * p.b.nb3;
    const uint bs = p.b.nb0;

    float acc[MAX_N];
    [[unroll]] for (uint n = 0u; n < MAX_N; n++) acc[n] = 0.0;

    const uint units = K / 8u;
    for (uint u = tid; u < units; u += WG) {
        const uint k = u * 8u;
        vec4 a0, a1;
        dequant8(arow, k, a0, a1);
        [[unroll]] for (uint n = 0u; n < MAX_N; n++) {
            if (n < N) {
                const uint bb = bmat + n * p.b.nb1 + k * bs;
                vec4 b0, b1;
                if (bs == 4u) {
                    const uint w = bb >> 2;
                    b0 = uintBitsToFloat(uvec4(src1[w], src1[w + 1u], src1[w + 2u], src1[w + 3u]));
                    b1 = uintBitsToFloat(uvec4(src1[w + 4u], src1[w + 5u], src1[w + 6u], src1[w + 7u]));
                } else {
                    [[unroll]] for (uint j = 0u; j < 4u; j++) {
                        b0[j] = LOAD_F32(src1, bb + j * bs);
                        b1[j] = LOAD_F32(src1, bb + (j + 4u) * bs);
                    }
                }
                acc[n] += dot(a0, b0) + dot(a1, b1);
            }
        }
    }
#if !A_QUANTIZED
    // The last K % 8 elements (block types have whole blocks of 32 or 256).
    for (uint k = units * 8u + tid; k < K; k += WG) {
        const float x = dequant1(arow, k);
        [[unroll]] for (uint n = 0u; n < MAX_N; n++)
            if (n < N) acc[n] += x * LOAD_F32(src1, bmat + n * p.b.nb1 + k * bs);
    }
#endif

    [[unroll]] for (uint n = 0u; n < MAX_N; n++) red[n][tid] = acc[n];
    barrier();
    [[unroll]] for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (tid < s) {
            [[unroll]] for (uint n = 0u; n < MAX_N; n++)
                if (n < N) red[n][tid] += red[n][tid + s];
        }
        barrier();
    }
    if (tid < N) store_f32(p.d.offset + m * p.d.nb0 + tid * p.d.nb1 + i2 * p.d.nb2 + i3 * p.d.nb3, red[tid][0]);
}
