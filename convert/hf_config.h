// config.json (and other JSON files) of a Hugging Face checkpoint, read strictly: every getter checks the
// value's type and range, and every error is one ConvertError line naming the file and the key
// ("ckpt/config.json: 'num_attention_heads' must be a positive integer, got "8"").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "convert/error.h"

namespace giraffe::convert {

class JsonObject {
public:
    // Reads a JSON file whose top level is an object; throws when it is missing or malformed.
    static JsonObject load(const std::string& path);

    const std::string& path() const { return path_; }
    // Present and not null.
    bool has(const std::string& key) const;

    // Integers (a float with an integral value is accepted, as Python's json gives 4096.0 as float).
    int64_t get_int(const std::string& key) const;
    int64_t get_int(const std::string& key, int64_t def) const;
    // A positive integer below 2^31 (sizes, counts).
    int64_t get_size(const std::string& key) const;
    int64_t get_size(const std::string& key, int64_t def) const;
    double get_float(const std::string& key) const;
    double get_float(const std::string& key, double def) const;
    bool get_bool(const std::string& key, bool def) const;
    std::string get_str(const std::string& key, const std::string& def) const;
    std::vector<double> get_float_array(const std::string& key) const;
    // The first string of an array of strings ("architectures"); throws when absent or empty.
    std::string get_first_str(const std::string& key) const;
    // Elements of an array or members of an object (0 when absent).
    size_t count(const std::string& key) const;
    // A nested object (nullopt when absent or null); its errors name it as "outer.inner".
    std::optional<JsonObject> object(const std::string& key) const;

    // Throws ConvertError("<path>: <what>").
    [[noreturn]] void fail(const std::string& what) const;

private:
    JsonObject(std::string path, std::string prefix, std::shared_ptr<const nlohmann::json> v);
    const nlohmann::json* find(const std::string& key) const;
    std::string quoted(const std::string& key) const;  // "'rope_scaling.factor'"
    [[noreturn]] void bad(const std::string& key, const char* expected) const;

    std::string path_, prefix_;
    std::shared_ptr<const nlohmann::json> v_;
};

// A checkpoint's text file, whole (at most 1 GiB); throws when it is missing, unreadable or larger.
std::string read_checkpoint_file(const std::string& path);
// The JSON object in a checkpoint's file, nesting bounded (copying and comparing JSON values recurse, and a
// hostile file must not exhaust the stack); one ConvertError line for a missing file, invalid JSON, or a
// top level that is not an object.
nlohmann::json load_json_object(const std::string& path);

// The checkpoint's config.json: "<dir>/config.json".
inline JsonObject load_hf_config(const std::string& dir) { return JsonObject::load(dir + "/config.json"); }

}  // namespace giraffe::convert
