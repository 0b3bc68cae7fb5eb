// Tokenizers built from the vocabulary stored in GGUF metadata (the "tokenizer.ggml.*" keys).
//
// Two families:
//   - SentencePiece-style BPE ("llama": Llama 2, Mistral, TinyLlama, Gemma): pieces with scores; spaces
//     become U+2581 '▁'; adjacent pieces are merged best-score-first; characters missing from the vocab
//     fall back to <0xXX> byte tokens.
//   - Byte-level BPE ("gpt2": GPT-2, Llama 3, Qwen 2): text is split by the model's pre-tokenizer regex
//     (implemented by hand in tokenizer_pretok.cpp), each piece's bytes are spelled in GPT-2's printable
//     byte alphabet and merged by the ranks of "tokenizer.ggml.merges".
// In both, special tokens are cut out of the text first: user-defined ones (token type 4) always,
// control ones (type 3, e.g. <start_of_turn>, <|eot_id|>) when parse_special is set.
//
// The results match the tokenizer that Hugging Face transformers builds from the same GGUF file
// (tests/src/test_tokenizer.cpp checks this), but for SentencePiece text that starts with a space: there
// the dummy prefix is added as sentencepiece itself and llama.cpp add it (tests/convert checks against
// sentencepiece), where transformers' GGUF tokenizer leaves it out.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ggml {
class GgufFile;
}

namespace giraffe {

// A vocabulary that cannot be used (bad ids, mismatched array lengths, unknown model type ...).
// Missing or mistyped GGUF keys surface as ggml::GgufError naming the file and key.
class TokenizerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

enum class TokenizerKind { Spm, Bpe };

// Pre-tokenizer of a byte-level BPE vocabulary (from "tokenizer.ggml.pre").
enum class PreTokenizer { Gpt2, Llama3, Qwen2 };

class Tokenizer {
public:
    // Builds the tokenizer from a file's metadata (a vocab-only file with no tensors is fine).
    // Throws ggml::GgufError for a missing/mistyped key, TokenizerError for an unusable vocabulary or an
    // unsupported tokenizer.ggml.model.
    static Tokenizer from_gguf(const ggml::GgufFile& f);

    // Text -> token ids. add_special: BOS/EOS as the file's add_bos_token/add_eos_token flags say.
    // parse_special: control-token text (e.g. "<start_of_turn>") in the input becomes that token;
    // user-defined tokens are always recognised.
    std::vector<int32_t> tokenize(const std::string& text, bool add_special = true, bool parse_special = false) const;

    // The raw bytes a token stands for ('▁' -> ' ', <0xAB> -> byte 0xAB, byte-level alphabet undone).
    // Control and unknown tokens give "" unless render_special, then their text.
    std::string token_to_piece(int32_t id, bool render_special = false) const;
    // Concatenated pieces; when the vocabulary adds a space prefix, the one it added is removed again.
    // The result is raw bytes (byte-fallback tokens may form invalid UTF-8 when the ids are arbitrary).
    std::string detokenize(const std::vector<int32_t>& ids, bool render_special = false) const;

    int32_t n_vocab() const;
    int32_t bos() const { return bos_; }  // -1 when the file has none
    int32_t eos() const { return eos_; }
    int32_t eot() const { return eot_; }  // end of turn: <end_of_turn>, <|eot_id|>, <|im_end|> ...; -1 if none
    int32_t unk() const { return unk_; }
    int32_t pad() const { return pad_; }
    bool is_eog(int32_t id) const;         // end of generation: eos, eot, eom and similar
    const std::vector<int32_t>& eog_ids() const { return eog_; }
    bool add_bos() const { return add_bos_; }
    bool add_eos() const { return add_eos_; }
    bool add_space_prefix() const { return add_space_prefix_; }
    TokenizerKind kind() const { return kind_; }
    const std::string& model_name() const;   // tokenizer.ggml.model
    const std::string& pre_name() const;     // tokenizer.ggml.pre ("" when absent)

    const std::string& token_text(int32_t id) const;  // the text as stored in the file; throws if out of range
    TokenType token_type(int32_t id) const;
    float token_score(int32_t id) const;
    int32_t find_token(const std::string& text) const;  // -1 when absent
    bool is_special(int32_t id) const;  // control, user-defined or unknown

    struct Vocab;  // the loaded vocabulary (defined at the end of this header)

private:
    Tokenizer() = default;

    struct Fragment {
        size_t begin, end;  // byte range of raw text; unused when id >= 0
        int32_t id;         // a special token, or -1 for text
    };
    std::vector<Fragment> split_special(const std::string& text, bool parse_special) const;
    void tokenize_spm(const std::string& text, bool at_start, std::vector<int32_t>& out) const;  // tokenizer_spm.cpp
    void tokenize_bpe(const std::string& text, std::vector<int32_t>& out) const;                 // tokenizer_bpe.cpp

    std::shared_ptr<Vocab> v_;
    TokenizerKind kind_ = TokenizerKind::Spm;
    int32_t bos_ = -1, eos_ = -1, eot_ = -1, unk_ = -1, pad_ = -1;
    bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = true;
    std::vector<int32_t> eog_;
};

// Detokenizes a token stream incrementally: push() returns the text that is complete so far, holding
// back an unfinished UTF-8 sequence (a character split over byte-fallback tokens) until its last byte
// arrives. The output is always valid UTF-8: invalid bytes become U+FFFD. flush() returns whatever is
// held back (an unfinished sequence as U+FFFD) and resets the decoder.
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tok, bool render_special = false)
        : tok_(&tok), render_special_(render_special) {}
    std::string push(int32_t id);
    std::string flush();

private:
    const Tokenizer* tok_;
    bool render_special_;
    bool first_ = true;   // the space prefix of the first text is dropped, as detokenize does
    std::string pending_;
};

// Splits text the way a byte-level BPE vocabulary's pre-tokenizer regex does (tokenizer_pretok.cpp);
// returns the byte ranges [begin, end) of the pieces, which cover the text in order.
std::vector<std::pair<size_t, size_t>> pre_tokenize(const std::string& text, PreTokenizer p);
std::vector<std::string> pre_tokenize_strings(const std::string& text, PreTokenizer p);

// ---- implementation details shared by tokenizer*.cpp ----

// A trie of the special tokens' texts, for leftmost-longest matching in raw text.
struct SpecialTrie {
    std::unordered_map<uint64_t, int32_t> edges;  // (node << 8 | byte) -> child node
    std::vector<int32_t> token{-1};               // per node: the token ending here, or -1
    std::vector<uint8_t> always{0};               // per node: matched even without parse_special
    void add(const std::string& text, int32_t id, bool always_match);
    // Length of the longest acceptable match at text[pos], 0 if none; sets id.
    size_t match(const std::string& text, size_t pos, bool parse_special, int32_t& id) const;
};

struct Tokenizer::Vocab {
    std::string model, pre;
    std::vector<std::string> text;
    std::vector<float> score;
    std::vector<TokenType> type;
    std::unordered_map<std::string_view, int32_t> lookup;  // views into text / aliases
    std::vector<std::string> aliases;                      // extra spellings (reserved up front, never grown)
    SpecialTrie specials;
    int32_t byte_id[256];  // SPM: the <0xXX> tokens; BPE: the token of each byte's alphabet character

    // SPM: the priority of the piece a merge creates (higher first) and whether a piece may be formed.
    std::vector<float> merge_score;
    std::vector<uint8_t> mergeable;

    // BPE: (left id << 32 | right id) -> (rank, merged id).
    PreTokenizer pre_kind = PreTokenizer::Gpt2;
    std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;
    mutable std::mutex cache_mutex;
    mutable std::unordered_map<std::string, std::vector<int32_t>> cache;  // pre-token bytes -> ids

    int32_t find(std::string_view s) const {
        auto it = lookup.find(s);
        return it == lookup.end() ? -1 : it->second;
    }
};

}  // namespace giraffe
