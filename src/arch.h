// The architecture registry: one entry per file in models/. Adding an architecture means one file there
// and one line in arch.cpp.
#pragma once
#include <string>

#include "model.h"

namespace giraffe {

struct GraphInputs;  // see graph_builder.h

struct Architecture {
    const char* name;  // general.architecture
    // Reads architecture-specific hyperparameters (after the common ones) and fills per-layer kinds.
    void (*load_hparams)(const ggml::GgufFile& f, HParams& hp);
    // Finds and checks the weights.
    void (*load_weights)(Model& m);
    // Builds the forward graph of one micro-batch; returns the logits tensor.
    ggml::Tensor* (*build)(GraphInputs& in);
};

// The entry for general.architecture; throws "unknown architecture 'x' (supported: ...)".
const Architecture& find_architecture(const std::string& name, const std::string& path);

}  // namespace giraffe
