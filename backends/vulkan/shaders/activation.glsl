// Activations shared by unary.comp and glu.comp. Like the CPU's (backends/cpu/ops/activation.h) they avoid
// the 1 + tanh and 1 + erf cancellation in the negative tail, and GLSL's tanh and erf-less library is
// replaced by forms accurate to a few float ulps wherever the test ranges reach.

// exp of an argument capped at 88, so x / (1 + exp(..)) gives a tiny value, never x / inf.
float exp_capped(float v) { return exp(min(v, 88.0)); }

float silu(float x) { return x / (1.0 + exp_capped(-x)); }

// 0.5x(1 + tanh(u)) == x * sigmoid(2u) with u = sqrt(2/pi)(x + 0.044715x^3).
float gelu_tanh(float x) { return x / (1.0 + exp_capped(-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x))); }

// tanh: a Taylor polynomial near 0, where (1 - e) / (1 + e) would lose digits to cancellation.
float tanh_acc(float x) {
    const float a = abs(x);
    float t;
    if (a < 0.125) {
        const float s = a * a;
        t = a * (1.0 - s * (1.0 / 3.0 - s * (2.0 / 15.0 - s * (17.0 / 315.0))));
    } else {
        const float e = exp(-2.0 * min(a, 20.0));
        t = (1.0 - e) / (1.0 + e);
    }
    return x < 0.0 ? -t : t;
}

// 0.5x(1 + erf(x/sqrt2)) == 0.5x erfc(-x/sqrt2). erfc(z), z = |x|/sqrt2, is t exp(-z^2 + P(t)) with
// t = 1/(1 + z/2) and the degree-9 Chebyshev fit P of Numerical Recipes' erfcc (relative error < 1.2e-7).
// exp(-z^2) is split as exp(-h^2/2) exp(-(|x|-h)(|x|+h)/2), h = |x| cut to 12 significant bits so h^2 is
// exact: z^2 rounded once in float (z^2 ~ 18 at x = -6) would already cost ~1e-6 relative in the tail.
float gelu_erf(float x) {
    const float a = min(abs(x), 13.0);  // erfc(13/sqrt2) ~ 1e-38: the tail is 0 from there (and nothing overflows)
    const float z = a * 0.70710678118654752;
    const float t = 1.0 / (1.0 + 0.5 * z);
    const float p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    const float h = uintBitsToFloat(floatBitsToUint(a) & 0xFFFFF000u);
    const float c = t * exp(-0.5 * h * h) * exp(p - 0.5 * (a - h) * (a + h));  // erfc(z)
    return 0.5 * x * (x >= 0.0 ? 2.0 - c : c);
}
