#version 450
// get_rows: dst[i3][i2][j] = a[i3][i2][idx[i3][i2][j]] as f32. One workgroup per output row. The host may
// bind only rows [first, first + a.ne1) of a (a too large for one binding is split into chunks): a
// dispatch writes only the output rows whose index falls in its chunk. An index outside 0..total-1 gives
// a row of NaN (written by the chunk with first == 0).
#include "common.glsl"
#include "dequant.glsl"

#define WG 128u

layout(local_size_x = 128) in;

layout(push_constant) uniform Push {
    Tensor a;    // [ne0, rows of this chunk, a2, a3]
    Tensor idx;  // i32 [n, a2, a3]
    Tensor d;    // f32 [ne0, n, a2, a3]
    uint first;  // row of the whole a that the chunk's row 0 is
    uint total;  // rows of the whole a
} p;

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint g = group_index();
    const uint n = p.idx.ne0;
    if (g >= n * p.idx.ne1 * p.idx.ne2) return;
    const uint j = g % n, i2 = (g / n) % p.idx.ne1, i3 = g / (n * p.idx.ne1);
    const int r = LOAD_I32(src1, p.idx.offset + j * p.idx.nb0 + i2 * p.idx.nb1 + i3 * p.idx.nb2);
    const uint drow = p.d.offset + j * p.d.nb1 + i2 * p.d.nb2 + i3 * p.d.nb3;
    const uint ne0 = p.a.ne0;
    if (r < 0 || uint(r) >= p.total) {
        if (p.first == 0u)
            for (uint e = tid; e < ne0; e += WG) store_f32(drow + e * p.d.nb0, uintBitsToFloat(0x7FC00000u));
        return;
    }
    if (uint(r) < p.first || uint(r) - p.first >= p.a.ne1) return;  // another chunk's row
    const uint arow = p.a.offset + (uint(r) - p.first) * p.a.nb1 + i2 * p.a.nb2 + i3 * p.a.nb3;
#if A_QUANTIZED
    for (uint u = tid; u < ne0 / 8u; u += WG) {
        vec4 v0, v1;
        dequant8(arow, u * 8u, v0, v1);
        const uint o = drow + u * 8u * p.d.nb0;
        [[unroll]] for (uint t = 0u; t < 4u; t++) {
            store_f32(o + t * p.d.nb0, v0[t]);
            store_f32(o + (t + 4u) * p.d.nb0, v1[t]);
        }
    }
#else
    // Float types: any element stride.
    for (uint e = tid; e < ne0; e += WG) store_f32(drow + e * p.d.nb0, A_LOAD(arow + e * p.a.nb0));
#endif
}
