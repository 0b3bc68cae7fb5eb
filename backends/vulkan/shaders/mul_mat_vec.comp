#version 450
// mul_mat for few columns (decode): dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k] for
// N <= MAX_N. A workgroup computes ROWS output rows of one batch, LANES threads per row: the lanes of a row
// read its 8-element units side by side (neighbouring threads, neighbouring bytes of a), each keeping one sum
// per column, and the LANES sums of a row meet in shared memory. Few threads per row keep short rows (K of a
// few hundred) busy and the reduction to one step.
#include "common.glsl"
#include "dequant.glsl"

#define ROWS 8u
#define LANES 8u
#define MAX_N 8u

layout(local_size_x = 64) in;  // ROWS * LANES

layout(push_constant) uniform Push {
    Tensor a;  // [K, M, a2, a3], rows contiguous
    Tensor b;  // [K, N, b2, b3] f32, any strides
    Tensor d;  // [M, N, b2, b3] f32
} p;

shared float red[MAX_N][ROWS * LANES];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint row = tid / LANES, lane = tid % LANES;
    const uint M = p.a.ne1, K = p.a.ne0, N = p.b.ne1;
    const uint groups_per_batch = (M + ROWS - 1u) / ROWS;
    const uint g = group_index();
    if (g >= groups_per_batch * p.b.ne2 * p.b.ne3) return;  // the whole workgroup
    const uint m = (g % groups_per_batch) * ROWS + row, batch = g / groups_per_batch;
    const uint i2 = batch % p.b.ne2, i3 = batch / p.b.ne2;
    const uint a2 = i2 / (p.b.ne2 / p.a.ne2), a3 = i3 / (p.b.ne3 / p.a.ne3);

    const uint arow = p.a.offset + m * p.a.nb1 + a2 * p.a.nb2 + a3 * p.a.nb3;
    const uint bmat = p.b.offset + i2 * p.b.nb2 + i3 * p.b.nb3;
    const uint bs = p.b.nb0;

    float acc[MAX_N];
    [[unroll]] for (uint n = 0u; n < MAX_N; n++) acc[n] = 0.0;

    if (m < M) {
        const uint units = K / 8u;
        for (uint u = lane; u < units; u += LANES) {
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
        for (uint k = units * 8u + lane; k < K; k += LANES) {
            const float x = dequant1(arow, k);
            [[unroll]] for (uint n = 0u; n < MAX_N; n++)
                if (n < N) acc[n] += x * LOAD_F32(src1, bmat + n * p.b.nb1 + k * bs);
        }
#endif
    }

    [[unroll]] for (uint n = 0u; n < MAX_N; n++) red[n][tid] = acc[n];
    barrier();
    // Lane n of a row sums column n's LANES partial sums (MAX_N == LANES: one column per lane).
    if (m < M && lane < N) {
        float s = 0.0;
        [[unroll]] for (uint l = 0u; l < LANES; l++) s += red[lane][row * LANES + l];
        store_f32(p.d.offset + m * p.d.nb0 + lane * p.d.nb1 + i2 * p.d.nb2 + i3 * p.d.nb3, s);
    }
}
