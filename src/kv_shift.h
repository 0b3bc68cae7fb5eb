// Context shift with attention sinks (StreamingLLM, Xiao et al. 2023, arXiv 2309.17453): when the context
// fills, keep the first tokens (the sinks) and the most recent ones, and rotate the kept keys to their new
// positions. KvCache::shift does the cells' bookkeeping and moves their bytes; rotate_keys rotates keys in
// place with the rope op. Session::shift puts the two together.
#pragma once
#include <vector>

#include "ggml/sched.h"
#include "kv_cache.h"
#include "rope_scaling.h"

namespace giraffe {

// The rope op's settings that turn a key rotated with `decode` at position p into the key at p + delta:
// RoPE rotates pair i by p * theta_i, and theta_i (with linear, YaRN, NTK or per-pair factor scaling) does
// not depend on p, so rotating again by delta * theta_i with the same frequencies does it. Only the
// magnitude terms differ: the attention factor and YaRN's mscale scaled the key once already, so here they
// multiply to 1. (Dynamic NTK's base changes with the length as keys are written, so its keys are rotated
// with the base of the length at the shift: close, not exact.)
ggml::RopeParams rerotation_params(const ggml::RopeParams& decode);

// Rotates the keys of the given cells by delta positions, for every layer whose kind the run names: one
// graph on sched (keys of a block type are dequantized, rotated and quantized again). rope[kind] and
// factors[kind] are what decode uses for that kind: its params and per-pair divisors, either values
// (rope[kind].freq_factors, uploaded here) or, when those are empty, a tensor (a model weight, or null).
// host: the backend that holds the graph's small inputs (positions, cell indices, factors).
void rotate_keys(ggml::Scheduler& sched, ggml::Backend& host, const HParams& hp, const KvCache& kv,
                 const std::vector<KvCache::CellRun>& runs, int32_t delta, const ResolvedRope rope[2],
                 ggml::Tensor* const factors[2]);

}  // namespace giraffe
