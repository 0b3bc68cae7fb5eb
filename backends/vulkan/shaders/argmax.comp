#version 450
// argmax: index of each row's largest value, I32, for a 2-D a. One workgroup per row.
// Matches the CPU's sequential scan `if (x[i] > x[best]) best = i` from best = 0 exactly: ties go to the
// lowest index, NaNs never win, and a row starting with NaN gives 0 (nothing compares greater than it).
#include "common.glsl"
#define WG 256u
layout(local_size_x = WG) in;

layout(push_constant) uniform Push {
    Tensor a;
    Tensor d;  // I32 [ne1]
} p;

shared float best_v[WG];
shared uint best_i[WG];

void main() {
    const uint row = group_index();
    if (row >= p.a.ne1) return;
    const uint n = p.a.ne0, t = gl_LocalInvocationID.x;
    // No candidate yet: index n, which loses to any real element (even -inf) on the index tie-break.
    float bv = uintBitsToFloat(0xFF800000u);  // -inf
    uint bi = n;
    for (uint i = t; i < n; i += WG) {
        const float v = LOAD_F32(src0, tensor_addr(p.a, i, row, 0u, 0u));
        if (v > bv || (v == bv && bi == n)) {  // indices rise, so only the first of equal values is kept
            bv = v;
            bi = i;
        }
    }
    best_v[t] = bv;
    best_i[t] = bi;
    barrier();
    [[unroll]] for (uint s = WG / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            const float ov = best_v[t + s];
            const uint oi = best_i[t + s];
            if (ov > best_v[t] || (ov == best_v[t] && oi < best_i[t])) {
                best_v[t] = ov;
                best_i[t] = oi;
            }
        }
        barrier();
    }
    if (t == 0u) {
        const float x0 = LOAD_F32(src0, tensor_addr(p.a, 0u, row, 0u, 0u));
        const uint r = (isnan(x0) || best_i[0] >= n) ? 0u : best_i[0];
        store_u32(p.d.offset + row * p.d.nb0, r);
    }
}
