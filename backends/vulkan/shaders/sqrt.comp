#version 450
// dst = sqrt(a), f32, a with any strides. One invocation per element.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;
} p;

// Vulkan lets sqrt be off by a few ulps (GPUs build it from inversesqrt); one Newton step on the fused
// residual x - y*y brings it back to within one rounding, as the CPU's std::sqrt.
float sqrt_acc(float x) {
    const float y = sqrt(x);
    return y > 0.0 && y < 1.0e19 ? y + fma(-y, y, x) * (0.5 / y) : y;
}

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const float x = LOAD_F32(src0, tensor_addr(p.a, c.x, c.y, c.z, c.w));
    store_f32(tensor_addr(p.d, c.x, c.y, c.z, c.w), sqrt_acc(x));
}
