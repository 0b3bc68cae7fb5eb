#version 450
// dst = f(a) for the unary ops (UnaryOp order: silu, gelu tanh, gelu erf, relu, tanh, neg, exp), f32.
// One invocation per element; a may have any strides.
#include "common.glsl"
#include "activation.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;
    uint op;
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const float x = LOAD_F32(src0, tensor_addr(p.a, c.x, c.y, c.z, c.w));
    float y;
    switch (p.op) {
    case 0u: y = silu(x); break;
    case 1u: y = gelu_tanh(x); break;
    case 2u: y = gelu_erf(x); break;
    case 3u: y = x > 0.0 ? x : 0.0; break;
    case 4u: y = tanh_acc(x); break;
    case 5u: y = -x; break;
    default: y = exp(x); break;
    }
    store_f32(tensor_addr(p.d, c.x, c.y, c.z, c.w), y);
}
