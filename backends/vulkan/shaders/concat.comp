#version 450
// concat: dst = a followed by b along dimension `dim` (a float type shared by all three; elements are
// moved as raw bits). One invocation per dst element; a and b may have any strides.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor b;
    Tensor d;
    uint dim;
    uint type;
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 c = unravel(i, p.d);
    const uint db = tensor_addr(p.d, c.x, c.y, c.z, c.w);
    uvec4 j = c;
    const uint na = uvec4(p.a.ne0, p.a.ne1, p.a.ne2, p.a.ne3)[p.dim];
    const bool from_a = j[p.dim] < na;
    uint v;
    if (from_a) {
        const uint sb = tensor_addr(p.a, j.x, j.y, j.z, j.w);
        v = p.type == TYPE_F32 ? LOAD_U32(src0, sb) : LOAD_U16(src0, sb);
    } else {
        j[p.dim] -= na;
        const uint sb = tensor_addr(p.b, j.x, j.y, j.z, j.w);
        v = p.type == TYPE_F32 ? LOAD_U32(src1, sb) : LOAD_U16(src1, sb);
    }
    if (p.type == TYPE_F32) store_u32(db, v);
    else store_u16(db, v);
}
