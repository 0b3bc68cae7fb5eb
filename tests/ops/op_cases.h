// The op test table: one list of cases that every backend must pass unchanged, and the runner that checks
// one case on a list of backends against the double-precision reference (ops/reference.h).
//
// Adding a backend's test is one line inside a TEST_CASE:
//     optest::check_op_table({my_backend.get(), cpu.get()});   // the CPU last: the scheduler's fallback
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ggml/backend.h"
#include "ggml/ops.h"
#include "ops/reference.h"

namespace optest {

// Deterministic generator (splitmix64), seeded per case from its name so cases are independent.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next();
    double uniform(double lo, double hi);       // [lo, hi)
    int64_t integer(int64_t lo, int64_t hi);    // [lo, hi]
};

// A leaf tensor and how to fill it (each value is rounded to the type): `values` cycled in element order
// when given, otherwise gen(index, rng) per element.
struct InputSpec {
    ggml::Type type = ggml::Type::F32;
    int64_t ne[4] = {1, 1, 1, 1};
    std::function<double(const int64_t i[4], Rng& rng)> gen;
    std::vector<double> values;
};

// An op argument: the library tensor and the reference's own view of the same bytes.
struct Arg {
    ggml::Tensor* t = nullptr;
    ref::Tensor r;
    int leaf = -1;  // the leaf whose bytes it reads
};

// Applies layout ops to both sides at once (the runner checks that they agree on shape and strides).
struct Layout {
    ggml::Context& ctx;
    Arg view(const Arg& a, std::initializer_list<int64_t> ne, std::initializer_list<size_t> nb123, size_t offset);
    Arg permute(const Arg& a, int ax0, int ax1, int ax2, int ax3);
    Arg transpose(const Arg& a);
    Arg reshape(const Arg& a, std::initializer_list<int64_t> ne);
};

struct Tolerance {
    double norm = 0;  // allowed |got - ref|, as a fraction of max |ref| over the tensor
    double rel = 0;   // plus this fraction of |ref| per element
};

struct OpCase {
    std::string name;  // starts with the op name: "add_broadcast_rows", "rope_neox_yarn_...", ...
    std::vector<InputSpec> inputs;
    // The op's arguments from the leaves (default: the leaves themselves, in order).
    std::function<std::vector<Arg>(Layout&, const std::vector<Arg>& leaves)> args;
    std::function<ggml::Tensor*(ggml::Context&, const std::vector<ggml::Tensor*>& args)> build;
    std::function<ref::Result(const std::vector<ref::Tensor>& args)> reference;
    Tolerance tol;
    int read_leaf = -1;  // >= 0: compare this leaf's contents after compute (cpy writes into a leaf)
    bool cpu_only = false;  // reads types only the CPU takes (the quantized KV cache's blocks): on another
                            // backend first, it must still be right, through the scheduler's fallback
};

// The table.
const std::vector<OpCase>& op_cases();

struct Outcome {
    bool ok = false;
    std::string message;  // what failed, with the worst element; empty when ok
    std::string ran_on;   // name of the backend that computed the op node
};
// Builds, computes and compares one case. backends: in scheduler order, the CPU last; leaves are allocated
// in the first backend's memory.
Outcome run_case(const OpCase& c, const std::vector<ggml::Backend*>& backends);

// Runs every case (whose name contains `filter`) on backends, one Catch2 section per case. Call it inside
// a TEST_CASE. require_first: fail a case whose op node was not computed on backends[0] (cpu_only cases
// excepted).
void check_op_table(const std::vector<ggml::Backend*>& backends, const std::string& filter = "",
                    bool require_first = false);

// The op table's inputs are float types; the block types' mul_mat and get_rows are checked here on gpu
// (the CPU the scheduler's fallback), against a double-precision product of the same blocks decoded by
// the library's reference dequantizer. A backend whose products take the activations quantized to 8 bits
// (int8_activations: as the CPU's Q8_0 activations, the CUDA backend) is checked against those
// activations, decoded. Call it inside a TEST_CASE (one section per type and width).
void check_block_types(ggml::Backend* gpu, ggml::Backend* cpu, bool int8_activations = false);

}  // namespace optest
