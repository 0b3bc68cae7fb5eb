// SentencePiece's tokenizer.model, read by hand: a serialized protobuf ModelProto.
//
// Wire format (https://protobuf.dev/programming-guides/encoding/): a message is a run of fields, each a
// varint tag (field number << 3 | wire type) followed by its value: wire type 0 a varint, 1 eight bytes,
// 2 a varint length and that many bytes (strings and nested messages), 5 four bytes. The parts read:
//   ModelProto     field 1: repeated SentencePiece (nested message)
//   SentencePiece  field 1: piece (string), field 2: score (float, wire type 5), field 3: type (enum)
// Every other field (trainer_spec, normalizer_spec, ...) is skipped by its wire type; llama.cpp's converter
// takes nothing else from the file. Every length and varint is checked against the bytes, so a truncated or
// hostile file gives a one-line ConvertError ("<path>: ...") and never reads out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convert/error.h"
#include "tokenizer.h"

namespace giraffe::convert {

struct SpmPiece {
    std::string piece;  // as stored: spaces spelled U+2581, bytes as "<0xAB>"
    float score = 0.0f;
    // ModelProto.SentencePiece.Type, whose numbering (normal 1 .. byte 6) GGUF's token types share;
    // normal is the protobuf default when the field is absent.
    TokenType type = TokenType::Normal;
};

// Parses the bytes of a tokenizer.model; name (the file's path) prefixes the error messages. A model with
// no pieces, an empty piece or a type outside the enum is an error too.
std::vector<SpmPiece> parse_sentencepiece_model(const std::string& bytes, const std::string& name);

}  // namespace giraffe::convert
