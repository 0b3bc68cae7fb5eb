#version 450
// soft_max: y = softmax(x*scale + slope*mask) per row, the mask (f32 or f16, optional) broadcast over a's
// rows by modulo, slope from ALiBi. One workgroup per row: max, then sum of exponentials, then normalise.
#include "common.glsl"
#define WG 256u
layout(local_size_x = WG) in;
#include "reduce.glsl"

layout(push_constant) uniform Push {
    Tensor a;
    Tensor m;
    Tensor d;
    float scale;
    float m0, m1;  // ALiBi bases (1 when max_bias <= 0)
    uint n_pow2;   // heads below this take m0^(h+1), the rest m1^(2(h-n)+1)
    uint mask;     // 0: none, 1: f32, 2: f16
} p;

// b^k by squaring: a few float roundings, where a loop of k products would take k.
float ipow(float b, uint k) {
    float r = 1.0;
    while (k != 0u) {
        if ((k & 1u) != 0u) r *= b;
        b *= b;
        k >>= 1u;
    }
    return r;
}

float logit(uint i, uvec3 c, float slope) {
    float v = LOAD_F32(src0, tensor_addr(p.a, i, c.x, c.y, c.z)) * p.scale;
    if (p.mask != 0u) {
        const uint b = tensor_addr(p.m, i, c.x % p.m.ne1, c.y % p.m.ne2, c.z % p.m.ne3);
        v += slope * (p.mask == 1u ? LOAD_F32(src1, b) : LOAD_F16(src1, b));
    }
    return v;
}

void main() {
    const uint row = group_index();
    if (row >= p.a.ne1 * p.a.ne2 * p.a.ne3) return;
    const uvec3 c = row_coords(row, p.a.ne1, p.a.ne2);
    const uint n = p.a.ne0, t = gl_LocalInvocationID.x;
    const uint h = c.y;
    const float slope = h < p.n_pow2 ? ipow(p.m0, h + 1u) : ipow(p.m1, 2u * (h - p.n_pow2) + 1u);

    float mx = uintBitsToFloat(0xFF800000u);  // -inf
    for (uint i = t; i < n; i += WG) mx = max(mx, logit(i, c, slope));
    mx = wg_max(mx);
    // A fully masked row has no defined softmax: NaN like the CPU (whose exp(-inf - -inf) is NaN), made
    // explicit rather than left to how this device's exp treats NaN and infinities.
    if (isinf(mx) && mx < 0.0) {
        for (uint i = t; i < n; i += WG) store_f32(tensor_addr(p.d, i, c.x, c.y, c.z), uintBitsToFloat(0x7FC00000u));
        return;
    }
    // exp into dst (each invocation rereads only what it wrote), then scale by the reciprocal of the sum.
    float sum = 0.0;
    for (uint i = t; i < n; i += WG) {
        const float e = exp(logit(i, c, slope) - mx);
        sum += e;
        store_f32(tensor_addr(p.d, i, c.x, c.y, c.z), e);
    }
    const float inv = 1.0 / wg_sum(sum);
    for (uint i = t; i < n; i += WG) {
        const uint b = tensor_addr(p.d, i, c.x, c.y, c.z);
        store_f32(b, uintBitsToFloat(dst[b >> 2]) * inv);
    }
}
