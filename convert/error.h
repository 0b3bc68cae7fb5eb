// Every problem with a checkpoint being converted: its files, config.json, tokenizer or tensors.
// The message is one line that names the file and the problem ("<path>: <problem>").
#pragma once
#include <stdexcept>

namespace giraffe::convert {

class ConvertError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace giraffe::convert
