#version 450
// dst = a^2, f32, a with any strides. One invocation per element.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const float x = LOAD_F32(src0, tensor_addr(p.a, c.x, c.y, c.z, c.w));
    store_f32(tensor_addr(p.d, c.x, c.y, c.z, c.w), x * x);
}
