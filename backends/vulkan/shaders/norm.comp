#version 450
// norm: y = (x - mean) / sqrt(var + eps) per row. One workgroup per row of dst. Two passes over the row
// (mean, then variance of the centred values) so rows far from zero don't lose precision.
#include "common.glsl"
#define WG 256u
layout(local_size_x = WG) in;
#include "reduce.glsl"

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;
    float eps;
} p;

void main() {
    const uint row = group_index();
    if (row >= p.d.ne1 * p.d.ne2 * p.d.ne3) return;
    const uvec3 c = row_coords(row, p.d.ne1, p.d.ne2);
    const uint n = p.a.ne0, t = gl_LocalInvocationID.x;
    float sum = 0.0;
    for (uint i = t; i < n; i += WG) sum += LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z));
    const float mean = wg_sum(sum) / float(n);
    float sq = 0.0;
    for (uint i = t; i < n; i += WG) {
        const float y = LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z)) - mean;
        sq += y * y;
    }
    const float s = 1.0 / sqrt(wg_sum(sq) / float(n) + p.eps);
    for (uint i = t; i < n; i += WG)
        store_f32(tensor_addr(p.d, i, c.x, c.y, c.z), (LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z)) - mean) * s);
}
