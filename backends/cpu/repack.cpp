#include "backends/cpu/repack.h"

#include "ggml/threads.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cpu/quant_dot.h"
#include "backends/cpu/vec.h"
#include "ggml/backend.h"
#include "ggml/quants.h"

namespace ggml::cpu {
namespace {

constexpr int R = kRepackRows;
constexpr size_t kQ4_0Group = kQ4_0GroupBytes, kQ5_0Group = kQ5_0GroupBytes, kQ8_0Group = kQ8_0GroupBytes, kQ4_KGroup = kQ4_KGroupBytes, kQ6_KGroup = kQ6_KGroupBytes;
static_assert(kQ4_0Group == 2 * R + 16 * R, "fp16 d[8], 8 x 16 code bytes");
static_assert(kQ5_0Group == 2 * R + 16 * R + 4 * R, "fp16 d[8], 8 x 16 code bytes, 8 x 4 fifth-bit bytes");
static_assert(kQ8_0Group == 2 * R + 32 * R, "fp16 d[8], 8 x 32 code bytes");
static_assert(kQ4_KGroup == 2 * 2 * R + 8 * R + 8 * R + 128 * R, "d, dmin, scales, mins, codes");
static_assert(kQ6_KGroup == 2 * R + 16 * R + 8 * (128 + 64), "d, scales, 8 x (low nibbles + high bits)");

// The low 4 bits of 32 codes of each of 8 rows (code[r][i]) <-> the 128 interleaved code bytes.
void put_codes(const uint8_t code[R][32], uint8_t* dst) {
    for (int j = 0; j < 4; j++)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < 4; i++)
                dst[(j * R + r) * 4 + i] = uint8_t((code[r][8 * j + i] & 15) | (code[r][8 * j + 4 + i] << 4));
}
void get_codes(const uint8_t* src, uint8_t code[R][32]) {
    for (int j = 0; j < 4; j++)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < 4; i++) {
                const uint8_t b = src[(j * R + r) * 4 + i];
                code[r][8 * j + i] = b & 15, code[r][8 * j + 4 + i] = b >> 4;
            }
}

// Where the 32 codes of sub-block s (0..7) of a Q6_K block live: low 4 bits at ql[i] >> lo_shift, high
// 2 bits at qh[i] >> hi_shift (i 0..31).
struct Q6Sub {
    int ql_off, qh_off, lo_shift, hi_shift;
};
inline Q6Sub q6_sub(int s) {
    const int half = s / 4, quarter = s % 4;
    return {64 * half + 32 * (quarter & 1), 32 * half, quarter < 2 ? 0 : 4, 2 * quarter};
}
// High bits of one Q6_K sub-block (32 codes of 8 rows) <-> 64 bytes: byte [t][r][i] holds, for j = 2t and
// 2t + 1, the high 2 bits of codes 8j + i (bits 4(j - 2t)) and 8j + 4 + i (bits 4(j - 2t) + 2).
void put_high(const uint8_t code[R][32], uint8_t* dst) {
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < 4; i++) {
                int v = 0;
                for (int jj = 0; jj < 2; jj++) {
                    const int j = 2 * t + jj;
                    v |= (code[r][8 * j + i] >> 4) << (4 * jj);
                    v |= (code[r][8 * j + 4 + i] >> 4) << (4 * jj + 2);
                }
                dst[(t * R + r) * 4 + i] = uint8_t(v);
            }
}
void add_high(const uint8_t* src, uint8_t code[R][32]) {
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < 4; i++) {
                const int v = src[(t * R + r) * 4 + i];
                for (int jj = 0; jj < 2; jj++) {
                    const int j = 2 * t + jj;
                    code[r][8 * j + i] = uint8_t(code[r][8 * j + i] | (((v >> (4 * jj)) & 3) << 4));
                    code[r][8 * j + 4 + i] = uint8_t(code[r][8 * j + 4 + i] | (((v >> (4 * jj + 2)) & 3) << 4));
                }
            }
}

// The 6-bit scales and mins of a Q4_K super-block (8 of each) <-> GGUF's 12-byte field.
void unpack_k4_scales(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
    for (int g = 0; g < 4; g++) {
        sc[g] = s[g] & 63, mn[g] = s[g + 4] & 63;
        sc[g + 4] = uint8_t((s[g + 8] & 15) | ((s[g] >> 6) << 4));
        mn[g + 4] = uint8_t((s[g + 8] >> 4) | ((s[g + 4] >> 6) << 4));
    }
}
void pack_k4_scales(const uint8_t* sc, const uint8_t* mn, uint8_t* s) {
    for (int g = 0; g < 4; g++) {
        s[g] = uint8_t(sc[g] | ((sc[g + 4] >> 4) << 6));
        s[g + 4] = uint8_t(mn[g] | ((mn[g + 4] >> 4) << 6));
        s[g + 8] = uint8_t((sc[g + 4] & 15) | ((mn[g + 4] & 15) << 4));
    }
}

// Fifth bits of Q5_0 codes (32 codes of 8 rows) <-> 32 bytes: byte [r][i] holds bit 4 of codes 8j + i
// (at bit 2j) and 8j + 4 + i (at bit 2j + 1), j 0..3.
void put_fifth(const uint8_t code[R][32], uint8_t* dst) {
    for (int r = 0; r < R; r++)
        for (int i = 0; i < 4; i++) {
            int v = 0;
            for (int j = 0; j < 4; j++) v |= (code[r][8 * j + i] >> 4) << (2 * j) | (code[r][8 * j + 4 + i] >> 4) << (2 * j + 1);
            dst[r * 4 + i] = uint8_t(v);
        }
}
void add_fifth(const uint8_t* src, uint8_t code[R][32]) {
    for (int r = 0; r < R; r++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                const int v = src[r * 4 + i];
                code[r][8 * j + i] = uint8_t(code[r][8 * j + i] | ((v >> (2 * j)) & 1) << 4);
                code[r][8 * j + 4 + i] = uint8_t(code[r][8 * j + 4 + i] | ((v >> (2 * j + 1)) & 1) << 4);
            }
}

// The 32 codes of a Q4_0 / Q5_0 block (Q5_0: with the fifth bit) <-> the block's code fields.
void get_block(const block_q4_0& x, uint8_t* q) {
    for (int i = 0; i < 16; i++) q[i] = x.qs[i] & 15, q[i + 16] = x.qs[i] >> 4;
}
void get_block(const block_q5_0& x, uint8_t* q) {
    uint32_t qh;
    std::memcpy(&qh, x.qh, 4);
    for (int i = 0; i < 16; i++) {
        q[i] = uint8_t((x.qs[i] & 15) | (((qh >> i) & 1) << 4));
        q[i + 16] = uint8_t((x.qs[i] >> 4) | (((qh >> (i + 16)) & 1) << 4));
    }
}
void set_block(block_q4_0& x, const uint8_t* q) {
    for (int i = 0; i < 16; i++) x.qs[i] = uint8_t(q[i] | (q[i + 16] << 4));
}
void set_block(block_q5_0& x, const uint8_t* q) {
    uint32_t qh = 0;
    for (int i = 0; i < 32; i++) qh |= uint32_t(q[i] >> 4) << i;
    std::memcpy(x.qh, &qh, 4);
    for (int i = 0; i < 16; i++) x.qs[i] = uint8_t((q[i] & 15) | ((q[i + 16] & 15) << 4));
}

// One group: plain rows rows[r] (row_size bytes apart) <-> interleaved bytes g, for all K. Q4_0 and
// Q5_0: fp16 d[8], the low nibbles, and for Q5_0 the fifth-bit plane.
template <class Block, bool kToGroup>
void convert_q4_0_q5_0(uint8_t* rows, size_t row_bytes, uint8_t* g, int64_t K) {
    constexpr bool kFive = std::is_same_v<Block, block_q5_0>;
    constexpr size_t kGroup = kFive ? kQ5_0Group : kQ4_0Group;
    uint8_t code[R][32];
    for (int64_t b = 0; b < K / 32; b++, g += kGroup) {
        auto block = [&](int r) -> Block& { return reinterpret_cast<Block*>(rows + size_t(r) * row_bytes)[b]; };
        for (int r = 0; r < R; r++) {
            if constexpr (kToGroup) std::memcpy(g + 2 * r, &block(r).d, 2), get_block(block(r), code[r]);
            else std::memcpy(&block(r).d, g + 2 * r, 2);
        }
        if constexpr (kToGroup) {
            put_codes(code, g + 2 * R);
            if constexpr (kFive) put_fifth(code, g + 2 * R + 16 * R);
        } else {
            get_codes(g + 2 * R, code);
            if constexpr (kFive) add_fifth(g + 2 * R + 16 * R, code);
            for (int r = 0; r < R; r++) set_block(block(r), code[r]);
        }
    }
}

template <bool kToGroup>
void convert_q8_0(uint8_t* rows, size_t row_bytes, uint8_t* g, int64_t K) {
    for (int64_t b = 0; b < K / 32; b++, g += kQ8_0Group) {
        for (int r = 0; r < R; r++) {
            block_q8_0* x = reinterpret_cast<block_q8_0*>(rows + size_t(r) * row_bytes) + b;
            uint8_t* d = g + 2 * r;
            uint8_t* q = reinterpret_cast<uint8_t*>(x->qs);
            if constexpr (kToGroup) std::memcpy(d, &x->d, 2);
            else std::memcpy(&x->d, d, 2);
            for (int j = 0; j < 8; j++) {
                uint8_t* c = g + 2 * R + (j * R + r) * 4;
                if constexpr (kToGroup) std::memcpy(c, q + 4 * j, 4);
                else std::memcpy(q + 4 * j, c, 4);
            }
        }
    }
}

template <bool kToGroup>
void convert_q4_K(uint8_t* rows, size_t row_bytes, uint8_t* g, int64_t K) {
    uint8_t code[R][32], sc[R][8], mn[R][8];
    for (int64_t b = 0; b < K / QK_K; b++, g += kQ4_KGroup) {
        uint8_t* gd = g;                 // fp16 d[8], dmin[8]
        uint8_t* gsc = g + 4 * R;        // [sub][row]
        uint8_t* gmn = gsc + 8 * R;      // [pair][row][2]
        uint8_t* gq = gmn + 8 * R;       // [sub][128]
        for (int r = 0; r < R; r++) {
            block_q4_K* x = reinterpret_cast<block_q4_K*>(rows + size_t(r) * row_bytes) + b;
            if constexpr (kToGroup) {
                std::memcpy(gd + 2 * r, &x->d, 2);
                std::memcpy(gd + 2 * R + 2 * r, &x->dmin, 2);
                unpack_k4_scales(x->scales, sc[r], mn[r]);
                for (int s = 0; s < 8; s++) gsc[s * R + r] = sc[r][s], gmn[((s / 2) * R + r) * 2 + s % 2] = mn[r][s];
            } else {
                std::memcpy(&x->d, gd + 2 * r, 2);
                std::memcpy(&x->dmin, gd + 2 * R + 2 * r, 2);
                for (int s = 0; s < 8; s++) sc[r][s] = gsc[s * R + r], mn[r][s] = gmn[((s / 2) * R + r) * 2 + s % 2];
                pack_k4_scales(sc[r], mn[r], x->scales);
            }
        }
        for (int s = 0; s < 8; s++) {
            if constexpr (kToGroup) {
                for (int r = 0; r < R; r++) {
                    const block_q4_K* x = reinterpret_cast<const block_q4_K*>(rows + size_t(r) * row_bytes) + b;
                    for (int i = 0; i < 32; i++) code[r][i] = (x->qs[(s / 2) * 32 + i] >> (4 * (s % 2))) & 15;
                }
                put_codes(code, gq + 128 * s);
            } else {
                get_codes(gq + 128 * s, code);
                for (int r = 0; r < R; r++) {
                    block_q4_K* x = reinterpret_cast<block_q4_K*>(rows + size_t(r) * row_bytes) + b;
                    for (int i = 0; i < 32; i++) {
                        uint8_t& q = x->qs[(s / 2) * 32 + i];
                        q = s % 2 ? uint8_t((q & 15) | (code[r][i] << 4)) : code[r][i];
                    }
                }
            }
        }
    }
}

template <bool kToGroup>
void convert_q6_K(uint8_t* rows, size_t row_bytes, uint8_t* g, int64_t K) {
    uint8_t code[R][32];
    for (int64_t b = 0; b < K / QK_K; b++, g += kQ6_KGroup) {
        int8_t* gsc = reinterpret_cast<int8_t*>(g + 2 * R);  // [pair (= sub-block)][row][2]
        auto block = [&](int r) -> block_q6_K& { return reinterpret_cast<block_q6_K*>(rows + size_t(r) * row_bytes)[b]; };
        for (int r = 0; r < R; r++) {
            if constexpr (kToGroup) std::memcpy(g + 2 * r, &block(r).d, 2);
            else std::memcpy(&block(r).d, g + 2 * r, 2);
            for (int sg = 0; sg < 16; sg++) {
                int8_t& packed = gsc[((sg / 2) * R + r) * 2 + sg % 2];
                if constexpr (kToGroup) packed = block(r).scales[sg];
                else block(r).scales[sg] = packed;
            }
        }
        if constexpr (!kToGroup)
            for (int r = 0; r < R; r++) {  // the codes are OR-ed in below
                std::memset(block(r).ql, 0, sizeof block(r).ql);
                std::memset(block(r).qh, 0, sizeof block(r).qh);
            }
        for (int s = 0; s < 8; s++) {
            uint8_t* gq = g + 2 * R + 16 * R + 192 * s;
            const Q6Sub q = q6_sub(s);
            if constexpr (kToGroup) {
                uint8_t low[R][32];
                for (int r = 0; r < R; r++) {
                    const uint8_t* ql = block(r).ql + q.ql_off;
                    const uint8_t* qh = block(r).qh + q.qh_off;
                    for (int i = 0; i < 32; i++) {
                        low[r][i] = (ql[i] >> q.lo_shift) & 15;
                        code[r][i] = uint8_t(low[r][i] | (((qh[i] >> q.hi_shift) & 3) << 4));
                    }
                }
                put_codes(low, gq);
                put_high(code, gq + 128);
            } else {
                get_codes(gq, code);
                add_high(gq + 128, code);
                for (int r = 0; r < R; r++) {
                    uint8_t* ql = block(r).ql + q.ql_off;
                    uint8_t* qh = block(r).qh + q.qh_off;
                    for (int i = 0; i < 32; i++) {
                        ql[i] = uint8_t(ql[i] | ((code[r][i] & 15) << q.lo_shift));
                        qh[i] = uint8_t(qh[i] | ((code[r][i] >> 4) << q.hi_shift));
                    }
                }
            }
        }
    }
}

template <bool kToGroup>
void convert(Type t, uint8_t* rows, uint8_t* g, int64_t K) {
    const size_t row_bytes = row_size(t, K);
    if (t == Type::Q4_0) convert_q4_0_q5_0<block_q4_0, kToGroup>(rows, row_bytes, g, K);
    else if (t == Type::Q5_0) convert_q4_0_q5_0<block_q5_0, kToGroup>(rows, row_bytes, g, K);
    else if (t == Type::Q8_0) convert_q8_0<kToGroup>(rows, row_bytes, g, K);
    else if (t == Type::Q4_K) convert_q4_K<kToGroup>(rows, row_bytes, g, K);
    else convert_q6_K<kToGroup>(rows, row_bytes, g, K);
}

}  // namespace

size_t repacked_row_bytes(Type t, int64_t K) {
    if (t == Type::Q4_0) return size_t(K / 32) * kQ4_0Group / R;
    if (t == Type::Q5_0) return size_t(K / 32) * kQ5_0Group / R;
    if (t == Type::Q8_0) return size_t(K / 32) * kQ8_0Group / R;
    return size_t(K / QK_K) * (t == Type::Q4_K ? kQ4_KGroup : kQ6_KGroup) / R;
}

bool repack_supported(Type t, int64_t K, int64_t M) {
    if (M % R != 0 || M <= 0) return false;
    if (!((t == Type::Q4_0 || t == Type::Q5_0 || t == Type::Q8_0) && K % 32 == 0) && !((t == Type::Q4_K || t == Type::Q6_K) && K % QK_K == 0)) return false;
    return quant_dot_table().dot_r8[int(t)] != nullptr;  // the scalar table has none
}

void repack_rows(Type t, const void* src, void* dst, int64_t K, int64_t M, int n_threads) {
    const size_t plain = row_size(t, K), packed = repacked_row_bytes(t, K);
    ggml::parallel_for_static(M / R, n_threads, [&](int64_t grp) {
        uint8_t* rows = const_cast<uint8_t*>(static_cast<const uint8_t*>(src)) + size_t(grp * R) * plain;
        convert<true>(t, rows, static_cast<uint8_t*>(dst) + size_t(grp * R) * packed, K);  // reads rows only
    });
}

void repack_tensor(Tensor* t, void* dst, int n_threads) {
    const int64_t K = t->ne[0], M = t->ne[1];
    repack_rows(t->type, t->data, dst, K, M, n_threads);
    t->data = dst;
    t->nb[1] = repacked_row_bytes(t->type, K);
    t->nb[2] = t->nb[3] = t->nb[1] * size_t(M);
}

bool is_repacked(const Tensor* t) {
    const char* l = t->buffer ? t->buffer->layout() : nullptr;
    return l && std::strcmp(l, kRepackedLayout) == 0;
}

namespace {

// The panel's code bytes (quant_dot.h: [step 0..7][row][4]) from one interleaved 32-element block's 4 code
// vectors: vector j ([row][4] bytes) holds steps 2j (low nibbles) and 2j + 1 (high nibbles).
// high(j, i, &lo, &hi) gives the bits above the nibbles of the two codes in byte i of vector j (Q5_0's
// fifth bit, Q6_K's two high bits), already shifted to bit 4: lo for step 2j's code, hi for step 2j + 1's.
template <class High>
void put_nibble_steps(const uint8_t* codes, uint8_t* dst, High high) {
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 32; i++) {
            const uint8_t v = codes[32 * j + i];
            uint8_t lo, hi;
            high(j, i, &lo, &hi);
            dst[64 * j + i] = uint8_t((v & 15) | lo), dst[64 * j + 32 + i] = uint8_t((v >> 4) | hi);
        }
}

// The 8 rows' fp16 values at p (a group's d[8] or dmin[8]) as floats, converted with the SIMD level's kernel:
// the portable fp16_to_fp32 (a call, branches, ldexp for the subnormal mins of Q4_K) took a third of the
// panel building.
void f16x8(const uint8_t* p, float* out) {
    uint16_t h[R];
    std::memcpy(h, p, sizeof h);
    vec_f16_to_f32(R, out, h);
}

}  // namespace

void repacked_to_panel(Type t, const void* group, int64_t c0, int64_t nc, uint8_t* dst) {
    const uint8_t* g = static_cast<const uint8_t*>(group);
    const QKind kind = qkind_of(t);
    const size_t cb = qpanel_chunk_bytes(kind);
    const auto none = [](int, int, uint8_t* lo, uint8_t* hi) { *lo = *hi = 0; };
    float d[R], dmin[R];  // K types: the super-block's, converted once for its 8 chunks
    for (int64_t c = c0; c < c0 + nc; c++, dst += cb) {
        float* dw = reinterpret_cast<float*>(dst + (kind == QKind::U8 ? 512 : 256));
        float* mw = dw + R;  // both halves' min terms
        const bool new_super = c == c0 || c % 8 == 0;
        switch (t) {
        case Type::Q4_K: {
            const uint8_t* sb = g + size_t(c / 8) * kQ4_KGroup;
            const int s = int(c % 8);
            if (new_super) f16x8(sb, d), f16x8(sb + 2 * R, dmin);
            for (int r = 0; r < R; r++) {
                dw[r] = d[r] * float(sb[4 * R + s * R + r]);
                mw[r] = mw[R + r] = -dmin[r] * float(sb[12 * R + ((s / 2) * R + r) * 2 + s % 2]);
            }
            put_nibble_steps(sb + 20 * R + 128 * s, dst, none);
            break;
        }
        case Type::Q6_K: {  // codes 0..63, the int scale of each half chunk in sc[half][row] (int16 pairs)
            const uint8_t* sb = g + size_t(c / 8) * kQ6_KGroup;
            const int s = int(c % 8);
            int32_t* sc = reinterpret_cast<int32_t*>(mw + 2 * R);
            if (new_super) f16x8(sb, d);
            for (int r = 0; r < R; r++) {
                dw[r] = d[r];
                for (int h = 0; h < 2; h++) {
                    const int v = int8_t(sb[2 * R + (s * R + r) * 2 + h]);
                    mw[h * R + r] = -32.0f * dw[r] * float(v);
                    const uint32_t u = uint16_t(int16_t(v));
                    sc[h * R + r] = int32_t(u | (u << 16));
                }
            }
            const uint8_t* sub = sb + 18 * R + 192 * s;
            const uint8_t* hb = sub + 128;  // byte [j / 2][row][i]: codes 8j + i at bits 4(j % 2), 8j + 4 + i 2 above
            put_nibble_steps(sub, dst, [hb](int j, int i, uint8_t* lo, uint8_t* hi) {
                const int v = hb[32 * (j / 2) + i] >> (4 * (j % 2));
                *lo = uint8_t((v & 3) << 4), *hi = uint8_t(((v >> 2) & 3) << 4);
            });
            break;
        }
        case Type::Q5_0: {
            const uint8_t* b = g + size_t(c) * kQ5_0Group;
            f16x8(b, dw);
            for (int r = 0; r < R; r++) mw[r] = mw[R + r] = -16.0f * dw[r];
            const uint8_t* fifth = b + 18 * R;  // byte [row][i]: codes 8j + i at bit 2j, 8j + 4 + i at bit 2j + 1
            put_nibble_steps(b + 2 * R, dst, [fifth](int j, int i, uint8_t* lo, uint8_t* hi) {
                *lo = uint8_t(((fifth[i] >> (2 * j)) & 1) << 4), *hi = uint8_t(((fifth[i] >> (2 * j + 1)) & 1) << 4);
            });
            break;
        }
        case Type::Q4_0: {
            const uint8_t* b = g + size_t(c) * kQ4_0Group;
            f16x8(b, dw);
            for (int r = 0; r < R; r++) mw[r] = mw[R + r] = -8.0f * dw[r];
            put_nibble_steps(b + 2 * R, dst, none);
            break;
        }
        case Type::Q8_0: {  // step j is code bytes [j]; the panel holds code + 128 as two 4-bit planes
            const uint8_t* b = g + size_t(c) * kQ8_0Group;
            f16x8(b, dw);
            for (int r = 0; r < R; r++) mw[r] = mw[R + r] = -128.0f * dw[r];
            for (int i = 0; i < 256; i++) {
                const uint8_t u = uint8_t(b[2 * R + i] ^ 0x80);
                dst[i] = u & 15, dst[256 + i] = u >> 4;
            }
            break;
        }
        default: throw std::invalid_argument(std::string("repacked_to_panel: no interleaved form of ") + type_name(t));
        }
    }
}

void unrepack_group(Type t, const void* group, void* dst, int64_t K) {
    convert<false>(t, static_cast<uint8_t*>(dst), const_cast<uint8_t*>(static_cast<const uint8_t*>(group)), K);
}

}  // namespace ggml::cpu
