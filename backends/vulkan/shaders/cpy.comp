#version 450
// cpy / cont / cast: element i of the source in logical (row-major) order goes to element i of dst,
// converted between f32, f16 and bf16. The two may differ in shape (same element count) and have any
// strides, dst possibly a view into a larger tensor whose other bytes must stay as they are (16-bit stores
// are atomic on their word). One invocation per element.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor s;
    Tensor d;
    uint stype;
    uint dtype;
} p;

// Conversions work on bit patterns: no float arithmetic touches the values, so subnormals survive a GPU
// that flushes them, and same-type copies are bit-exact (NaN payloads included).
uint load_f32_bits(uint type, uint b) {
    if (type == TYPE_F32) return LOAD_U32(src0, b);
    if (type == TYPE_BF16) return LOAD_U16(src0, b) << 16;
    return floatBitsToUint(LOAD_F16(src0, b));
}

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= nelements(p.d)) return;
    const uvec4 a = unravel(i, p.s);
    const uvec4 c = unravel(i, p.d);
    const uint sb = tensor_addr(p.s, a.x, a.y, a.z, a.w);
    const uint db = tensor_addr(p.d, c.x, c.y, c.z, c.w);
    if (p.stype == p.dtype) {
        if (p.dtype == TYPE_F32) store_u32(db, LOAD_U32(src0, sb));
        else store_u16(db, LOAD_U16(src0, sb));
        return;
    }
    const uint v = load_f32_bits(p.stype, sb);
    if (p.dtype == TYPE_F32) store_u32(db, v);
    else if (p.dtype == TYPE_F16) store_u16(db, f32_to_f16(uintBitsToFloat(v)));
    else store_u16(db, f32_to_bf16(uintBitsToFloat(v)));
}
