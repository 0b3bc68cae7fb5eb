// Shared by every shader: the bindings, the tensor descriptor, and loads and stores of the element types.
// Buffers are read as 32-bit words whatever the element type, so no 8/16-bit storage feature is needed;
// 16-bit stores go through atomics on their word (two threads may write the two halves of one word).
#extension GL_EXT_control_flow_attributes : enable

layout(std430, binding = 0) readonly buffer Src0 { uint src0[]; };
layout(std430, binding = 1) readonly buffer Src1 { uint src1[]; };
layout(std430, binding = 2) readonly buffer Src2 { uint src2[]; };
layout(std430, binding = 3) readonly buffer Src3 { uint src3[]; };
layout(std430, binding = 4) buffer Dst { uint dst[]; };

// Mirrors TensorDesc (backends/vulkan/recorder.h): byte offset within the binding, sizes, byte strides.
struct Tensor {
    uint offset;
    uint ne0, ne1, ne2, ne3;
    uint nb0, nb1, nb2, nb3;
};

// GGUF type ids (ggml/type.h).
#define TYPE_F32 0u
#define TYPE_F16 1u
#define TYPE_BF16 30u
#define TYPE_I32 26u

// Byte address of element (i0, i1, i2, i3).
uint tensor_addr(Tensor t, uint i0, uint i1, uint i2, uint i3) {
    return t.offset + i0 * t.nb0 + i1 * t.nb1 + i2 * t.nb2 + i3 * t.nb3;
}
// Element index -> (i0, i1, i2, i3) for a tensor of sizes ne.
uvec4 unravel(uint i, Tensor t) {
    const uint i0 = i % t.ne0;
    i /= t.ne0;
    const uint i1 = i % t.ne1;
    i /= t.ne1;
    const uint i2 = i % t.ne2;
    return uvec4(i0, i1, i2, i / t.ne2);
}
uint nelements(Tensor t) { return t.ne0 * t.ne1 * t.ne2 * t.ne3; }

// Loads at a byte address B of buffer BUF.
#define LOAD_U32(BUF, B) (BUF[(B) >> 2])
#define LOAD_U16(BUF, B) ((BUF[(B) >> 2] >> (((B) & 2u) * 8u)) & 0xFFFFu)
#define LOAD_U8(BUF, B) ((BUF[(B) >> 2] >> (((B) & 3u) * 8u)) & 0xFFu)
#define LOAD_F32(BUF, B) uintBitsToFloat(LOAD_U32(BUF, B))
#define LOAD_F16(BUF, B) unpackHalf2x16(LOAD_U16(BUF, B)).x
#define LOAD_BF16(BUF, B) uintBitsToFloat(LOAD_U16(BUF, B) << 16)
#define LOAD_I32(BUF, B) int(LOAD_U32(BUF, B))
// A float element of type TYPE (f32, f16 or bf16).
#define LOAD_FLOAT(BUF, TYPE, B) \
    ((TYPE) == TYPE_F32 ? LOAD_F32(BUF, B) : (TYPE) == TYPE_F16 ? LOAD_F16(BUF, B) : LOAD_BF16(BUF, B))

// Float -> half, round to nearest even, saturating to infinity like IEEE 754 (bit-exact with the CPU's).
uint f32_to_f16(float f) {
    const uint x = floatBitsToUint(f);
    const uint sign = (x >> 16) & 0x8000u;
    const uint ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) return sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u | ((ax >> 13) & 0x3FFu) : 0u);
    if (ax >= 0x477FF000u) return sign | 0x7C00u;  // rounds past the largest half
    if (ax < 0x38800000u) {                         // a subnormal half (or zero)
        if (ax < 0x33000000u) return sign;          // below half the smallest subnormal
        const uint e = ax >> 23;
        const uint m = (ax & 0x7FFFFFu) | 0x800000u;
        const uint shift = 126u - e;  // 14 + (112 - e) + 1 - 1
        const uint q = m >> shift;
        const uint rem = m & ((1u << shift) - 1u);
        const uint halfway = 1u << (shift - 1u);
        return sign | (q + ((rem > halfway || (rem == halfway && (q & 1u) != 0u)) ? 1u : 0u));
    }
    const uint r = ax - 0x38000000u;  // rebias the exponent from 127 to 15
    return sign | ((r + 0xFFFu + ((r >> 13) & 1u)) >> 13);
}
// Float -> bfloat16, round to nearest even; NaN stays a quiet NaN.
uint f32_to_bf16(float f) {
    const uint x = floatBitsToUint(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (x >> 16) | 0x40u;
    return (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
}

// Stores into the destination binding.
void store_f32(uint b, float v) { dst[b >> 2] = floatBitsToUint(v); }
void store_u32(uint b, uint v) { dst[b >> 2] = v; }
void store_u16(uint b, uint v) {
    const uint shift = (b & 2u) * 8u;
    atomicAnd(dst[b >> 2], ~(0xFFFFu << shift));
    atomicOr(dst[b >> 2], (v & 0xFFFFu) << shift);
}
void store_float(uint type, uint b, float v) {
    if (type == TYPE_F32) store_f32(b, v);
    else if (type == TYPE_F16) store_u16(b, f32_to_f16(v));
    else store_u16(b, f32_to_bf16(v));
}

// The linear workgroup index of a grid spread over x and y (Recorder::groups_1d).
uint group_index() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
