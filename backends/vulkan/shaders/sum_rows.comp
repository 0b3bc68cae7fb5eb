#version 450
// sum_rows and mean: one value per row of a. One workgroup per row.
#include "common.glsl"
#define WG 256u
layout(local_size_x = WG) in;
#include "reduce.glsl"

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;   // [1, ne1, ne2, ne3]
    uint mean;  // 1: divide by ne0
} p;

void main() {
    const uint row = group_index();
    if (row >= p.a.ne1 * p.a.ne2 * p.a.ne3) return;
    const uvec3 c = row_coords(row, p.a.ne1, p.a.ne2);
    float sum = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.a.ne0; i += WG) sum += LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z));
    sum = wg_sum(sum);
    if (gl_LocalInvocationID.x == 0u)
        store_f32(tensor_addr(p.d, 0u, c.x, c.y, c.z), p.mean != 0u ? sum / float(p.a.ne0) : sum);
}
