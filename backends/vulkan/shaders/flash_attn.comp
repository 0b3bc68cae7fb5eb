#version 450
// flash_attn: out[t][h] = sum_j softmax_j(scale * q[h][t].k[kvh][j] + mask[t][j]) v[kvh][j], the scores never
// written to global memory. A workgroup takes one query head and a block of BR tokens (gl_WorkGroupID =
// (head, block)) and walks the KV cells in tiles of BC:
//   1. the tile's mask for the block's rows goes into shared memory; a tile hidden from every row (-inf
//      throughout: causal and sliding-window masks hide whole tiles) is skipped;
//   2. the BR x BC scores (masked entries stay -inf, their dots are not computed);
//   3. per row, the new running maximum and the factor exp(m_old - m_new) rescaling what came before;
//   4. the weights exp(s - m_new), their row sums into the running sums, and the weighted values into the
//      outputs, which each invocation holds in registers (outputs tid + WG*i of the block's rows x hd_v).
// Rows whose mask hides every cell end with a zero sum and are written as zeros.
// Head sizes up to HD_MAX; keys and values f32, f16 or bf16 with any strides (the transposed V cache reads
// a channel's cells side by side); the mask f32 with contiguous rows.
#include "common.glsl"

#define BR 16u      // tokens per workgroup
#define BC 64u      // KV cells per tile
#define WG 128u
#define HD_MAX 256u
#define NACC 32u    // BR * HD_MAX / WG outputs per invocation
#define NSC 8u      // BR * BC / WG scores per invocation
#define NEG_INF uintBitsToFloat(0xFF800000u)

layout(local_size_x = 128) in;

layout(push_constant) uniform Push {
    Tensor q;        // [hd_k, n, n_head, 1] f32
    Tensor k;        // [hd_k, n_kv, n_kv_head, 1]
    Tensor v;        // [hd_v, n_kv, n_kv_head, 1]
    uint m_offset;   // mask (binding 3): byte offset of row 0 and byte stride of rows (f32, contiguous)
    uint m_nb1;
    uint d_offset;   // dst: contiguous f32 [hd_v, n_head, n]
    float scale;
    uint flags;      // bits 0-7: k's type, 8-15: v's type, bit 16: a mask is bound
} p;

shared float qs[BR * HD_MAX];  // the block's queries times scale, row r at r * HD_MAX (16 KiB)
shared float ss[BR * BC];      // the tile: mask, then scores, then weights; row r at r * BC (4 KiB)
shared float row_m[BR];        // running maximum after this tile
shared float row_alpha[BR];    // factor for what was accumulated before this tile
shared float row_l[BR];        // final sums
shared uint open_tile;         // 1 + index of the last tile some row of the block sees

// scale * q[r] . k[j] of kv head base kb (q already scaled in qs).
float qk(uint r, uint kb, uint ktype) {
    const uint qb = r * HD_MAX;
    const uint hd = p.q.ne0, nb0 = p.k.nb0;
    float s = 0.0;
    if (ktype == TYPE_F32) {
        if (nb0 == 4u) {
            for (uint d = 0u; d < hd; d++) s += qs[qb + d] * uintBitsToFloat(src1[(kb >> 2) + d]);
        } else {
            for (uint d = 0u; d < hd; d++) s += qs[qb + d] * LOAD_F32(src1, kb + d * nb0);
        }
    } else if (nb0 == 2u && (kb & 3u) == 0u && (hd & 1u) == 0u) {
        // two 16-bit elements per word
        const uint w0 = kb >> 2;
        if (ktype == TYPE_F16) {
            for (uint d = 0u; d < hd; d += 2u) {
                const vec2 kv = unpackHalf2x16(src1[w0 + (d >> 1)]);
                s += qs[qb + d] * kv.x + qs[qb + d + 1u] * kv.y;
            }
        } else {
            for (uint d = 0u; d < hd; d += 2u) {
                const uint w = src1[w0 + (d >> 1)];
                s += qs[qb + d] * uintBitsToFloat(w << 16) + qs[qb + d + 1u] * uintBitsToFloat(w & 0xFFFF0000u);
            }
        }
    } else if (ktype == TYPE_F16) {
        for (uint d = 0u; d < hd; d++) s += qs[qb + d] * LOAD_F16(src1, kb + d * nb0);
    } else {
        for (uint d = 0u; d < hd; d++) s += qs[qb + d] * LOAD_BF16(src1, kb + d * nb0);
    }
    return s;
}

// a + sum over the tile's nc cells of weight(row rb) * v at byte vb, cells p.v.nb1 apart.
#define V_SUM(LOAD)                                              \
    for (uint c = 0u; c < nc; c++) {                             \
        const float w = ss[rb + c];                              \
        if (w != 0.0) a += w * LOAD(src2, vb + c * p.v.nb1);     \
    }

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint h = gl_WorkGroupID.x;
    const uint r0 = gl_WorkGroupID.y * BR;
    const uint n = p.q.ne1, n_head = p.q.ne2, hd_k = p.q.ne0, hd_v = p.v.ne0, n_kv = p.k.ne1;
    const uint rows = min(BR, n - r0);
    const uint kvh = h / (n_head / p.k.ne2);
    const uint ktype = p.flags & 0xFFu, vtype = (p.flags >> 8) & 0xFFu;
    const bool has_mask = (p.flags & 0x10000u) != 0u;
    const uint kbase = p.k.offset + kvh * p.k.nb2;
    const uint vbase = p.v.offset + kvh * p.v.nb2;
    const uint n_out = rows * hd_v;

    for (uint i = tid; i < rows * hd_k; i += WG) {
        const uint r = i / hd_k, d = i % hd_k;
        qs[r * HD_MAX + d] = LOAD_F32(src0, tensor_addr(p.q, d, r0 + r, h, 0u)) * p.scale;
    }
    if (tid == 0u) open_tile = 0u;
    float m_run = NEG_INF, l_run = 0.0;  // of row tid (tid < rows)
    float acc[NACC];
    [[unroll]] for (uint i = 0u; i < NACC; i++) acc[i] = 0.0;

    uint tile = 0u;
    for (uint j0 = 0u; j0 < n_kv; j0 += BC) {
        tile++;
        const uint nc = min(BC, n_kv - j0);
        barrier();  // the previous tile's readers of ss and row_alpha are done (first tile: qs, open_tile set)

        // 1. mask
        bool open = false;
        [[unroll]] for (uint i = 0u; i < NSC; i++) {
            const uint s = tid + WG * i, r = s / BC, c = s % BC;
            float x = NEG_INF;
            if (r < rows && c < nc) x = has_mask ? LOAD_F32(src3, p.m_offset + (r0 + r) * p.m_nb1 + (j0 + c) * 4u) : 0.0;
            ss[s] = x;
            open = open || x != NEG_INF;
        }
        if (open) atomicMax(open_tile, tile);
        barrier();
        // Uniform: every invocation reads the value all of this tile's writes left (later tiles write only
        // after the next barrier, which waits for this read).
        if (open_tile != tile) continue;

        // 2. scores
        [[unroll]] for (uint i = 0u; i < NSC; i++) {
            const uint s = tid + WG * i, r = s / BC, c = s % BC;
            const float x = ss[s];
            if (x != NEG_INF) ss[s] = x + qk(r, kbase + (j0 + c) * p.k.nb1, ktype);
        }
        barrier();

        // 3. running maxima
        if (tid < rows) {
            float mx = m_run;
            for (uint c = 0u; c < nc; c++) mx = max(mx, ss[tid * BC + c]);
            // Nothing seen yet (mx -inf): nothing to rescale. First cells seen: the zero sums stay zero.
            const float alpha = mx == NEG_INF ? 1.0 : (m_run == NEG_INF ? 0.0 : exp(m_run - mx));
            row_m[tid] = mx;
            row_alpha[tid] = alpha;
            m_run = mx;
        }
        barrier();

        // 4. weights, sums, values
        [[unroll]] for (uint i = 0u; i < NSC; i++) {
            const uint s = tid + WG * i, r = s / BC;
            if (r < rows) {
                const float x = ss[s];
                ss[s] = x == NEG_INF ? 0.0 : exp(x - row_m[r]);
            }
        }
        barrier();
        if (tid < rows) {
            float sum = 0.0;
            for (uint c = 0u; c < nc; c++) sum += ss[tid * BC + c];
            l_run = l_run * row_alpha[tid] + sum;
        }
        [[unroll]] for (uint i = 0u; i < NACC; i++) {
            const uint o = tid + WG * i;
            if (o < n_out) {
                const uint r = o / hd_v, d = o % hd_v;
                const uint rb = r * BC;
                const uint vb = vbase + d * p.v.nb0 + j0 * p.v.nb1;
                float a = acc[i] * row_alpha[r];
                if (vtype == TYPE_F32) {
                    V_SUM(LOAD_F32)
                } else if (vtype == TYPE_F16) {
                    V_SUM(LOAD_F16)
                } else {
                    V_SUM(LOAD_BF16)
                }
                acc[i] = a;
            }
        }
    }

    if (tid < rows) row_l[tid] = l_run;
    barrier();
    [[unroll]] for (uint i = 0u; i < NACC; i++) {
        const uint o = tid + WG * i;
        if (o < n_out) {
            const uint r = o / hd_v, d = o % hd_v;
            const float l = row_l[r];
            store_f32(p.d_offset + (((r0 + r) * n_head + h) * hd_v + d) * 4u, l > 0.0 ? acc[i] / l : 0.0);
        }
    }
}
