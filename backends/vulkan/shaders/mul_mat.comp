#version 450
// mul_mat for many columns (prefill): dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k].
// A workgroup computes a BM x BN tile of one batch (gl_WorkGroupID = (m tile, n tile, batch)). For each
// BK-slice of K it decodes a BM x BK tile of a and loads a BK x BN tile of b into shared memory, then each
// thread accumulates a TM x TN block of outputs in registers (rows tm + 16 i, columns tn + 16 j: neighbouring
// threads read neighbouring shared words and write neighbouring dst elements).
#include "common.glsl"
#include "dequant.glsl"

#define BM 64u
#define BN 64u
#define BK 32u
#define TM 4u
#define TN 4u
#define WG 256u  // (BM / TM) * (BN / TN)
#define PAD 1u

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;  // [K, M, a2, a3], rows contiguous
    Tensor b;  // [K, N, b2, b3] f32, any strides
    Tensor d;  // [M, N, b2, b3] f32
} p;

shared float as[BK * (BM + PAD)];  // as[k * (BM + PAD) + m]
shared float bs[BK * (BN + PAD)];  // bs[k * (BN + PAD) + n]

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint K = p.a.ne0, M = p.a.ne1, N = p.b.ne1;
    const uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
    const uint batch = gl_WorkGroupID.z;
    const uint i2 = batch % p.b.ne2, i3 = batch / p.b.ne2;
    const uint a2 = i2 / (p.b.ne2 / p.a.ne2), a3 = i3 / (p.b.ne3 / p.a.ne3);
    const uint amat = p.a.offset + a2 * p.a.nb2 + a3 * p.a.nb3;
    const uint bmat = p.b.offset + i2 * p.b.nb2 + i3 * p.b.nb3;

    // This thread's share of the a tile: row lr, 8-element unit lu of the BK slice (BM * BK / 8 == WG).
    const uint lr = tid / (BK / 8u), lu = tid % (BK / 8u);
    const bool arow_ok = m0 + lr < M;
    const uint arow = amat + (m0 + lr) * p.a.nb1;
    // Its share of the b tile: k offset lk, columns ln + 8 j (BK * BN / WG == 8 elements).
    const uint lk = tid % BK, ln = tid / BK;

    const uint tm = tid % (BM / TM), tn = tid / (BM / TM);
    float acc[TM][TN];
    [[unroll]] for (uint i = 0u; i < TM; i++)
        [[unroll]] for (uint j = 0u; j < TN; j++) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < K; k0 += BK) {
        // a: 8 consecutive k of one row, decoded
        {
            const uint k = k0 + lu * 8u;
            vec4 v0 = vec4(0.0), v1 = vec4(0.0);
            if (arow_ok) {
                if (k + 8u <= K) {
                    dequant8(arow, k, v0, v1);
                } else {
#if !A_QUANTIZED
                    [[unroll]] for (uint j = 0u; j < 4u; j++) {
                        if (k + j < K) v0[j] = dequant1(arow, k + j);
                        if (k + 4u + j < K) v1[j] = dequant1(arow, k + 4u + j);
                    }
#endif
                }
            }
            const uint base = lu * 8u * (BM + PAD) + lr;
            [[unroll]] for (uint j = 0u; j < 4u; j++) {
                as[base + j * (BM + PAD)] = v0[j];
                as[base + (j + 4u) * (BM + PAD)] = v1[j];
            }
        }
        // b: column n0 + ln + 8 j at k0 + lk
        {
            const uint k = k0 + lk;
            [[unroll]] for (uint j = 0u; j < BN / 8u; j++) {
                const uint n = n0 + ln + 8u * j;
                float x = 0.0;
                if (k < K && n < N) x = LOAD_F32(src1, bmat + n * p.b.nb1 + k * p.b.nb0);
                bs[lk * (BN + PAD) + ln + 8u * j] = x;
            }
        }
        barrier();
        [[unroll]] for (uint kk = 0u; kk < BK; kk++) {
            float av[TM], bv[TN];
            [[unroll]] for (uint i = 0u; i < TM; i++) av[i] = as[kk * (BM + PAD) + tm + (BM / TM) * i];
            [[unroll]] for (uint j = 0u; j < TN; j++) bv[j] = bs[kk * (BN + PAD) + tn + (BN / TN) * j];
            [[unroll]] for (uint i = 0u; i < TM; i++)
                [[unroll]] for (uint j = 0u; j < TN; j++) acc[i][j] += av[i] * bv[j];
        }
        barrier();
    }

    const uint dmat = p.d.offset + i2 * p.d.nb2 + i3 * p.d.nb3;
    [[unroll]] for (uint j = 0u; j < TN; j++) {
        const uint n = n0 + tn + (BN / TN) * j;
        if (n >= N) continue;
        [[unroll]] for (uint i = 0u; i < TM; i++) {
            const uint m = m0 + tm + (BM / TM) * i;
            if (m < M) store_f32(dmat + m * p.d.nb0 + n * p.d.nb1, acc[i][j]);
        }
    }
}
