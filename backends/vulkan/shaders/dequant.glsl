// Decoding of the weight type a shader is compiled for (A_TYPE, with one of A_F32 ... A_Q6_K defined), read
// from binding src0 at byte addresses (blocks are not 4-byte aligned). Include after common.glsl.
//
//   A_QK            elements per block (1 for the float types)
//   A_BLOCK_BYTES   bytes per block
//   A_QUANTIZED     1 for the block types (a row is a multiple of A_QK elements, so of 8)
//   dequant8(row, k, v0, v1)  elements k .. k+7 of the row starting at byte `row` (k % 8 == 0, k + 8 <= K):
//                             v0 = k .. k+3, v1 = k+4 .. k+7
//   dequant1(row, k)          element k of that row
//
// The GGUF block layouts (ggml/quants.h); "byte j" is relative to the block start, e the element in it:
//   Q4_0  d@0 f16, qs@2 [16]: q = nibble (low of qs[e] for e < 16, high of qs[e-16]); y = d*(q-8)
//   Q4_1  d@0, m@2, qs@4: y = d*q + m
//   Q5_0  d@0, qh@2 u32, qs@6: q = nibble | bit e of qh << 4; y = d*(q-16)
//   Q5_1  d@0, m@2, qh@4, qs@8: y = d*q + m
//   Q8_0  d@0, qs@2 i8[32]: y = d*q
//   Q2_K  scales@0 [16], qs@16 [64], d@80, dmin@82: groups of 16, q = qs[e/128*32 + e%32] >> 2*(e/32%4) & 3;
//         y = d*(sc&15)*q - dmin*(sc>>4)
//   Q3_K  hmask@0 [32], qs@32 [64], scales@96 [12], d@108: 6-bit scales biased by 32, q = low2 + 4*hbit - 4
//   Q4_K  d@0, dmin@2, scales@4 [12], qs@16 [128]: groups of 32, 6-bit scales/mins; q = qs[e/64*32 + e%32]
//         nibble (low for even groups); y = d*sc*q - dmin*mn
//   Q5_K  d@0, dmin@2, scales@4, qh@16 [32], qs@48 [128]: Q4_K's nibble | (qh[e%32] >> group & 1) << 4
//   Q6_K  ql@0 [128], qh@128 [64], scales@192 i8[16], d@208: lo = ql[e/128*64 + e%64] nibble (high for
//         e/64 odd), hi = qh[e/128*32 + e%32] >> 2*(e/32%4) & 3; y = d*sc*((lo | hi<<4) - 32)

#if !defined(A_TYPE)
#error "A_TYPE must be defined"
#endif

// Four bytes at any byte address of src0 (little-endian).
uint load_u32_any(uint b) {
    const uint w = b >> 2;
    const uint s = (b & 3u) * 8u;
    const uint lo = src0[w];
    return s == 0u ? lo : (lo >> s) | (src0[w + 1u] << (32u - s));
}
// Eight bytes at any byte address: x = bytes 0..3, y = bytes 4..7.
uvec2 load_u64_any(uint b) {
    const uint w = b >> 2;
    const uint s = (b & 3u) * 8u;
    const uint w0 = src0[w], w1 = src0[w + 1u];
    if (s == 0u) return uvec2(w0, w1);
    const uint w2 = src0[w + 2u];
    return uvec2((w0 >> s) | (w1 << (32u - s)), (w1 >> s) | (w2 << (32u - s)));
}
// Byte t (0..3) of w, and its four bytes as a vector.
#define BYTE_OF(W, T) (((W) >> (8u * (T))) & 0xFFu)
uvec4 bytes4(uint w) { return uvec4(w & 0xFFu, (w >> 8) & 0xFFu, (w >> 16) & 0xFFu, w >> 24); }
// The low (shift 0) or high (shift 4) nibbles of the four bytes of w.
vec4 nibbles4(uint w, uint shift) { return vec4(bytes4(w >> shift) & 0x0Fu); }
// 2-bit fields at `shift` of the four bytes of w.
uvec4 crumbs4(uint w, uint shift) { return bytes4(w >> shift) & 0x03u; }
// The four bytes of w as signed 8-bit values.
vec4 sbytes4(uint w) {
    return vec4(bitfieldExtract(int(w), 0, 8), bitfieldExtract(int(w), 8, 8), bitfieldExtract(int(w), 16, 8),
                bitfieldExtract(int(w), 24, 8));
}
// Bits i .. i+3 of h, one per lane.
uvec4 bits4(uint h, uint i) { return uvec4(h >> i, h >> (i + 1u), h >> (i + 2u), h >> (i + 3u)) & 1u; }

// ---------------------------------------------------------------- float types

#if defined(A_F32) || defined(A_F16) || defined(A_BF16)
#define A_QUANTIZED 0
#define A_QK 1u
#if defined(A_F32)
#define A_BLOCK_BYTES 4u
#define A_LOAD(B) LOAD_F32(src0, B)
#elif defined(A_F16)
#define A_BLOCK_BYTES 2u
#define A_LOAD(B) LOAD_F16(src0, B)
#else
#define A_BLOCK_BYTES 2u
#define A_LOAD(B) LOAD_BF16(src0, B)
#endif

float dequant1(uint row, uint k) { return A_LOAD(row + k * A_BLOCK_BYTES); }

void dequant8(uint row, uint k, out vec4 v0, out vec4 v1) {
    const uint b = row + k * A_BLOCK_BYTES;
#if defined(A_F32)
    if ((b & 3u) == 0u) {
        const uint w = b >> 2;
        v0 = uintBitsToFloat(uvec4(src0[w], src0[w + 1u], src0[w + 2u], src0[w + 3u]));
        v1 = uintBitsToFloat(uvec4(src0[w + 4u], src0[w + 5u], src0[w + 6u], src0[w + 7u]));
        return;
    }
#else
    if ((b & 3u) == 0u) {  // 8 halves in 4 words
        const uint w = b >> 2;
        const uvec4 x = uvec4(src0[w], src0[w + 1u], src0[w + 2u], src0[w + 3u]);
#if defined(A_F16)
        v0 = vec4(unpackHalf2x16(x.x), unpackHalf2x16(x.y));
        v1 = vec4(unpackHalf2x16(x.z), unpackHalf2x16(x.w));
#else
        v0 = uintBitsToFloat(uvec4(x.x << 16, x.x & 0xFFFF0000u, x.y << 16, x.y & 0xFFFF0000u));
        v1 = uintBitsToFloat(uvec4(x.z << 16, x.z & 0xFFFF0000u, x.w << 16, x.w & 0xFFFF0000u));
#endif
        return;
    }
#endif
    [[unroll]] for (uint j = 0u; j < 4u; j++) {
        v0[j] = A_LOAD(b + j * A_BLOCK_BYTES);
        v1[j] = A_LOAD(b + (j + 4u) * A_BLOCK_BYTES);
    }
}

#else
// ---------------------------------------------------------------- block types

#define A_QUANTIZED 1

#if defined(A_Q4_0)
#define A_QK 32u
#define A_BLOCK_BYTES 18u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba);
    const uvec2 q = load_u64_any(ba + 2u + (e & 15u));
    const uint sh = e >= 16u ? 4u : 0u;
    v0 = d * (nibbles4(q.x, sh) - 8.0);
    v1 = d * (nibbles4(q.y, sh) - 8.0);
}

#elif defined(A_Q4_1)
#define A_QK 32u
#define A_BLOCK_BYTES 20u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba), m = LOAD_F16(src0, ba + 2u);
    const uvec2 q = load_u64_any(ba + 4u + (e & 15u));
    const uint sh = e >= 16u ? 4u : 0u;
    v0 = d * nibbles4(q.x, sh) + m;
    v1 = d * nibbles4(q.y, sh) + m;
}

#elif defined(A_Q5_0) || defined(A_Q5_1)
#define A_QK 32u
#if defined(A_Q5_0)
#define A_BLOCK_BYTES 22u
#define Q5_QH 2u
#else
#define A_BLOCK_BYTES 24u
#define Q5_QH 4u
#endif
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba);
    const uint qh = load_u32_any(ba + Q5_QH);
    const uvec2 q = load_u64_any(ba + Q5_QH + 4u + (e & 15u));
    const uint sh = e >= 16u ? 4u : 0u;
    const vec4 q0 = nibbles4(q.x, sh) + vec4(bits4(qh, e) << 4);
    const vec4 q1 = nibbles4(q.y, sh) + vec4(bits4(qh, e + 4u) << 4);
#if defined(A_Q5_0)
    v0 = d * (q0 - 16.0);
    v1 = d * (q1 - 16.0);
#else
    const float m = LOAD_F16(src0, ba + 2u);
    v0 = d * q0 + m;
    v1 = d * q1 + m;
#endif
}

#elif defined(A_Q8_0)
#define A_QK 32u
#define A_BLOCK_BYTES 34u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba);
    const uvec2 q = load_u64_any(ba + 2u + e);
    v0 = sbytes4(q.x) * d;
    v1 = sbytes4(q.y) * d;
}

#elif defined(A_Q2_K)
#define A_QK 256u
#define A_BLOCK_BYTES 84u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const uint sc = LOAD_U8(src0, ba + e / 16u);
    const uint dw = load_u32_any(ba + 80u);
    const vec2 dd = unpackHalf2x16(dw);  // d, dmin
    const float dl = dd.x * float(sc & 15u), ml = dd.y * float(sc >> 4);
    const uvec2 q = load_u64_any(ba + 16u + (e / 128u) * 32u + (e & 31u));
    const uint sh = 2u * ((e / 32u) & 3u);
    v0 = dl * vec4(crumbs4(q.x, sh)) - ml;
    v1 = dl * vec4(crumbs4(q.y, sh)) - ml;
}

#elif defined(A_Q3_K)
#define A_QK 256u
#define A_BLOCK_BYTES 110u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba + 108u);
    const uint g = e / 16u;
    const uint lo = g < 8u ? (LOAD_U8(src0, ba + 96u + g) & 15u) : (LOAD_U8(src0, ba + 96u + g - 8u) >> 4);
    const uint hi = (LOAD_U8(src0, ba + 104u + (g & 3u)) >> (2u * (g / 4u))) & 3u;
    const float dl = d * float(int(lo | (hi << 4)) - 32);
    const uvec2 q = load_u64_any(ba + 32u + (e / 128u) * 32u + (e & 31u));
    const uint sh = 2u * ((e / 32u) & 3u);
    const uvec2 h = load_u64_any(ba + (e & 31u));
    const uint hs = e / 32u;
    v0 = dl * (vec4(crumbs4(q.x, sh) + 4u * (bytes4(h.x >> hs) & 1u)) - 4.0);
    v1 = dl * (vec4(crumbs4(q.y, sh) + 4u * (bytes4(h.y >> hs) & 1u)) - 4.0);
}

#elif defined(A_Q4_K) || defined(A_Q5_K)
#define A_QK 256u
#if defined(A_Q4_K)
#define A_BLOCK_BYTES 144u
#define QK_QS 16u
#else
#define A_BLOCK_BYTES 176u
#define QK_QS 48u
#endif
// Scale and min of group g (0..7) from the 12 packed bytes at s.
uvec2 scale_min_k4(uint s, uint g) {
    if (g < 4u) return uvec2(LOAD_U8(src0, s + g) & 63u, LOAD_U8(src0, s + g + 4u) & 63u);
    const uint x = LOAD_U8(src0, s + g + 4u);
    return uvec2((x & 15u) | ((LOAD_U8(src0, s + g - 4u) >> 6) << 4), (x >> 4) | ((LOAD_U8(src0, s + g) >> 6) << 4));
}
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const vec2 dd = unpackHalf2x16(load_u32_any(ba));  // d, dmin
    const uint g = e / 32u;
    const uvec2 sm = scale_min_k4(ba + 4u, g);
    const float ds = dd.x * float(sm.x), dm = dd.y * float(sm.y);
    const uvec2 q = load_u64_any(ba + QK_QS + (e / 64u) * 32u + (e & 31u));
    const uint sh = 4u * (g & 1u);
#if defined(A_Q4_K)
    v0 = ds * nibbles4(q.x, sh) - dm;
    v1 = ds * nibbles4(q.y, sh) - dm;
#else
    const uvec2 h = load_u64_any(ba + 16u + (e & 31u));
    v0 = ds * vec4((bytes4(q.x >> sh) & 15u) | ((bytes4(h.x >> g) & 1u) << 4)) - dm;
    v1 = ds * vec4((bytes4(q.y >> sh) & 15u) | ((bytes4(h.y >> g) & 1u) << 4)) - dm;
#endif
}

#elif defined(A_Q6_K)
#define A_QK 256u
#define A_BLOCK_BYTES 210u
void dequant_block8(uint ba, uint e, out vec4 v0, out vec4 v1) {
    const float d = LOAD_F16(src0, ba + 208u);
    const float dl = d * float(bitfieldExtract(int(LOAD_U8(src0, ba + 192u + e / 16u)), 0, 8));
    const uvec2 l = load_u64_any(ba + (e / 128u) * 64u + (e & 63u));
    const uint ls = 4u * ((e / 64u) & 1u);
    const uvec2 h = load_u64_any(ba + 128u + (e / 128u) * 32u + (e & 31u));
    const uint hs = 2u * ((e / 32u) & 3u);
    v0 = dl * (vec4((bytes4(l.x >> ls) & 15u) | (crumbs4(h.x, hs) << 4)) - 32.0);
    v1 = dl * (vec4((bytes4(l.y >> ls) & 15u) | (crumbs4(h.y, hs) << 4)) - 32.0);
}

#else
#error "unknown weight type"
#endif

void dequant8(uint row, uint k, out vec4 v0, out vec4 v1) {
    dequant_block8(row + (k / A_QK) * A_BLOCK_BYTES, k % A_QK, v0, v1);
}
float dequant1(uint row, uint k) {
    vec4 v0, v1;
    dequant8(row, k & ~7u, v0, v1);
    const uint j = k & 7u;
    return j < 4u ? v0[j] : v1[j - 4u];
}
#endif
