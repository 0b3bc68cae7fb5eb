// tokenizer.model (SentencePiece ModelProto) reader; see sentencepiece_model.h for the wire format.
#include "convert/sentencepiece_model.h"

#include <cstring>
#include <string_view>

namespace giraffe::convert {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// A cursor over the bytes of one message. Nested messages get their own cursor; offsets in errors count
// from the start of the file so that a message can be found with a hex dump.
class Wire {
public:
    Wire(const std::string& name, std::string_view bytes, size_t base) : name_(name), bytes_(bytes), base_(base) {}

    bool at_end() const { return pos_ == bytes_.size(); }
    size_t offset() const { return base_ + pos_; }

    [[noreturn]] void fail(size_t at, const std::string& what) const {
        throw ConvertError(name_ + ": invalid SentencePiece model: " + what + " at byte " + std::to_string(at));
    }

    uint64_t varint() {
        const size_t at = offset();
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {  // at most 10 bytes
            if (at_end()) fail(at, "truncated varint");
            const uint8_t b = static_cast<uint8_t>(bytes_[pos_++]);
            v |= static_cast<uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
        fail(at, "varint longer than 10 bytes");
    }

    // The next field's number and wire type.
    void tag(uint32_t& field, uint32_t& wire) {
        const size_t at = offset();
        const uint64_t t = varint();
        if (t >> 32 || (t >> 3) == 0) fail(at, "invalid field tag " + std::to_string(t));
        field = static_cast<uint32_t>(t >> 3);
        wire = static_cast<uint32_t>(t & 7);
    }

    // A length-delimited value (string, bytes or nested message), as a view and its file offset.
    std::string_view length_delimited(size_t& value_offset) {
        const size_t at = offset();
        const uint64_t n = varint();
        if (n > bytes_.size() - pos_)
            fail(at, "length " + std::to_string(n) + " runs past the end of its message (" +
                         std::to_string(bytes_.size() - pos_) + " bytes left)");
        value_offset = offset();
        const std::string_view v = bytes_.substr(pos_, static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return v;
    }

    uint32_t fixed32() {
        need(4);
        uint32_t v;
        std::memcpy(&v, bytes_.data() + pos_, 4);  // little-endian, as is the host
        pos_ += 4;
        return v;
    }

    void skip(uint32_t field, uint32_t wire) {
        size_t ignored;
        switch (wire) {
            case kVarint: varint(); return;
            case kFixed64: need(8); pos_ += 8; return;
            case kLengthDelimited: length_delimited(ignored); return;
            case kFixed32: need(4); pos_ += 4; return;
            default:  // 3 and 4 are proto2 groups, which ModelProto does not use; 6 and 7 do not exist
                fail(offset(), "unsupported wire type " + std::to_string(wire) + " for field " + std::to_string(field));
        }
    }

    void expect(uint32_t field, uint32_t wire, uint32_t want, const std::string& what) const {
        if (wire != want)
            fail(offset(), what + " field " + std::to_string(field) + " has wire type " + std::to_string(wire) +
                               ", expected " + std::to_string(want));
    }

private:
    void need(size_t n) const {
        if (bytes_.size() - pos_ < n)
            fail(offset(), "fixed-size value of " + std::to_string(n) + " bytes runs past the end of its message");
    }

    const std::string& name_;
    std::string_view bytes_;
    size_t base_;
    size_t pos_ = 0;
};

SpmPiece parse_piece(Wire w, size_t index) {
    const std::string what = "piece " + std::to_string(index) + ":";
    SpmPiece p;
    while (!w.at_end()) {
        uint32_t field, wire;
        w.tag(field, wire);
        if (field == 1) {
            w.expect(field, wire, kLengthDelimited, what);
            size_t at;
            p.piece = std::string(w.length_delimited(at));
        } else if (field == 2) {
            w.expect(field, wire, kFixed32, what);
            const uint32_t bits = w.fixed32();
            std::memcpy(&p.score, &bits, 4);
        } else if (field == 3) {
            w.expect(field, wire, kVarint, what);
            const size_t at = w.offset();
            const uint64_t t = w.varint();
            if (t < 1 || t > 6) w.fail(at, what + " unknown type " + std::to_string(t));
            p.type = static_cast<TokenType>(t);
        } else {
            w.skip(field, wire);
        }
    }
    if (p.piece.empty()) w.fail(w.offset(), what + " empty or missing piece text");
    return p;
}

}  // namespace

std::vector<SpmPiece> parse_sentencepiece_model(const std::string& bytes, const std::string& name) {
    Wire w(name, bytes, 0);
    std::vector<SpmPiece> pieces;
    while (!w.at_end()) {
        uint32_t field, wire;
        w.tag(field, wire);
        if (field != 1) {  // trainer_spec, normalizer_spec, self_test_data, denormalizer_spec, ...
            w.skip(field, wire);
            continue;
        }
        w.expect(field, wire, kLengthDelimited, "ModelProto");
        size_t at;
        const std::string_view msg = w.length_delimited(at);
        pieces.push_back(parse_piece(Wire(name, msg, at), pieces.size()));
    }
    if (pieces.empty()) throw ConvertError(name + ": invalid SentencePiece model: no pieces");
    return pieces;
}

}  // namespace giraffe::convert
