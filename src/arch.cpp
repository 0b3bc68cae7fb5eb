#include "arch.h"

#include <stdexcept>

namespace giraffe {

extern const Architecture kLlama;
extern const Architecture kQwen2;
extern const Architecture kGemma3;
extern const Architecture kPhi3;

static const Architecture* const kArchitectures[] = {&kLlama, &kQwen2, &kGemma3, &kPhi3};

const Architecture& find_architecture(const std::string& name, const std::string& path) {
    std::string known;
    for (const Architecture* a : kArchitectures) {
        if (name == a->name) return *a;
        known += std::string(known.empty() ? "" : ", ") + a->name;
    }
    throw std::runtime_error(path + ": unknown architecture '" + name + "' (supported: " + known + ")");
}

}  // namespace giraffe
