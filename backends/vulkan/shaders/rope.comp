#version 450
// rope: rotary position embedding, normal (adjacent pairs) or neox (halves) pairing, with frequency
// factors, linear and YaRN scaling. One invocation per unit of a row: a rotated pair, or one of the
// head_dim - n_dims dimensions that pass through. The angle math is float, in the CPU's order.
#include "common.glsl"
layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
    Tensor a;       // [head_dim, n_head, n_tok, ne3]
    Tensor d;
    uint pos;       // byte offset of the I32 positions (src1), one per token
    uint ff;        // byte offset of the F32 frequency factors (src2); 0xFFFFFFFF: none
    uint n_dims;
    uint neox;
    float log2_base;  // log2(freq_base), rounded once from double
    float freq_scale;
    float ext_factor;
    float low, high;  // YaRN ramp ends, in pairs (host-computed like the CPU)
    float mscale;     // attn_factor, times YaRN's magnitude correction
} p;

// 2^e to about an ulp. Built-in exp2/pow may be several ulps off (lavapipe's are), and theta = pos * 2^e
// multiplies that by positions in the thousands: e = k + f with k an integer (exact through ldexp) and
// |f| <= 0.5, whose 2^f = exp(f ln 2) is a Taylor series (remainder < 1e-8).
float exp2_accurate(float e) {
    const float k = round(e);
    const float x = (e - k) * 0.693147181;
    float r = 1.0 / 5040.0;
    r = r * x + 1.0 / 720.0;
    r = r * x + 1.0 / 120.0;
    r = r * x + 1.0 / 24.0;
    r = r * x + 1.0 / 6.0;
    r = r * x + 0.5;
    r = r * x + 1.0;
    r = r * x + 1.0;
    return ldexp(r, int(k));
}

void main() {
    const uint half_dims = p.n_dims / 2u;
    const uint units = half_dims + (p.a.ne0 - p.n_dims);
    const uint u = group_index() * 256u + gl_LocalInvocationID.x;
    if (u >= units * p.a.ne1 * p.a.ne2 * p.a.ne3) return;
    const uint k = u % units, row = u / units;
    const uint h = row % p.a.ne1, tok = (row / p.a.ne1) % p.a.ne2, i3 = row / (p.a.ne1 * p.a.ne2);
    if (k >= half_dims) {  // past the rotated dims: copied
        const uint i = p.n_dims + (k - half_dims);
        store_f32(tensor_addr(p.d, i, h, tok, i3), LOAD_F32(src0, tensor_addr(p.a, i, h, tok, i3)));
        return;
    }
    const uint i = k;
    float inv_freq = exp2_accurate((-2.0 * float(i) / float(p.n_dims)) * p.log2_base);
    if (p.ff != 0xFFFFFFFFu) inv_freq /= LOAD_F32(src2, p.ff + i * 4u);
    float mix_ = 0.0;
    if (p.ext_factor != 0.0) {
        const float y = (float(i) - p.low) / max(0.001, p.high - p.low);
        mix_ = (1.0 - clamp(y, 0.0, 1.0)) * p.ext_factor;
    }
    // theta = position * inverse frequency, as the CPU computes it (not position folded into the power).
    const float extrap = float(LOAD_I32(src1, p.pos + tok * 4u)) * inv_freq;
    const float interp = extrap * p.freq_scale;
    const float theta = interp * (1.0 - mix_) + extrap * mix_;
    const float c = cos(theta) * p.mscale, s = sin(theta) * p.mscale;

    const uint j0 = p.neox != 0u ? i : 2u * i, j1 = p.neox != 0u ? i + half_dims : 2u * i + 1u;
    const float x0 = LOAD_F32(src0, tensor_addr(p.a, j0, h, tok, i3));
    const float x1 = LOAD_F32(src0, tensor_addr(p.a, j1, h, tok, i3));
    store_f32(tensor_addr(p.d, j0, h, tok, i3), x0 * c - x1 * s);
    store_f32(tensor_addr(p.d, j1, h, tok, i3), x0 * s + x1 * c);
}
