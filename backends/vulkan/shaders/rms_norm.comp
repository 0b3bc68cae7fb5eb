#version 450
// rms_norm: y = x / sqrt(mean(x^2) + eps) per row. One workgroup per row of dst.
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
    if (row >= p.d.ne1 * p.d.ne2 * p.d.ne3) return;  // whole workgroup leaves together
    const uvec3 c = row_coords(row, p.d.ne1, p.d.ne2);
    const uint n = p.a.ne0, t = gl_LocalInvocationID.x;
    float sq = 0.0;
    for (uint i = t; i < n; i += WG) {
        const float x = LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z));
        sq += x * x;
    }
    const float ms = wg_sum(sq) / float(n);
    // 1/sqrt rather than inversesqrt: the latter may be a low-precision approximation.
    const float s = 1.0 / sqrt(ms + p.eps);
    for (uint i = t; i < n; i += WG)
        store_f32(tensor_addr(p.d, i, c.x, c.y, c.z), LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z)) * s);
}
