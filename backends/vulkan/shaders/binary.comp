#version 450
// dst = a (op) b for add, sub, mul, div; b repeats over a (broadcasting). One invocation per element.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor b;
    Tensor d;
    uint op;  // 0 add, 1 sub, 2 mul, 3 div
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const float x = LOAD_F32(src0, tensor_addr(p.a, c.x, c.y, c.z, c.w));
    const float y = LOAD_F32(src1, tensor_addr(p.b, c.x % p.b.ne0, c.y % p.b.ne1, c.z % p.b.ne2, c.w % p.b.ne3));
    float r;
    if (p.op == 0u) r = x + y;
    else if (p.op == 1u) r = x - y;
    else if (p.op == 2u) r = x * y;
    else r = x / y;
    store_f32(tensor_addr(p.d, c.x, c.y, c.z, c.w), r);
}
