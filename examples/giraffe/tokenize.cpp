// giraffe tokenize: the ids of a text, one line, space-separated. Works on vocab-only GGUF files.
#include <cstdio>

#include "commands.h"
#include "model.h"

namespace cli {

int cmd_tokenize(const Args& a) {
    require_model(a);
    const std::string text = prompt_text(a, true);
    giraffe::Model::Options mo;
    mo.vocab_only = true;
    auto model = giraffe::Model::load(a.model, mo);
    const std::vector<int32_t> ids = model->tokenizer().tokenize(text, !a.no_bos, a.parse_special);
    for (size_t i = 0; i < ids.size(); i++) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
    return 0;
}

}  // namespace cli
