#include "ops/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace ref {

// ---- element types ----

size_t type_size(ggml::Type t) {
    switch (t) {
    case ggml::Type::F32: return 4;
    case ggml::Type::I32: return 4;
    case ggml::Type::F16: return 2;
    case ggml::Type::BF16: return 2;
    default: throw std::invalid_argument("reference: unsupported type");
    }
}

double f16_bits_to_double(uint16_t h) {
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    const int exp = (h >> 10) & 0x1f;
    const int mant = h & 0x3ff;
    if (exp == 0) return sign * std::ldexp(double(mant), -24);
    if (exp == 31) return mant ? std::numeric_limits<double>::quiet_NaN() : sign * HUGE_VAL;
    return sign * std::ldexp(double(1024 + mant), exp - 25);
}

double bf16_bits_to_double(uint16_t h) {
    const uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

namespace {

// x rounded to a binary format with `mant_bits` fraction bits and smallest normal exponent `min_exp`,
// ties to even; |result| > max_finite becomes infinity.
double round_binary(double x, int mant_bits, int min_exp, double max_finite) {
    if (std::isnan(x) || std::isinf(x) || x == 0.0) return x;
    int e;
    std::frexp(std::fabs(x), &e);  // 2^(e-1) <= |x| < 2^e
    const int exp = std::max(e - 1, min_exp);
    const double q = std::ldexp(1.0, exp - mant_bits);  // spacing of representable values here
    const double y = x / q;                              // exact (power of two)
    double r = std::floor(y);
    const double frac = y - r;
    if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
    const double out = r * q;
    if (std::fabs(out) > max_finite) return std::copysign(HUGE_VAL, x);
    if (out == 0.0) return std::copysign(0.0, x);
    return out;
}

}  // namespace

double round_to_type(ggml::Type t, double x) {
    switch (t) {
    case ggml::Type::F32: return double(float(x));  // the hardware conversion rounds to nearest even
    case ggml::Type::F16: return round_binary(x, 10, -14, 65504.0);
    case ggml::Type::BF16: return round_binary(x, 7, -126, std::ldexp(255.0, 120));  // (2 - 2^-7) * 2^127
    case ggml::Type::I32: return double(int32_t(x));
    default: throw std::invalid_argument("reference: unsupported type");
    }
}

double decode(ggml::Type t, const uint8_t* p) {
    switch (t) {
    case ggml::Type::F32: {
        float f;
        std::memcpy(&f, p, 4);
        return f;
    }
    case ggml::Type::I32: {
        int32_t i;
        std::memcpy(&i, p, 4);
        return i;
    }
    case ggml::Type::F16: {
        uint16_t h;
        std::memcpy(&h, p, 2);
        return f16_bits_to_double(h);
    }
    case ggml::Type::BF16: {
        uint16_t h;
        std::memcpy(&h, p, 2);
        return bf16_bits_to_double(h);
    }
    default: throw std::invalid_argument("reference: unsupported type");
    }
}

void encode(ggml::Type t, double x, uint8_t* p) {
    const double r = round_to_type(t, x);
    switch (t) {
    case ggml::Type::F32: {
        const float f = float(r);
        std::memcpy(p, &f, 4);
        return;
    }
    case ggml::Type::I32: {
        const int32_t i = int32_t(r);
        std::memcpy(p, &i, 4);
        return;
    }
    case ggml::Type::F16: {
        uint16_t h;
        const double a = std::fabs(r);
        const uint16_t sign = std::signbit(r) ? 0x8000 : 0;
        if (std::isnan(r)) {
            h = 0x7e00;
        } else if (std::isinf(r)) {
            h = sign | 0x7c00;
        } else if (a < std::ldexp(1.0, -14)) {
            h = sign | uint16_t(a / std::ldexp(1.0, -24));
        } else {
            int e;
            std::frexp(a, &e);
            const int exp = e - 1;
            const double mant = a / std::ldexp(1.0, exp) * 1024.0 - 1024.0;
            h = sign | uint16_t((exp + 15) << 10) | uint16_t(mant);
        }
        std::memcpy(p, &h, 2);
        return;
    }
    case ggml::Type::BF16: {
        const float f = float(r);  // exact: r is a bfloat16 value
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        const uint16_t h = std::isnan(r) ? uint16_t(0x7fc0) : uint16_t(bits >> 16);
        std::memcpy(p, &h, 2);
        return;
    }
    default: throw std::invalid_argument("reference: unsupported type");
    }
}

// ---- tensors ----

Tensor leaf(ggml::Type type, const int64_t ne[4], const uint8_t* data) {
    Tensor t;
    t.type = type;
    t.data = data;
    for (int i = 0; i < 4; i++) t.ne[i] = ne[i];
    t.nb[0] = type_size(type);
    for (int i = 1; i < 4; i++) t.nb[i] = t.nb[i - 1] * size_t(ne[i - 1]);
    return t;
}

Tensor view(const Tensor& a, const int64_t ne[4], size_t nb1, size_t nb2, size_t nb3, size_t offset) {
    Tensor t = a;
    for (int i = 0; i < 4; i++) t.ne[i] = ne[i];
    t.nb[1] = nb1;
    t.nb[2] = nb2;
    t.nb[3] = nb3;
    t.data = a.data + offset;
    return t;
}

Tensor permute(const Tensor& a, int ax0, int ax1, int ax2, int ax3) {
    const int ax[4] = {ax0, ax1, ax2, ax3};
    Tensor t = a;
    for (int i = 0; i < 4; i++) {
        t.ne[ax[i]] = a.ne[i];
        t.nb[ax[i]] = a.nb[i];
    }
    return t;
}

Tensor transpose(const Tensor& a) { return permute(a, 1, 0, 2, 3); }

bool is_contiguous(const Tensor& a) {
    size_t expect = type_size(a.type);
    for (int i = 0; i < 4; i++) {
        if (a.ne[i] != 1 && a.nb[i] != expect) return false;
        expect *= size_t(a.ne[i]);
    }
    return true;
}

Tensor reshape(const Tensor& a, const int64_t ne[4]) {
    if (!is_contiguous(a)) throw std::invalid_argument("reference reshape: source not contiguous");
    if (ne[0] * ne[1] * ne[2] * ne[3] != a.nelements()) throw std::invalid_argument("reference reshape: count");
    return leaf(a.type, ne, a.data);
}

Result::Result(ggml::Type t, const int64_t n[4]) : type(t) {
    for (int i = 0; i < 4; i++) ne[i] = n[i];
    v.assign(size_t(nelements()), 0.0);
}

// ---- helpers ----
namespace {

// Calls f(i0, i1, i2, i3) for every index of ne, i0 fastest.
template <class F>
void for_each(const int64_t ne[4], F f) {
    for (int64_t i3 = 0; i3 < ne[3]; i3++)
        for (int64_t i2 = 0; i2 < ne[2]; i2++)
            for (int64_t i1 = 0; i1 < ne[1]; i1++)
                for (int64_t i0 = 0; i0 < ne[0]; i0++) f(i0, i1, i2, i3);
}

template <class F>
Result map1(const Tensor& a, F f) {
    Result r(ggml::Type::F32, a.ne);
    for_each(a.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        r.at(i0, i1, i2, i3) = f(a.at(i0, i1, i2, i3));
    });
    return r;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
const double kPi = 3.14159265358979323846;

}  // namespace

// ---- copies ----

Result cpy(const Tensor& a, const Tensor& dst_view, const Tensor& dst_leaf) {
    if (a.nelements() != dst_view.nelements()) throw std::invalid_argument("reference cpy: element counts");
    Result r(dst_leaf.type, dst_leaf.ne);
    for_each(dst_leaf.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        r.at(i0, i1, i2, i3) = dst_leaf.at(i0, i1, i2, i3);
    });
    const size_t es = type_size(dst_leaf.type);
    int64_t k = 0;  // logical row-major position shared by a and dst_view
    for_each(a.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        int64_t j[4], rest = k++;
        for (int d = 0; d < 4; d++) {
            j[d] = rest % dst_view.ne[d];
            rest /= dst_view.ne[d];
        }
        const uint8_t* p = dst_view.data + j[0] * dst_view.nb[0] + j[1] * dst_view.nb[1] + j[2] * dst_view.nb[2] +
                           j[3] * dst_view.nb[3];
        const size_t elem = size_t(p - dst_leaf.data) / es;
        r.v.at(elem) = round_to_type(dst_leaf.type, a.at(i0, i1, i2, i3));
    });
    return r;
}

Result cast(const Tensor& a, ggml::Type type) {
    Result r(type, a.ne);
    for_each(a.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        r.at(i0, i1, i2, i3) = round_to_type(type, a.at(i0, i1, i2, i3));
    });
    return r;
}

Result concat(const Tensor& a, const Tensor& b, int dim) {
    int64_t ne[4];
    for (int i = 0; i < 4; i++) ne[i] = i == dim ? a.ne[i] + b.ne[i] : a.ne[i];
    Result r(a.type, ne);
    for_each(ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        int64_t i[4] = {i0, i1, i2, i3};
        double v;
        if (i[dim] < a.ne[dim]) {
            v = a.at(i0, i1, i2, i3);
        } else {
            i[dim] -= a.ne[dim];
            v = b.at(i[0], i[1], i[2], i[3]);
        }
        r.at(i0, i1, i2, i3) = v;
    });
    return r;
}

Result get_rows(const Tensor& a, const Tensor& idx) {
    const int64_t ne[4] = {a.ne[0], idx.ne[0], idx.ne[1], idx.ne[2]};
    Result r(ggml::Type::F32, ne);
    for_each(ne, [&](int64_t i0, int64_t j, int64_t i2, int64_t i3) {
        const int64_t row = int64_t(idx.at(j, i2, i3));
        if (row < 0 || row >= a.ne[1]) throw std::out_of_range("reference get_rows: index out of range");
        r.at(i0, j, i2, i3) = a.at(i0, row, i2, i3);
    });
    return r;
}

// ---- elementwise ----

Result binary(BinaryOp op, const Tensor& a, const Tensor& b) {
    Result r(ggml::Type::F32, a.ne);
    for_each(a.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        const double x = a.at(i0, i1, i2, i3);
        const double y = b.at(i0 % b.ne[0], i1 % b.ne[1], i2 % b.ne[2], i3 % b.ne[3]);
        double z = 0;
        switch (op) {
        case BinaryOp::Add: z = x + y; break;
        case BinaryOp::Sub: z = x - y; break;
        case BinaryOp::Mul: z = x * y; break;
        case BinaryOp::Div: z = x / y; break;
        }
        r.at(i0, i1, i2, i3) = z;
    });
    return r;
}

Result scale(const Tensor& a, double s, double bias) {
    return map1(a, [&](double x) { return x * s + bias; });
}
Result sqr(const Tensor& a) {
    return map1(a, [](double x) { return x * x; });
}
Result sqrt(const Tensor& a) {
    return map1(a, [](double x) { return std::sqrt(x); });
}
Result clamp(const Tensor& a, double lo, double hi) {
    return map1(a, [&](double x) { return x < lo ? lo : (x > hi ? hi : x); });
}

double unary_fn(ggml::UnaryOp op, double x) {
    switch (op) {
    case ggml::UnaryOp::Silu: return x * sigmoid(x);
    case ggml::UnaryOp::GeluTanh:
        return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
    case ggml::UnaryOp::GeluErf: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case ggml::UnaryOp::Relu: return x > 0 ? x : 0.0;
    case ggml::UnaryOp::Tanh: return std::tanh(x);
    case ggml::UnaryOp::Neg: return -x;
    case ggml::UnaryOp::Exp: return std::exp(x);
    }
    throw std::invalid_argument("reference: unknown unary op");
}

Result unary(const Tensor& a, ggml::UnaryOp op) {
    return map1(a, [&](double x) { return unary_fn(op, x); });
}

Result glu(const Tensor& gate, const Tensor& up, ggml::GluOp op) {
    ggml::UnaryOp act = ggml::UnaryOp::Silu;
    if (op == ggml::GluOp::GeGluTanh) act = ggml::UnaryOp::GeluTanh;
    if (op == ggml::GluOp::GeGluErf) act = ggml::UnaryOp::GeluErf;
    Result r(ggml::Type::F32, gate.ne);
    for_each(gate.ne, [&](int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        r.at(i0, i1, i2, i3) = unary_fn(act, gate.at(i0, i1, i2, i3)) * up.at(i0, i1, i2, i3);
    });
    return r;
}

// ---- row-wise ----

namespace {
// Calls f(row values, i1, i2, i3) with the row read into a vector.
template <class F>
void for_each_row(const Tensor& a, F f) {
    std::vector<double> row(size_t(a.ne[0]));
    for (int64_t i3 = 0; i3 < a.ne[3]; i3++)
        for (int64_t i2 = 0; i2 < a.ne[2]; i2++)
            for (int64_t i1 = 0; i1 < a.ne[1]; i1++) {
                for (int64_t i0 = 0; i0 < a.ne[0]; i0++) row[size_t(i0)] = a.at(i0, i1, i2, i3);
                f(row, i1, i2, i3);
            }
}
}  // namespace

Result rms_norm(const Tensor& a, double eps) {
    Result r(ggml::Type::F32, a.ne);
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t i2, int64_t i3) {
        double ss = 0;
        for (double v : x) ss += v * v;
        const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps);
        for (size_t i = 0; i < x.size(); i++) r.at(int64_t(i), i1, i2, i3) = x[i] * inv;
    });
    return r;
}

Result norm(const Tensor& a, double eps) {
    Result r(ggml::Type::F32, a.ne);
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t i2, int64_t i3) {
        const double n = double(x.size());
        double mean = 0;
        for (double v : x) mean += v;
        mean /= n;
        double var = 0;
        for (double v : x) var += (v - mean) * (v - mean);
        var /= n;
        const double inv = 1.0 / std::sqrt(var + eps);
        for (size_t i = 0; i < x.size(); i++) r.at(int64_t(i), i1, i2, i3) = (x[i] - mean) * inv;
    });
    return r;
}

double alibi_slope(int64_t h, int64_t n_head, double max_bias) {
    if (max_bias == 0.0) return 1.0;
    int64_t n = 1;
    while (n * 2 <= n_head) n *= 2;  // 2^floor(log2 H)
    const double m0 = std::pow(2.0, -max_bias / double(n));
    const double m1 = std::pow(2.0, -max_bias / double(2 * n));
    return h < n ? std::pow(m0, double(h + 1)) : std::pow(m1, double(2 * (h - n) + 1));
}

Result soft_max(const Tensor& a, const Tensor* mask, double scale, double max_bias) {
    Result r(ggml::Type::F32, a.ne);
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t i2, int64_t i3) {
        const double slope = alibi_slope(i2, a.ne[2], max_bias);
        std::vector<double> y(x.size());
        double mx = -HUGE_VAL;
        for (size_t i = 0; i < x.size(); i++) {
            double v = x[i] * scale;
            if (mask) v += slope * mask->at(int64_t(i), i1 % mask->ne[1], i2 % mask->ne[2], i3 % mask->ne[3]);
            y[i] = v;
            mx = std::max(mx, v);
        }
        if (std::isinf(mx)) throw std::invalid_argument("reference soft_max: fully masked row");
        double sum = 0;
        for (double& v : y) {
            v = std::exp(v - mx);
            sum += v;
        }
        for (size_t i = 0; i < y.size(); i++) r.at(int64_t(i), i1, i2, i3) = y[i] / sum;
    });
    return r;
}

Result sum_rows(const Tensor& a) {
    const int64_t ne[4] = {1, a.ne[1], a.ne[2], a.ne[3]};
    Result r(ggml::Type::F32, ne);
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t i2, int64_t i3) {
        double s = 0;
        for (double v : x) s += v;
        r.at(0, i1, i2, i3) = s;
    });
    return r;
}

Result mean(const Tensor& a) {
    Result r = sum_rows(a);
    for (double& v : r.v) v /= double(a.ne[0]);
    return r;
}

Result argmax(const Tensor& a) {
    const int64_t ne[4] = {a.ne[1], 1, 1, 1};
    Result r(ggml::Type::I32, ne);
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t, int64_t) {
        size_t best = 0;
        for (size_t i = 1; i < x.size(); i++)
            if (x[i] > x[best]) best = i;
        r.at(i1) = double(best);
    });
    return r;
}

// ---- rope ----

double rope_theta(int64_t i, double pos, const ggml::RopeParams& p, double freq_factor, double* mscale) {
    const double n_dims = p.n_dims;
    const double base = p.freq_base;
    const double theta_extrap = pos * std::pow(base, -2.0 * double(i) / n_dims) / freq_factor;
    const double theta_interp = double(p.freq_scale) * theta_extrap;
    if (p.ext_factor == 0.0f) {
        *mscale = p.attn_factor;
        return theta_interp;
    }
    auto corr = [&](double b) { return n_dims * std::log(double(p.n_ctx_orig) / (b * 2.0 * kPi)) / (2.0 * std::log(base)); };
    const double low = std::max(0.0, std::floor(corr(p.beta_fast)));
    const double high = std::min(n_dims - 1.0, std::ceil(corr(p.beta_slow)));
    const double y = (double(i) - low) / std::max(0.001, high - low);
    const double ramp = 1.0 - std::min(1.0, std::max(0.0, y));
    const double mix = ramp * double(p.ext_factor);
    *mscale = double(p.attn_factor) * (1.0 + 0.1 * std::log(1.0 / double(p.freq_scale)));
    return theta_interp * (1.0 - mix) + theta_extrap * mix;
}

Result rope(const Tensor& a, const Tensor& pos, const Tensor* freq_factors, const ggml::RopeParams& p) {
    Result r(ggml::Type::F32, a.ne);
    const int64_t half = p.n_dims / 2;
    for_each_row(a, [&](const std::vector<double>& x, int64_t i1, int64_t i2, int64_t i3) {
        const double ps = pos.at(i2);
        std::vector<double> y = x;  // dims >= n_dims pass through
        for (int64_t i = 0; i < half; i++) {
            const double ff = freq_factors ? freq_factors->at(i) : 1.0;
            double mscale = 1.0;
            const double theta = rope_theta(i, ps, p, ff, &mscale);
            const size_t j0 = size_t(p.mode == ggml::RopeMode::Neox ? i : 2 * i);
            const size_t j1 = size_t(p.mode == ggml::RopeMode::Neox ? i + half : 2 * i + 1);
            const double x0 = x[j0], x1 = x[j1];
            y[j0] = (x0 * std::cos(theta) - x1 * std::sin(theta)) * mscale;
            y[j1] = (x0 * std::sin(theta) + x1 * std::cos(theta)) * mscale;
        }
        for (size_t i = 0; i < y.size(); i++) r.at(int64_t(i), i1, i2, i3) = y[i];
    });
    return r;
}

// ---- matrix product ----

Result mul_mat(const Tensor& a, const Tensor& b) {
    const int64_t K = a.ne[0];
    const int64_t ne[4] = {a.ne[1], b.ne[1], b.ne[2], b.ne[3]};
    Result r(ggml::Type::F32, ne);
    const int64_t r2 = b.ne[2] / a.ne[2], r3 = b.ne[3] / a.ne[3];
    std::vector<double> brow(static_cast<size_t>(K));
    for (int64_t i3 = 0; i3 < ne[3]; i3++)
        for (int64_t i2 = 0; i2 < ne[2]; i2++)
            for (int64_t n = 0; n < ne[1]; n++) {
                for (int64_t k = 0; k < K; k++) brow[size_t(k)] = b.at(k, n, i2, i3);
                for (int64_t m = 0; m < ne[0]; m++) {
                    double s = 0;
                    for (int64_t k = 0; k < K; k++) s += a.at(k, m, i2 / r2, i3 / r3) * brow[size_t(k)];
                    r.at(m, n, i2, i3) = s;
                }
            }
    return r;
}

Result flash_attn(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask, double scale,
                  const Tensor* kv_start) {
    const int64_t hd_k = q.ne[0], n = q.ne[1], n_head = q.ne[2], hd_v = v.ne[0];
    const int64_t n_kv = kv_start ? mask->ne[0] : k.ne[1];
    const int64_t group = n_head / k.ne[2];
    const int64_t ne[4] = {hd_v, n_head, n, 1};
    Result r(ggml::Type::F32, ne);
    std::vector<double> scores(static_cast<size_t>(n_kv));
    for (int64_t t = 0; t < n; t++)
        for (int64_t h = 0; h < n_head; h++) {
            const int64_t kvh = h / group, c0 = kv_start ? int64_t(kv_start->at(t)) : 0;
            double mx = -HUGE_VAL;
            for (int64_t j = 0; j < n_kv; j++) {
                const double m = mask ? mask->at(j, t) : 0.0;
                double s = -HUGE_VAL;
                if (m != -HUGE_VAL) {
                    double dot = 0;
                    for (int64_t d = 0; d < hd_k; d++) dot += q.at(d, t, h) * k.at(d, c0 + j, kvh);
                    s = scale * dot + m;
                }
                scores[size_t(j)] = s;
                mx = std::max(mx, s);
            }
            if (mx == -HUGE_VAL) continue;  // every cell masked: zeros
            double sum = 0;
            for (double& s : scores) {
                s = s == -HUGE_VAL ? 0.0 : std::exp(s - mx);
                sum += s;
            }
            for (int64_t d = 0; d < hd_v; d++) {
                double o = 0;
                for (int64_t j = 0; j < n_kv; j++) o += scores[size_t(j)] * v.at(d, c0 + j, kvh);
                r.at(d, h, t) = o / sum;
            }
        }
    return r;
}

}  // namespace ref
