#version 450
// dst = act(gate) * up (GluOp order: swiglu, geglu tanh, geglu erf), f32, gate and up the same shape with
// any strides (often the two halves of one projection). One invocation per element.
#include "common.glsl"
#include "activation.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor g;
    Tensor u;
    Tensor d;
    uint op;
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const float x = LOAD_F32(src0, tensor_addr(p.g, c.x, c.y, c.z, c.w));
    const float up = LOAD_F32(src1, tensor_addr(p.u, c.x, c.y, c.z, c.w));
    const float act = p.op == 0u ? silu(x) : p.op == 1u ? gelu_tanh(x) : gelu_erf(x);
    store_f32(tensor_addr(p.d, c.x, c.y, c.z, c.w), act * up);
}
