// Workgroup reductions for the row-wise shaders, which give one workgroup of WG invocations to a row:
// each invocation folds its strided share of the row, then a shared-memory tree combines the WG partials
// (plain shared memory rather than subgroup ops: works for any subgroup size and needs no extension).
// Include after common.glsl, with WG defined and local_size_x = WG (a power of two).

shared float red_f[WG];

// The sum of v over the workgroup, returned to every invocation. Call in uniform control flow.
float wg_sum(float v) {
    const uint t = gl_LocalInvocationID.x;
    barrier();  // a previous reduction may still be reading red_f[0]
    red_f[t] = v;
    barrier();
    [[unroll]] for (uint s = WG / 2u; s > 0u; s >>= 1u) {
        if (t < s) red_f[t] += red_f[t + s];
        barrier();
    }
    return red_f[0];
}

// The maximum of v over the workgroup (-inf stays -inf), returned to every invocation.
float wg_max(float v) {
    const uint t = gl_LocalInvocationID.x;
    barrier();
    red_f[t] = v;
    barrier();
    [[unroll]] for (uint s = WG / 2u; s > 0u; s >>= 1u) {
        if (t < s) red_f[t] = max(red_f[t], red_f[t + s]);
        barrier();
    }
    return red_f[0];
}

// Row r of a tensor with ne1 x ne2 x ... rows -> (i1, i2, i3).
uvec3 row_coords(uint r, uint ne1, uint ne2) { return uvec3(r % ne1, (r / ne1) % ne2, r / (ne1 * ne2)); }
