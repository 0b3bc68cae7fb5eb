// The x86 quantized kernels, written once and compiled twice: by quant_dot_avx2.cpp (QD_VNNI 0: u8 x s8
// products with maddubs + madd) and by quant_dot_avx512.cpp (QD_VNNI 1: the same 256-bit code with the
// u8 x s8 four-product sums done by AVX512-VNNI vpdpbusd where they need no int16 scale). Include only
// from those two files, inside namespace ggml::cpu.
//
// Integer arithmetic is exact: activation codes are in [-127, 127], so |x| * sign(y, x) never overflows,
// maddubs pair sums stay below 2^15 (weights <= 63 unsigned or |w| <= 127 against |a| <= 127) and int16
// accumulators are flushed into int32 before they could wrap.
namespace {

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}
inline int hsum_i32(__m256i v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4E));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xB1));
    return _mm_cvtsi128_si32(x);
}
inline float hmax(__m256 v) {
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

inline __m256i loadu(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Asks for the lines kPrefetchBytes ahead of a loop step that reads `step` bytes from p: enough lines that
// consecutive steps leave no line of the stream unasked, whatever its alignment (a gap of one or two lines
// per step, as Q4_K and Q6_K had with whole lines per sub-block, cost their decode 5-8 % of the read
// bandwidth: each unasked line is a demand miss). Past a row's end, kPrefetchBytes ahead is the next row,
// which the same thread reads next.
inline void prefetch_ahead(const void* p, size_t step) {
    for (size_t o = 0; o < step; o += 64) _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes + o, _MM_HINT_T0);
}

// Sums of 4 consecutive u8 * s8 products, as 8 int32.
inline __m256i dot_us(__m256i u, __m256i s) {
#if QD_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}
// acc plus dot_us(u, s): with VNNI one accumulating instruction.
inline __m256i dot_us_add(__m256i acc, __m256i u, __m256i s) {
#if QD_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, dot_us(u, s));
#endif
}
// The same for s8 * s8 (y never -128).
inline __m256i dot_ss(__m256i x, __m256i y) { return dot_us(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x)); }
// Sums of pairs of u8 * s8 products times int16 scales (pairs) sc: int32.
inline __m256i dot_us_scaled(__m256i u, __m256i s, __m256i sc) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), sc);
}

// 16 bytes of nibbles -> 32 codes (low nibbles, then high nibbles).
inline __m256i nib32(const uint8_t* qs) {
    // the 16 bytes in both halves; the high half shifted right by 4 (64-bit shifts: the bits crossing
    // into a byte from its neighbour are masked off).
    const __m256i t = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    return _mm256_and_si256(_mm256_srlv_epi64(t, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(15));
}
// 32 bits (little-endian at p) -> 32 bytes, 0x10 where the bit is set.
inline __m256i bit5_32(const uint8_t* p) {
    uint32_t h;
    std::memcpy(&h, p, 4);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(int(h)),
                                    _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i m = _mm256_set1_epi64x(int64_t(0x8040201008040201ULL));
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, m), m);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}
// Bit `sh` of each of 32 bytes (sh < 8), moved to bit `to`.
inline __m256i bit_of(__m256i v, int sh, int to) {
    const __m256i b = _mm256_and_si256(_mm256_srli_epi16(v, sh), _mm256_set1_epi8(1));
    return _mm256_slli_epi16(b, to);
}
// Two 16-element groups' int16 scales: s0 for the low 16 bytes, s1 for the high 16.
inline __m256i scales2(int s0, int s1) {
    return _mm256_set_m128i(_mm_set1_epi16(int16_t(s1)), _mm_set1_epi16(int16_t(s0)));
}

// ---- dot products --------------------------------------------------------------------------------
// Q4_0: the unsigned nibbles times the activations minus 8 times the activations, both as u8 x s8 pair sums
// (|pair| <= 2 * 15 * 127, no saturation), so no sign juggling is needed.
inline __m256i dot_q4_0_block(const block_q4_0& x, const block_q8_0& y) {
    const __m256i a = loadu(y.qs);
#if QD_VNNI
    return _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), nib32(x.qs), a),
                            _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), a));
#else
    const __m256i d16 = _mm256_sub_epi16(_mm256_maddubs_epi16(nib32(x.qs), a), _mm256_maddubs_epi16(_mm256_set1_epi8(8), a));
    return _mm256_madd_epi16(d16, _mm256_set1_epi16(1));
#endif
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    const int64_t nb = n / QK4_0;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        const __m256i p0 = dot_q4_0_block(x[ib], y[ib]);
        const __m256i p1 = dot_q4_0_block(x[ib + 1], y[ib + 1]);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(h2f(x[ib + 1].d) * h2f(y[ib + 1].d)), acc1);
    }
    for (; ib < nb; ib++) {
        const __m256i p0 = dot_q4_0_block(x[ib], y[ib]);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc0);
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

// With the activation aux (float scale, code sum): unsigned codes straight into u8 x s8, the offset taken
// off in int32 (offset * sum / 8 from each of the 8 lanes), one scale multiply from memory.
template <bool kFive, class Block>
float dot_aux(int64_t n, const Block* x, const block_q8_0* y, const QActAux* aux) {
    const int64_t nb = n / QK4_0;
    constexpr int kLaneOff = kFive ? 2 : 1;  // (16 or 8) * sum spread over 8 lanes
    auto block = [&](int64_t ib, __m256 acc) {
        __m256i q = nib32(x[ib].qs);
        if constexpr (kFive) q = _mm256_or_si256(q, bit5_32(x[ib].qh));
        __m256i p = dot_us(q, loadu(y[ib].qs));
        p = _mm256_sub_epi32(p, _mm256_set1_epi32(kLaneOff * aux[ib].sum));
        return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[ib].d) * aux[ib].d), acc);
    };
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        prefetch_ahead(x + ib, 2 * sizeof(Block));
        acc0 = block(ib, acc0);
        acc1 = block(ib + 1, acc1);
    }
    if (ib < nb) acc0 = block(ib, acc0);
    return hsum(_mm256_add_ps(acc0, acc1));
}
float dot_aux_q4_0(int64_t n, const void* w, const void* a, const QActAux* aux) {
    return dot_aux<false>(n, static_cast<const block_q4_0*>(w), static_cast<const block_q8_0*>(a), aux);
}
float dot_aux_q5_0(int64_t n, const void* w, const void* a, const QActAux* aux) {
    return dot_aux<true>(n, static_cast<const block_q5_0*>(w), static_cast<const block_q8_0*>(a), aux);
}

float dot_q4_1(int64_t n, const void* w, const void* a) {
    const block_q4_1* x = static_cast<const block_q4_1*>(w);
    const block_q8_1* y = static_cast<const block_q8_1*>(a);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t ib = 0; ib < n / QK4_1; ib++) {
        const __m256i p = dot_us(nib32(x[ib].qs), loadu(y[ib].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc);
        mins += h2f(x[ib].m) * h2f(y[ib].s);
    }
    return hsum(acc) + mins;
}

float dot_q5_0(int64_t n, const void* w, const void* a) {
    const block_q5_0* x = static_cast<const block_q5_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    __m256 acc = _mm256_setzero_ps();
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (int64_t ib = 0; ib < n / QK5_0; ib++) {
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(nib32(x[ib].qs), bit5_32(x[ib].qh)), sixteen);
        const __m256i p = dot_ss(q, loadu(y[ib].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc);
    }
    return hsum(acc);
}

float dot_q5_1(int64_t n, const void* w, const void* a) {
    const block_q5_1* x = static_cast<const block_q5_1*>(w);
    const block_q8_1* y = static_cast<const block_q8_1*>(a);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t ib = 0; ib < n / QK5_1; ib++) {
        const __m256i q = _mm256_or_si256(nib32(x[ib].qs), bit5_32(x[ib].qh));
        const __m256i p = dot_us(q, loadu(y[ib].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc);
        mins += h2f(x[ib].m) * h2f(y[ib].s);
    }
    return hsum(acc) + mins;
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
    const block_q8_0* x = static_cast<const block_q8_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    const int64_t nb = n / QK8_0;
    auto block = [&](int64_t ib, __m256 acc) {
        const __m256i p = dot_ss(loadu(x[ib].qs), loadu(y[ib].qs));
        return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[ib].d) * h2f(y[ib].d)), acc);
    };
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
           acc3 = _mm256_setzero_ps();
    int64_t ib = 0;
    for (; ib + 3 < nb; ib += 4) {
        prefetch_ahead(x + ib, 4 * sizeof(block_q8_0));
        acc0 = block(ib, acc0);
        acc1 = block(ib + 1, acc1);
        acc2 = block(ib + 2, acc2);
        acc3 = block(ib + 3, acc3);
    }
    for (; ib < nb; ib++) acc0 = block(ib, acc0);
    return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

float dot_q2_K(int64_t n, const void* w, const void* a) {
    const block_q2_K* x = static_cast<const block_q2_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        const uint8_t* sc = x[ib].scales;
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i q = loadu(x[ib].qs + 32 * h);
            for (int s = 0; s < 4; s++) {
                const int c = 4 * h + s;  // chunk of 32
                const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), three);
                isum = _mm256_add_epi32(isum, dot_us_scaled(codes, loadu(y[ib].qs + 32 * c),
                                                            scales2(sc[2 * c] & 15, sc[2 * c + 1] & 15)));
            }
        }
        const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sc));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s8, 4), _mm_set1_epi8(15)));
        const __m256i imin = _mm256_madd_epi16(loadu(y[ib].bsums), mins);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[ib].d * h2f(x[ib].d)), acc);
        accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin), _mm256_set1_ps(y[ib].d * h2f(x[ib].dmin)), accm);
    }
    return hsum(_mm256_sub_ps(acc, accm));
}

float dot_q3_K(int64_t n, const void* w, const void* a) {
    const block_q3_K* x = static_cast<const block_q3_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    __m256 acc = _mm256_setzero_ps();
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        const uint8_t* s = x[ib].scales;
        int16_t sc[16];
        for (int g = 0; g < 16; g++) {
            const int lo = g < 8 ? (s[g] & 15) : (s[g - 8] >> 4);
            const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
            sc[g] = int16_t((lo | (hi << 4)) - 32);
        }
        const __m256i hm = loadu(x[ib].hmask);
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i q = loadu(x[ib].qs + 32 * h);
            for (int j = 0; j < 4; j++) {
                const int c = 4 * h + j;
                const __m256i codes =
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three), bit_of(hm, c, 2));
                isum = _mm256_add_epi32(isum, dot_us_scaled(codes, loadu(y[ib].qs + 32 * c),
                                                            scales2(sc[2 * c], sc[2 * c + 1])));
            }
        }
        const __m256i off = _mm256_madd_epi16(loadu(y[ib].bsums), loadu(sc));  // codes are q + 4
        isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(off, 2));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[ib].d * h2f(x[ib].d)), acc);
    }
    return hsum(acc);
}

// The 8 scales and 8 mins of a Q4_K / Q5_K super-block as bytes (sc in sm[0..7], mn in sm[8..15]),
// straight from the packed 12 bytes with 32-bit word operations.
inline __m128i scales_mins_k4(const uint8_t* s) {
    uint32_t u[3];
    std::memcpy(u, s, 12);
    const uint32_t sc_lo = u[0] & 0x3f3f3f3f, mn_lo = u[1] & 0x3f3f3f3f;
    const uint32_t sc_hi = (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4);
    const uint32_t mn_hi = ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4);
    return _mm_setr_epi32(int(sc_lo), int(sc_hi), int(mn_lo), int(mn_hi));
}

template <bool kFive, class Block>
float dot_k45(int64_t n, const Block* x, const block_q8_K* y) {
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        prefetch_ahead(x + ib, sizeof(Block));
        const __m128i sm = scales_mins_k4(x[ib].scales);
        // int16 scales of groups 0..7 in both 128-bit halves; group g's scale spread by a byte shuffle.
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
        __m256i hb = _mm256_setzero_si256();
        if constexpr (kFive) hb = loadu(x[ib].qh);
        __m256i isum = _mm256_setzero_si256();
        for (int p = 0; p < 4; p++) {
            const __m256i q = loadu(x[ib].qs + 32 * p);
            __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            if constexpr (kFive) {
                lo = _mm256_or_si256(lo, bit_of(hb, 2 * p, 4));
                hi = _mm256_or_si256(hi, bit_of(hb, 2 * p + 1, 4));
            }
            const __m256i s_lo = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(int16_t(0x0100 * (4 * p + 1) + 4 * p)));
            const __m256i s_hi = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(int16_t(0x0100 * (4 * p + 3) + 4 * p + 2)));
            isum = _mm256_add_epi32(isum, dot_us_scaled(lo, loadu(y[ib].qs + 64 * p), s_lo));
            isum = _mm256_add_epi32(isum, dot_us_scaled(hi, loadu(y[ib].qs + 64 * p + 32), s_hi));
        }
        // mins: group g pairs with bsums 2g, 2g+1 -> int32 lane g = bsums[2g] + bsums[2g+1].
        const __m256i bs = _mm256_madd_epi16(loadu(y[ib].bsums), ones);
        const __m256i mn = _mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8));
        const __m256i imin = _mm256_mullo_epi32(bs, mn);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[ib].d * h2f(x[ib].d)), acc);
        accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin), _mm256_set1_ps(y[ib].d * h2f(x[ib].dmin)), accm);
    }
    return hsum(_mm256_sub_ps(acc, accm));
}
float dot_q4_K(int64_t n, const void* w, const void* a) {
    return dot_k45<false>(n, static_cast<const block_q4_K*>(w), static_cast<const block_q8_K*>(a));
}
float dot_q5_K(int64_t n, const void* w, const void* a) {
    return dot_k45<true>(n, static_cast<const block_q5_K*>(w), static_cast<const block_q8_K*>(a));
}

float dot_q6_K(int64_t n, const void* w, const void* a) {
    const block_q6_K* x = static_cast<const block_q6_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    __m256 acc = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3);
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        prefetch_ahead(x + ib, sizeof(block_q6_K));
        const int8_t* sc = x[ib].scales;
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i l0 = loadu(x[ib].ql + 64 * h), l1 = loadu(x[ib].ql + 64 * h + 32);
            const __m256i qh = loadu(x[ib].qh + 32 * h);
            const __m256i lows[4] = {_mm256_and_si256(l0, m4), _mm256_and_si256(l1, m4),
                                     _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                     _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4)};
            for (int j = 0; j < 4; j++) {
                const int c = 4 * h + j;
                const __m256i highs = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), m2), 4);
                const __m256i codes = _mm256_or_si256(lows[j], highs);
                isum = _mm256_add_epi32(isum, dot_us_scaled(codes, loadu(y[ib].qs + 32 * c),
                                                            scales2(sc[2 * c], sc[2 * c + 1])));
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
        const __m256i off = _mm256_madd_epi16(loadu(y[ib].bsums), sc16);  // codes are q + 32
        isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(off, 5));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[ib].d * h2f(x[ib].d)), acc);
    }
    return hsum(acc);
}

// ---- activation quantizers (bit-identical to the scalar ones) ---------------------------------------
inline __m256 absf(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
inline __m256i round_i32(__m256 v) {
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
// 32 floats -> 32 int8 codes at q (x * id rounded to nearest even); returns their int32 partial sums.
inline __m256i quant32(const float* x, float id, int8_t* q) {
    const __m256 vid = _mm256_set1_ps(id);
    const __m256i i0 = round_i32(_mm256_mul_ps(_mm256_loadu_ps(x), vid));
    const __m256i i1 = round_i32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), vid));
    const __m256i i2 = round_i32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), vid));
    const __m256i i3 = round_i32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), vid));
    const __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
    const __m256i p = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), p);
    return _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
}
inline float amax32(const float* x) {
    const __m256 m = _mm256_max_ps(_mm256_max_ps(absf(_mm256_loadu_ps(x)), absf(_mm256_loadu_ps(x + 8))),
                                   _mm256_max_ps(absf(_mm256_loadu_ps(x + 16)), absf(_mm256_loadu_ps(x + 24))));
    return hmax(m);
}

void act_q8_0(const float* x, void* yv, int64_t n) {
    block_q8_0* y = static_cast<block_q8_0*>(yv);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        const float d = amax32(x) / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[ib].d = fp32_to_fp16(d);
        quant32(x, id, y[ib].qs);
    }
}

void act_q8_1(const float* x, void* yv, int64_t n) {
    block_q8_1* y = static_cast<block_q8_1*>(yv);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, x += QK8_1) {
        const float d = amax32(x) / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const int sum = hsum_i32(quant32(x, id, y[ib].qs));
        y[ib].d = fp32_to_fp16(d);
        y[ib].s = fp32_to_fp16(fp16_to_fp32(y[ib].d) * float(sum));
    }
}

void act_q8_K(const float* x, void* yv, int64_t n) {
    block_q8_K* y = static_cast<block_q8_K*>(yv);
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        float amax = 0.0f;
        for (int c = 0; c < 8; c++) amax = std::max(amax, amax32(x + 32 * c));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[ib].d = d;
        for (int c = 0; c < 8; c++) quant32(x + 32 * c, id, y[ib].qs + 32 * c);
        const __m256i ones = _mm256_set1_epi16(1);
        for (int g = 0; g < 16; g += 2) {
            // bsums of groups g and g + 1: 16 int8 each -> int16 pair sums -> int32.
            const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y[ib].qs + 16 * g)));
            const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y[ib].qs + 16 * g + 16)));
            y[ib].bsums[g] = int16_t(hsum_i32(_mm256_madd_epi16(w0, ones)));
            y[ib].bsums[g + 1] = int16_t(hsum_i32(_mm256_madd_epi16(w1, ones)));
        }
    }
}

// ---- the packed micro-kernel: P panels (8 P weight rows) x 4 activation rows ----------------------------
// Each weight load feeds 4 products and each activation broadcast P (P = 2: 16 accumulators of int16 plus
// 8 float accumulators; the float ones are touched once per chunk, so they may live in memory).
template <QKind kKind, int P>
void gemm_kernel(int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
                 int mrows, int ncols, bool accumulate) {
    constexpr int kPlanes = kKind == QKind::U8 ? 2 : 1;
    constexpr bool kHalf = kKind == QKind::H2 || kKind == QKind::H3 || kKind == QKind::H6;
    constexpr int kSeg = (kKind == QKind::U4 || kKind == QKind::U8) ? 8 : kKind == QKind::H6 ? 2 : 4;
    constexpr size_t kCB = kPlanes * 256 + 96 + (kHalf ? 64 : 0);
#if QD_VNNI
    constexpr bool kDp = !kHalf;
#else
    constexpr bool kDp = false;
#endif
    const uint8_t* wps[2] = {w0, P == 2 ? w1 : w0};
    __m256 acc[P * 4];
    for (int i = 0; i < P * 4; i++) acc[i] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1), sixteens = _mm256_set1_epi16(16);
    for (int64_t ch = 0; ch < nchunks; ch++, ap += kQActChunkBytes) {
        const float* da = reinterpret_cast<const float*>(ap + 128);
        __m256i isum[P * 4];
        for (int i = 0; i < P * 4; i++) isum[i] = _mm256_setzero_si256();
        if constexpr (kDp) {
            // VNNI: int32 accumulation straight from u8 x s8 (no int16 stage, no saturation).
            __m256i hi[P * 4];
            for (int i = 0; i < P * 4; i++) hi[i] = _mm256_setzero_si256();
#pragma GCC unroll 8
            for (int st = 0; st < 8; st++) {
                __m256i wl[P], wh[P];
                for (int p = 0; p < P; p++) {
                    wl[p] = _mm256_load_si256(reinterpret_cast<const __m256i*>(wps[p] + st * 32));
                    wh[p] = kPlanes == 2 ? _mm256_load_si256(reinterpret_cast<const __m256i*>(wps[p] + 256 + st * 32))
                                         : _mm256_setzero_si256();
                }
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    int32_t a4;
                    std::memcpy(&a4, ap + j * 32 + st * 4, 4);
                    const __m256i av = _mm256_set1_epi32(a4);
                    for (int p = 0; p < P; p++) {
                        isum[p * 4 + j] = _mm256_dpbusd_epi32(isum[p * 4 + j], wl[p], av);
                        if constexpr (kPlanes == 2) hi[p * 4 + j] = _mm256_dpbusd_epi32(hi[p * 4 + j], wh[p], av);
                    }
                }
            }
            if constexpr (kPlanes == 2)
                for (int i = 0; i < P * 4; i++) isum[i] = _mm256_add_epi32(isum[i], _mm256_slli_epi32(hi[i], 4));
        } else {
            (void)sixteens;
#pragma GCC unroll 2
            for (int pl = 0; pl < kPlanes; pl++) {
                __m256i s16[P * 4];
                for (int i = 0; i < P * 4; i++) s16[i] = _mm256_setzero_si256();
#pragma GCC unroll 8
                for (int st = 0; st < 8; st++) {
                    __m256i w[P];
                    for (int p = 0; p < P; p++)
                        w[p] = _mm256_load_si256(reinterpret_cast<const __m256i*>(wps[p] + pl * 256 + st * 32));
#pragma GCC unroll 4
                    for (int j = 0; j < 4; j++) {
                        int32_t a4;
                        std::memcpy(&a4, ap + j * 32 + st * 4, 4);
                        const __m256i av = _mm256_set1_epi32(a4);
                        for (int p = 0; p < P; p++) {
                            s16[p * 4 + j] = _mm256_add_epi16(s16[p * 4 + j], _mm256_maddubs_epi16(w[p], av));
                            // Keeps each accumulation a chain: without it GCC reassociates the 8 adds into
                            // a tree, keeping all the products live at once and spilling them.
                            __asm__("" : "+x"(s16[p * 4 + j]));
                        }
                    }
                    if ((st + 1) % kSeg == 0) {
                        for (int p = 0; p < P; p++) {
                            __m256i scale;
                            if constexpr (kHalf)
                                scale = _mm256_load_si256(reinterpret_cast<const __m256i*>(wps[p] + kPlanes * 256 + 96) + st / 4);
                            else scale = pl == 0 ? ones : sixteens;
                            for (int j = 0; j < 4; j++) {
                                isum[p * 4 + j] = _mm256_add_epi32(isum[p * 4 + j], _mm256_madd_epi16(s16[p * 4 + j], scale));
                                s16[p * 4 + j] = _mm256_setzero_si256();
                            }
                        }
                    }
                }
            }
        }
        for (int p = 0; p < P; p++) {
            const float* dwp = reinterpret_cast<const float*>(wps[p] + kPlanes * 256);
            const __m256 dw = _mm256_load_ps(dwp), mw0 = _mm256_load_ps(dwp + 8);
            const __m256 mw1 = kHalf ? _mm256_load_ps(dwp + 16) : mw0;
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[p * 4 + j]), _mm256_mul_ps(dw, _mm256_broadcast_ss(da + j)),
                                           acc[p * 4 + j]);
                if constexpr (kHalf) {
                    v = _mm256_fmadd_ps(mw0, _mm256_broadcast_ss(da + 4 + j), v);
                    v = _mm256_fmadd_ps(mw1, _mm256_broadcast_ss(da + 8 + j), v);
                } else {
                    v = _mm256_fmadd_ps(mw0, _mm256_broadcast_ss(da + 12 + j), v);  // mw0 == mw1
                }
                acc[p * 4 + j] = v;
            }
        }
        for (int p = 0; p < P; p++) wps[p] += kCB;
    }
    for (int p = 0; p < P; p++) {
        const int rows = std::min(mrows - p * kQPanelRows, kQPanelRows);
        if (rows <= 0) break;
        float* cp = c + p * kQPanelRows;
        if (rows == kQPanelRows) {
            for (int j = 0; j < ncols; j++) {
                __m256 v = acc[p * 4 + j];
                if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(cp + j * ldc));
                _mm256_storeu_ps(cp + j * ldc, v);
            }
        } else {
            alignas(32) float t[8];
            for (int j = 0; j < ncols; j++) {
                _mm256_store_ps(t, acc[p * 4 + j]);
                for (int i = 0; i < rows; i++) cp[j * ldc + i] = accumulate ? cp[j * ldc + i] + t[i] : t[i];
            }
        }
    }
}

template <QKind kKind>
void gemm_kind(int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
               int mrows, int ncols, bool accumulate) {
    if (w1) gemm_kernel<kKind, 2>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate);
    else gemm_kernel<kKind, 1>(nchunks, w0, w0, ap, c, ldc, mrows, ncols, accumulate);
}

void gemm(QKind kind, int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
          int mrows, int ncols, bool accumulate) {
    switch (kind) {
        case QKind::U4: gemm_kind<QKind::U4>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::U5: gemm_kind<QKind::U5>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::U8: gemm_kind<QKind::U8>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::H2: gemm_kind<QKind::H2>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::H3: gemm_kind<QKind::H3>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        default: gemm_kind<QKind::H6>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
    }
}

#if QD_VNNI
// ---- the wide micro-kernel (AVX-512 VNNI): P wide panels (16 P weight rows) x 4 activation rows --------
// One zmm holds 16 rows of one step, so each vpdpbusd does 64 products: twice the ymm kernel's work per
// instruction, with the per-chunk float epilogue shared by twice the rows. U4 / U5 / U8 kinds only.
template <QKind kKind, int P>
void gemm_wide_kernel(int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
                      int mrows, int ncols, bool accumulate) {
    constexpr int kPlanes = kKind == QKind::U8 ? 2 : 1;
    constexpr size_t kCB = kPlanes * 512 + 192;
    const uint8_t* wps[2] = {w0, P == 2 ? w1 : w0};
    __m512 acc[P * 4];
    for (int i = 0; i < P * 4; i++) acc[i] = _mm512_setzero_ps();
    for (int64_t ch = 0; ch < nchunks; ch++, ap += kQActChunkBytes) {
        const float* da = reinterpret_cast<const float*>(ap + 128);
        __m512i isum[P * 4], hi[P * 4];
        for (int i = 0; i < P * 4; i++) isum[i] = hi[i] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int st = 0; st < 8; st++) {
            __m512i wl[P], wh[P];
            for (int p = 0; p < P; p++) {
                wl[p] = _mm512_load_si512(wps[p] + st * 64);
                wh[p] = kPlanes == 2 ? _mm512_load_si512(wps[p] + 512 + st * 64) : _mm512_setzero_si512();
            }
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                int32_t a4;
                std::memcpy(&a4, ap + j * 32 + st * 4, 4);
                const __m512i av = _mm512_set1_epi32(a4);
                for (int p = 0; p < P; p++) {
                    isum[p * 4 + j] = _mm512_dpbusd_epi32(isum[p * 4 + j], wl[p], av);
                    if constexpr (kPlanes == 2) hi[p * 4 + j] = _mm512_dpbusd_epi32(hi[p * 4 + j], wh[p], av);
                }
            }
        }
        for (int p = 0; p < P; p++) {
            const float* dwp = reinterpret_cast<const float*>(wps[p] + kPlanes * 512);
            const __m512 dw = _mm512_loadu_ps(dwp), mw = _mm512_loadu_ps(dwp + 16);  // the halves' min terms agree
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m512i s = isum[p * 4 + j];
                if constexpr (kPlanes == 2) s = _mm512_add_epi32(s, _mm512_slli_epi32(hi[p * 4 + j], 4));
                __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(da[j])), acc[p * 4 + j]);
                acc[p * 4 + j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(da[12 + j]), v);
            }
            wps[p] += kCB;
        }
    }
    for (int p = 0; p < P; p++) {
        const int rows = std::min(mrows - p * 16, 16);
        if (rows <= 0) break;
        const __mmask16 m = __mmask16((1u << rows) - 1);
        float* cp = c + p * 16;
        for (int j = 0; j < ncols; j++) {
            __m512 v = acc[p * 4 + j];
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, cp + j * ldc));
            _mm512_mask_storeu_ps(cp + j * ldc, m, v);
        }
    }
}

template <QKind kKind>
void gemm_wide_kind(int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
                    int mrows, int ncols, bool accumulate) {
    if (w1) gemm_wide_kernel<kKind, 2>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate);
    else gemm_wide_kernel<kKind, 1>(nchunks, w0, w0, ap, c, ldc, mrows, ncols, accumulate);
}

void gemm_wide(QKind kind, int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c,
               int64_t ldc, int mrows, int ncols, bool accumulate) {
    switch (kind) {
        case QKind::U4: gemm_wide_kind<QKind::U4>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::U5: gemm_wide_kind<QKind::U5>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        default: gemm_wide_kind<QKind::U8>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
    }
}
#endif

// ---- interleaved decode (repack.h): 8 rows per group, lane r of every vector belongs to row r ----------
inline __m256i bcast4(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}
// The 8 rows' fp16 scales at p as floats.
inline __m256 half8(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
// Two int16 values as one 32-bit lane (a low, b high), for madd against per-row pairs.
inline int32_t pair16(int a, int b) { return int32_t(uint16_t(int16_t(a))) | (int32_t(b) << 16); }
// The 8 rows' unsigned-code dots over one 32-element block of 128 interleaved code bytes g against the
// activation codes a (32): int32 per row; _scaled multiplies row r's dot by row r's byte scale, sc as
// r8_scales reads the 8 scales (each variant in the lane form its multiply takes).
#if QD_VNNI
// The high nibbles are taken in place, as 16 x the code (one AND instead of shift and AND), into their
// own sum, divided by 16 (exactly) once at the end: 18 vector operations per block instead of 20, +4 % for
// the Q4_0 and Q4_K decode kernels with the weights in L2. That sum starts at -16 x `minus`, which the
// result then lacks at no cost (Q4_0's offset of the codes).
inline __m256i dot_r8_block(const uint8_t* g, const int8_t* a, int32_t minus = 0) {
    const __m256i m4 = _mm256_set1_epi8(15);
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(-16 * minus);
    for (int j = 0; j < 4; j++) {
        const __m256i v = loadu(g + 32 * j);
        lo = _mm256_dpbusd_epi32(lo, _mm256_and_si256(v, m4), bcast4(a + 8 * j));
        hi = _mm256_dpbusd_epi32(hi, _mm256_andnot_si256(m4, v), bcast4(a + 8 * j + 4));
    }
    return _mm256_add_epi32(lo, _mm256_srai_epi32(hi, 4));
}
// The 8 rows' byte scales at p, lane r = scale r as int32.
inline __m256i r8_scales(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i dot_r8_block_scaled(const uint8_t* g, const int8_t* a, __m256i sc) {
    return _mm256_mullo_epi32(dot_r8_block(g, a), sc);
}
#else
// int16 pair sums per row: the 8 maddubs results stay below 8 * 2 * 15 * 127 < 2^15.
inline __m256i dot_r8_pairs(const uint8_t* g, const int8_t* a) {
    const __m256i m4 = _mm256_set1_epi8(15);
    __m256i s = _mm256_setzero_si256();
    for (int j = 0; j < 4; j++) {
        const __m256i v = loadu(g + 32 * j);
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(v, m4), bcast4(a + 8 * j)));
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), bcast4(a + 8 * j + 4)));
    }
    return s;
}
inline __m256i dot_r8_block(const uint8_t* g, const int8_t* a, int32_t minus = 0) {
    return _mm256_sub_epi32(_mm256_madd_epi16(dot_r8_pairs(g, a), _mm256_set1_epi16(1)), _mm256_set1_epi32(minus));
}
// The 8 rows' byte scales at p, lane r = (scale r, scale r) as an int16 pair.
inline __m256i r8_scales(const uint8_t* p) {
    int64_t sc8;
    std::memcpy(&sc8, p, 8);
    const __m256i spread = _mm256_setr_epi8(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1,
                                            4, -1, 4, -1, 5, -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1);
    return _mm256_shuffle_epi8(_mm256_set1_epi64x(sc8), spread);
}
inline __m256i dot_r8_block_scaled(const uint8_t* g, const int8_t* a, __m256i sc) {
    return _mm256_madd_epi16(dot_r8_pairs(g, a), sc);
}
#endif

void dot_r8_q4_0(int64_t n, const void* w, const void* a, const QActAux* aux, float* out) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kQ4_0GroupBytes) {
        prefetch_ahead(g, kQ4_0GroupBytes);
        // codes minus 8: the offset times the activation block's code sum, per row
        const __m256i p = dot_r8_block(g + 16, y[ib].qs, 8 * aux[ib].sum);
        const __m256 d = _mm256_mul_ps(half8(g), _mm256_set1_ps(aux[ib].d));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc);
    }
    _mm256_storeu_ps(out, acc);
}

// Q5_0: Q4_0's dot with each code's fifth bit ORed in from the fifth-bit plane (repack.h): lane (r, i)
// of that vector holds the bits of the code bytes' lane (r, i) for every j, at bits 2j and 2j + 1.
inline __m256i bit4_from(__m256i hb, int shift) {  // shift > 0: left
    const __m256i v = shift >= 0 ? _mm256_slli_epi16(hb, shift) : _mm256_srli_epi16(hb, -shift);
    return _mm256_and_si256(v, _mm256_set1_epi8(16));
}
void dot_r8_q5_0(int64_t n, const void* w, const void* a, const QActAux* aux, float* out) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    const __m256i m4 = _mm256_set1_epi8(15);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kQ5_0GroupBytes) {
        prefetch_ahead(g, kQ5_0GroupBytes);
        const __m256i hb = loadu(g + 144);
        __m256i s = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256i v = loadu(g + 16 + 32 * j);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(v, m4), bit4_from(hb, 4 - 2 * j));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), bit4_from(hb, 3 - 2 * j));
            // codes < 32: the u8 x s8 pair sums of dot_us stay far inside int16
            s = dot_us_add(s, lo, bcast4(y[ib].qs + 8 * j));
            s = dot_us_add(s, hi, bcast4(y[ib].qs + 8 * j + 4));
        }
        const __m256i p = _mm256_sub_epi32(s, _mm256_set1_epi32(16 * aux[ib].sum));
        const __m256 d = _mm256_mul_ps(half8(g), _mm256_set1_ps(aux[ib].d));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc);
    }
    _mm256_storeu_ps(out, acc);
}

// Q8_0: signed codes, so each product is |w| * (a with w's sign) (dot_ss); pair sums stay below 2^15.
// With VNNI the codes go in as unsigned code + 128 (the sign bit flipped), one dpbusd each, and 128 times
// the activation block's code sum (aux) comes off at the start: half the instructions of the sign trick.
void dot_r8_q8_0(int64_t n, const void* w, const void* a, [[maybe_unused]] const QActAux* aux, float* out) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kQ8_0GroupBytes) {
        prefetch_ahead(g, kQ8_0GroupBytes);
#if QD_VNNI
        const __m256i sign = _mm256_set1_epi8(char(0x80));
        __m256i s = _mm256_set1_epi32(-128 * aux[ib].sum);
        for (int j = 0; j < 8; j++) s = _mm256_dpbusd_epi32(s, _mm256_xor_si256(loadu(g + 16 + 32 * j), sign), bcast4(y[ib].qs + 4 * j));
#else
        __m256i s = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) s = _mm256_add_epi32(s, dot_ss(loadu(g + 16 + 32 * j), bcast4(y[ib].qs + 4 * j)));
#endif
        const __m256 d = _mm256_mul_ps(half8(g), _mm256_set1_ps(h2f(y[ib].d)));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc);
    }
    _mm256_storeu_ps(out, acc);
}

void dot_r8_q4_K(int64_t n, const void* w, const void* a, const QActAux*, float* out) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ4_KGroupBytes) {
        const uint8_t* gsc = g + 32;
        const uint8_t* gmn = gsc + 64;
        const uint8_t* gq = gmn + 64;
        __m256i isum = _mm256_setzero_si256(), imin = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            prefetch_ahead(g + kQ4_KGroupBytes / 8 * s, kQ4_KGroupBytes / 8);
            isum = _mm256_add_epi32(isum, dot_r8_block_scaled(gq + 128 * s, y[ib].qs + 32 * s, r8_scales(gsc + 8 * s)));
        }
        for (int p = 0; p < 4; p++) {  // mins of sub-blocks 2p, 2p+1 times their activation sums
            const int16_t* bs = y[ib].bsums + 4 * p;
            const __m256i mn = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(gmn + 16 * p)));
            imin = _mm256_add_epi32(imin, _mm256_madd_epi16(mn, _mm256_set1_epi32(pair16(bs[0] + bs[1], bs[2] + bs[3]))));
        }
        const __m256 da = _mm256_set1_ps(y[ib].d);
        const __m256 d = _mm256_mul_ps(half8(g), da), dm = _mm256_mul_ps(half8(g + 16), da);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, acc);
        acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imin), dm, acc);
    }
    _mm256_storeu_ps(out, acc);
}

// Q6_K: codes 0..63 (low nibbles as Q4_0's, high bits from their own plane), int8 scales per 16 elements;
// the -32 offset is taken off once per super-block through the activation's 16-element sums. Two maddubs
// pair sums (< 2 * 2 * 63 * 127) fit int16; madd with the scale pairs then goes to int32.
void dot_r8_q6_K(int64_t n, const void* w, const void* a, const QActAux*, float* out) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ6_KGroupBytes) {
        __m256i isum = _mm256_setzero_si256(), ioff = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            const uint8_t* q = g + 144 + 192 * s;
            prefetch_ahead(g + kQ6_KGroupBytes / 8 * s, kQ6_KGroupBytes / 8);
            const int8_t* as = y[ib].qs + 32 * s;
            // lane r: the scales of the sub-block's halves (int16 pair)
            const __m256i scp = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 16 + 16 * s)));
#if QD_VNNI
            // each half's scale as int32: one multiply per half after four dpbusd
            const __m256i sch[2] = {_mm256_srai_epi32(_mm256_slli_epi32(scp, 16), 16), _mm256_srai_epi32(scp, 16)};
#else
            // each half's scale duplicated into an int16 pair, for madd after the maddubs pair sums
            const __m256i sch[2] = {_mm256_shufflehi_epi16(_mm256_shufflelo_epi16(scp, 0xA0), 0xA0),
                                    _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(scp, 0xF5), 0xF5)};
#endif
            for (int t = 0; t < 2; t++) {
                const __m256i h = loadu(q + 128 + 32 * t);
                const __m256i v0 = loadu(q + 64 * t), v1 = loadu(q + 64 * t + 32);
                const __m256i c00 = _mm256_or_si256(_mm256_and_si256(v0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
                const __m256i c01 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v0, 4), m4),
                                                    _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
                const __m256i c10 = _mm256_or_si256(_mm256_and_si256(v1, m4), _mm256_and_si256(h, m30));
                const __m256i c11 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v1, 4), m4),
                                                    _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
                const int8_t* at = as + 16 * t;
#if QD_VNNI  // 16 products of at most 63 x 127 per lane: int32 throughout
                __m256i st = _mm256_dpbusd_epi32(_mm256_setzero_si256(), c00, bcast4(at));
                st = _mm256_dpbusd_epi32(st, c01, bcast4(at + 4));
                st = _mm256_dpbusd_epi32(st, c10, bcast4(at + 8));
                st = _mm256_dpbusd_epi32(st, c11, bcast4(at + 12));
                isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(st, sch[t]));
#else
                const __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(c00, bcast4(at)), _mm256_maddubs_epi16(c01, bcast4(at + 4)));
                const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(c10, bcast4(at + 8)), _mm256_maddubs_epi16(c11, bcast4(at + 12)));
                isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(s0, sch[t]), _mm256_madd_epi16(s1, sch[t])));
#endif
            }
            const int16_t* bs = y[ib].bsums + 2 * s;
            ioff = _mm256_add_epi32(ioff, _mm256_madd_epi16(scp, _mm256_set1_epi32(pair16(bs[0], bs[1]))));
        }
        const __m256i p = _mm256_sub_epi32(isum, _mm256_slli_epi32(ioff, 5));
        const __m256 d = _mm256_mul_ps(half8(g), _mm256_set1_ps(y[ib].d));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc);
    }
    _mm256_storeu_ps(out, acc);
}

// ---- interleaved decode, several activation rows at once ------------------------------------------
// The kernels above with NC activation rows (columns) per pass, read from a column panel (quant_dot.h): each
// weight block is loaded and unpacked (nibbles, fifth / high bits, sign flips, scales) once and feeds all NC
// columns, whose int sums and float accumulators sit side by side in registers; every activation word is a
// broadcast at a constant offset from the one panel pointer. Per column the float operations are those of the
// one-column kernel in the same order on the same (exact) integer sums, so each column's 8 results equal
// dot_r8's bit for bit: a sequence decodes to the same logits alone or among others.
#if QD_VNNI
constexpr int kR8Cols = 8;  // 32 vector registers (ymm0-31 through AVX512VL)
#else
constexpr int kR8Cols = 4;  // 16 vector registers
#endif

inline __m256i bc32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}
inline __m256 bcf32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_ps(v);
}

struct R8ColsQ8_0 {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* P, float* out, int64_t os) {
        __m256 acc[NC];
        for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
        for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kQ8_0GroupBytes, P += 40 * NC) {
            prefetch_ahead(g, kQ8_0GroupBytes);
            // two sums per column (even and odd words): shorter dependency chains
            __m256i s[NC], s1[NC];
            for (int c = 0; c < NC; c++) s[c] = s1[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
                __m256i* sj = j % 2 ? s1 : s;
#if QD_VNNI  // the codes + 128 (sign bit flipped) as u8; 128 x the code sum comes off below
                const __m256i w = _mm256_xor_si256(loadu(g + 16 + 32 * j), _mm256_set1_epi8(char(0x80)));
                for (int c = 0; c < NC; c++) sj[c] = _mm256_dpbusd_epi32(sj[c], w, bc32(P + 4 * (j * NC + c)));
#else
                const __m256i w = loadu(g + 16 + 32 * j);
                const __m256i aw = _mm256_sign_epi8(w, w);
                for (int c = 0; c < NC; c++)
                    sj[c] = _mm256_add_epi32(sj[c], dot_us(aw, _mm256_sign_epi8(bc32(P + 4 * (j * NC + c)), w)));
#endif
            }
            const __m256 hd = half8(g);
            for (int c = 0; c < NC; c++) {
                s[c] = _mm256_add_epi32(s[c], s1[c]);
#if QD_VNNI
                s[c] = _mm256_sub_epi32(s[c], _mm256_slli_epi32(bc32(P + 36 * NC + 4 * c), 7));
#endif
                const __m256 d = _mm256_mul_ps(hd, bcf32(P + 32 * NC + 4 * c));
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[c]), d, acc[c]);
            }
        }
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(out + c * os, acc[c]);
    }
};

// Q4_0 (kFive false) and Q5_0: unsigned codes (Q5_0's fifth bit ORed in), the offset (8 or 16) times the
// column's code sum off in int32.
template <bool kFive>
struct R8ColsQ45_0 {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* P, float* out, int64_t os) {
        constexpr size_t kGB = kFive ? kQ5_0GroupBytes : kQ4_0GroupBytes;
        const __m256i m4 = _mm256_set1_epi8(15);
        __m256 acc[NC];
        for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
        for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kGB, P += 40 * NC) {
            prefetch_ahead(g, kGB);
            __m256i hb = _mm256_setzero_si256();
            if constexpr (kFive) hb = loadu(g + 144);
            __m256i s[NC], s1[NC];  // low and high codes' sums (two dpbusd chains)
            for (int c = 0; c < NC; c++) s[c] = s1[c] = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const __m256i v = loadu(g + 16 + 32 * j);
                __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                if constexpr (kFive) {
                    lo = _mm256_or_si256(lo, bit4_from(hb, 4 - 2 * j));
                    hi = _mm256_or_si256(hi, bit4_from(hb, 3 - 2 * j));
                }
                for (int c = 0; c < NC; c++) {
                    const __m256i a0 = bc32(P + 4 * (2 * j * NC + c)), a1 = bc32(P + 4 * ((2 * j + 1) * NC + c));
#if QD_VNNI
                    s[c] = _mm256_dpbusd_epi32(s[c], lo, a0);
                    s1[c] = _mm256_dpbusd_epi32(s1[c], hi, a1);
#else  // two pair sums of codes < 32 fit int16
                    const __m256i t = _mm256_add_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_maddubs_epi16(hi, a1));
                    s[c] = _mm256_add_epi32(s[c], _mm256_madd_epi16(t, _mm256_set1_epi16(1)));
#endif
                }
            }
            const __m256 hd = half8(g);
            for (int c = 0; c < NC; c++) {
                const __m256i p = _mm256_sub_epi32(_mm256_add_epi32(s[c], s1[c]), _mm256_slli_epi32(bc32(P + 36 * NC + 4 * c), kFive ? 4 : 3));
                const __m256 d = _mm256_mul_ps(hd, bcf32(P + 32 * NC + 4 * c));
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc[c]);
            }
        }
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(out + c * os, acc[c]);
    }
};

// Q8_K panel offsets (per super-block, NC columns): codes word w at 4 (w NC + c), d, the Q6_K and Q4_K pairs.
template <int NC> constexpr size_t kPkD = 256 * NC;
template <int NC> constexpr size_t kPkPair6 = 260 * NC;
template <int NC> constexpr size_t kPkPair4 = 292 * NC;
template <int NC> constexpr size_t kPkBytes = 308 * NC;

struct R8ColsQ4_K {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* P, float* out, int64_t os) {
        const __m256i m4 = _mm256_set1_epi8(15);
        __m256 acc[NC];
        for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
        for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ4_KGroupBytes, P += kPkBytes<NC>) {
            const uint8_t* gsc = g + 32;
            const uint8_t* gmn = gsc + 64;
            const uint8_t* gq = gmn + 64;
            __m256i isum[NC];
            for (int c = 0; c < NC; c++) isum[c] = _mm256_setzero_si256();
            for (int s = 0; s < 8; s++) {
                prefetch_ahead(g + kQ4_KGroupBytes / 8 * s, kQ4_KGroupBytes / 8);
                const uint8_t* q = gq + 128 * s;
                const uint8_t* ps = P + 4 * (8 * s * NC);
                __m256i t[NC], t1[NC];  // (VNNI) low and high codes' sums: two dpbusd chains
                for (int c = 0; c < NC; c++) t[c] = t1[c] = _mm256_setzero_si256();
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    const __m256i v = loadu(q + 32 * j);
                    const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                    for (int c = 0; c < NC; c++) {
                        const __m256i a0 = bc32(ps + 4 * (2 * j * NC + c)), a1 = bc32(ps + 4 * ((2 * j + 1) * NC + c));
#if QD_VNNI
                        t[c] = _mm256_dpbusd_epi32(t[c], lo, a0);
                        t1[c] = _mm256_dpbusd_epi32(t1[c], hi, a1);
#else  // int16 pair sums: 8 maddubs results of codes <= 15 stay below 2^15
                        t[c] = _mm256_add_epi16(t[c], _mm256_add_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_maddubs_epi16(hi, a1)));
#endif
                    }
                }
                const __m256i sc = r8_scales(gsc + 8 * s);
                for (int c = 0; c < NC; c++)
#if QD_VNNI
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(_mm256_add_epi32(t[c], t1[c]), sc));
#else
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(t[c], sc));
#endif
            }
            const __m256 hd = half8(g), hm = half8(g + 16);
            __m256i mn[4];  // mins of sub-blocks 2p, 2p+1 (int16 pairs)
            for (int p = 0; p < 4; p++) mn[p] = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(gmn + 16 * p)));
            for (int c = 0; c < NC; c++) {
                __m256i imin = _mm256_madd_epi16(mn[0], bc32(P + kPkPair4<NC> + 4 * c));
                for (int p = 1; p < 4; p++) imin = _mm256_add_epi32(imin, _mm256_madd_epi16(mn[p], bc32(P + kPkPair4<NC> + 4 * (p * NC + c))));
                const __m256 da = bcf32(P + kPkD<NC> + 4 * c);
                const __m256 d = _mm256_mul_ps(hd, da), dm = _mm256_mul_ps(hm, da);
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), d, acc[c]);
                acc[c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imin), dm, acc[c]);
            }
        }
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(out + c * os, acc[c]);
    }
};

struct R8ColsQ6_K {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* P, float* out, int64_t os) {
        const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
        __m256 acc[NC];
        for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
        for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ6_KGroupBytes, P += kPkBytes<NC>) {
            __m256i isum[NC];  // the products minus 32 x the scaled 16-element sums (the code offset)
            for (int c = 0; c < NC; c++) isum[c] = _mm256_setzero_si256();
            for (int s = 0; s < 8; s++) {
                const uint8_t* q = g + 144 + 192 * s;
                prefetch_ahead(g + kQ6_KGroupBytes / 8 * s, kQ6_KGroupBytes / 8);
                const __m256i scp = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 16 + 16 * s)));
#if QD_VNNI
                const __m256i sch[2] = {_mm256_srai_epi32(_mm256_slli_epi32(scp, 16), 16), _mm256_srai_epi32(scp, 16)};
#else
                const __m256i sch[2] = {_mm256_shufflehi_epi16(_mm256_shufflelo_epi16(scp, 0xA0), 0xA0),
                                        _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(scp, 0xF5), 0xF5)};
#endif
                for (int c = 0; c < NC; c++)
                    isum[c] = _mm256_sub_epi32(isum[c], _mm256_slli_epi32(_mm256_madd_epi16(scp, bc32(P + kPkPair6<NC> + 4 * (s * NC + c))), 5));
                for (int t = 0; t < 2; t++) {
                    const __m256i h = loadu(q + 128 + 32 * t);
                    const __m256i v0 = loadu(q + 64 * t), v1 = loadu(q + 64 * t + 32);
                    const __m256i c00 = _mm256_or_si256(_mm256_and_si256(v0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
                    const __m256i c01 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v0, 4), m4),
                                                        _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
                    const __m256i c10 = _mm256_or_si256(_mm256_and_si256(v1, m4), _mm256_and_si256(h, m30));
                    const __m256i c11 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v1, 4), m4),
                                                        _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
                    const uint8_t* pt = P + 4 * ((8 * s + 4 * t) * NC);  // words 8s + 4t + 0..3
                    for (int c = 0; c < NC; c++) {
                        const __m256i a0 = bc32(pt + 4 * c), a1 = bc32(pt + 4 * (NC + c)), a2 = bc32(pt + 4 * (2 * NC + c)),
                                      a3 = bc32(pt + 4 * (3 * NC + c));
#if QD_VNNI
                        __m256i st = _mm256_dpbusd_epi32(_mm256_setzero_si256(), c00, a0);
                        st = _mm256_dpbusd_epi32(st, c01, a1);
                        st = _mm256_dpbusd_epi32(st, c10, a2);
                        st = _mm256_dpbusd_epi32(st, c11, a3);
                        isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(st, sch[t]));
#else
                        const __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(c00, a0), _mm256_maddubs_epi16(c01, a1));
                        const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(c10, a2), _mm256_maddubs_epi16(c11, a3));
                        isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(_mm256_madd_epi16(s0, sch[t]), _mm256_madd_epi16(s1, sch[t])));
#endif
                    }
                }
            }
            const __m256 hd = half8(g);
            for (int c = 0; c < NC; c++) {
                const __m256 d = _mm256_mul_ps(hd, bcf32(P + kPkD<NC> + 4 * c));
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), d, acc[c]);
            }
        }
        for (int c = 0; c < NC; c++) _mm256_storeu_ps(out + c * os, acc[c]);
    }
};

template <class R, int NC>
void r8_cols_n(int64_t n, const uint8_t* g, const uint8_t* P, int ncols, float* out, int64_t os) {
    if constexpr (NC > 1) {
        if (ncols < NC) return r8_cols_n<R, NC - 1>(n, g, P, ncols, out, os);
    }
    R::template run<NC>(n, g, P, out, os);
}
// One panel of 1..kR8Cols columns.
template <class R>
void dot_r8_cols(int64_t n, const void* w, const void* panel, int ncols, float* out, int64_t os) {
    r8_cols_n<R, kR8Cols>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(panel), ncols, out, os);
}

QuantDotTable make_table() {
    QuantDotTable t;
    t.dot[int(Type::Q4_0)] = dot_q4_0;
    t.dot[int(Type::Q4_1)] = dot_q4_1;
    t.dot[int(Type::Q5_0)] = dot_q5_0;
    t.dot[int(Type::Q5_1)] = dot_q5_1;
    t.dot[int(Type::Q8_0)] = dot_q8_0;
    t.dot[int(Type::Q2_K)] = dot_q2_K;
    t.dot[int(Type::Q3_K)] = dot_q3_K;
    t.dot[int(Type::Q4_K)] = dot_q4_K;
    t.dot[int(Type::Q5_K)] = dot_q5_K;
    t.dot[int(Type::Q6_K)] = dot_q6_K;
    t.dot_r8[int(Type::Q4_0)] = dot_r8_q4_0;
    t.dot_r8[int(Type::Q5_0)] = dot_r8_q5_0;
    t.dot_r8[int(Type::Q8_0)] = dot_r8_q8_0;
    t.dot_r8[int(Type::Q4_K)] = dot_r8_q4_K;
    t.dot_r8[int(Type::Q6_K)] = dot_r8_q6_K;
    t.dot_r8_cols[int(Type::Q4_0)] = dot_r8_cols<R8ColsQ45_0<false>>;
    t.dot_r8_cols[int(Type::Q5_0)] = dot_r8_cols<R8ColsQ45_0<true>>;
    t.dot_r8_cols[int(Type::Q8_0)] = dot_r8_cols<R8ColsQ8_0>;
    t.dot_r8_cols[int(Type::Q4_K)] = dot_r8_cols<R8ColsQ4_K>;
    t.dot_r8_cols[int(Type::Q6_K)] = dot_r8_cols<R8ColsQ6_K>;
    t.r8_cols = kR8Cols;
    t.dot_aux_q4_0 = dot_aux_q4_0;
    t.dot_aux_q5_0 = dot_aux_q5_0;
    t.act_q8_0 = act_q8_0;
    t.act_q8_1 = act_q8_1;
    t.act_q8_K = act_q8_K;
    t.gemm = gemm;
#if QD_VNNI
    t.gemm_wide = gemm_wide;
#endif
    return t;
}

}  // namespace
