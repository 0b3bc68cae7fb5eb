#include "convert/hf_config.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "ggml/printable.h"

namespace giraffe::convert {

using nlohmann::json;

JsonObject::JsonObject(std::string path, std::string prefix, std::shared_ptr<const json> v)
    : path_(std::move(path)), prefix_(std::move(prefix)), v_(std::move(v)) {}

namespace {
constexpr uintmax_t kMaxFileBytes = uintmax_t(1) << 30;  // largest file read (Gemma's tokenizer.json is 33 MB)
constexpr int kMaxJsonDepth = 64;                         // real files nest about 6 levels
}  // namespace

std::string read_checkpoint_file(const std::string& path) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) throw ConvertError(path + ": " + ec.message());
    if (size > kMaxFileBytes) throw ConvertError(path + ": file is too large (" + std::to_string(size) + " bytes)");
    std::ifstream f(path, std::ios::binary);
    std::string s(static_cast<size_t>(size), '\0');
    if (!f || !f.read(s.data(), static_cast<std::streamsize>(size)))
        throw ConvertError(path + ": cannot read the file");
    return s;
}

json load_json_object(const std::string& path) {
    bool too_deep = false;
    auto limit_depth = [&](int depth, json::parse_event_t, json&) {
        if (depth > kMaxJsonDepth) too_deep = true;
        return !too_deep;
    };
    json j;
    try {
        j = json::parse(read_checkpoint_file(path), limit_depth);
    } catch (const json::exception& e) {
        throw ConvertError(path + ": invalid JSON: " + ggml::printable(e.what(), 300));
    }
    if (too_deep) throw ConvertError(path + ": JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    if (!j.is_object()) throw ConvertError(path + ": expected a JSON object at the top level");
    return j;
}

JsonObject JsonObject::load(const std::string& path) {
    return JsonObject(path, "", std::make_shared<json>(load_json_object(path)));
}

void JsonObject::fail(const std::string& what) const { throw ConvertError(path_ + ": " + what); }

std::string JsonObject::quoted(const std::string& key) const { return "'" + prefix_ + key + "'"; }

const json* JsonObject::find(const std::string& key) const {
    auto it = v_->find(key);
    return it == v_->end() || it->is_null() ? nullptr : &*it;
}

void JsonObject::bad(const std::string& key, const char* expected) const {
    std::string got = find(key)->dump();
    if (got.size() > 60) got = got.substr(0, 57) + "...";
    fail(quoted(key) + " must be " + expected + ", got " + got);
}

bool JsonObject::has(const std::string& key) const { return find(key) != nullptr; }

int64_t JsonObject::get_int(const std::string& key) const {
    const json* j = find(key);
    if (!j) fail(quoted(key) + " is missing");
    if (j->is_number_integer()) return j->get<int64_t>();
    if (j->is_number_float()) {
        const double d = j->get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return int64_t(d);
    }
    bad(key, "an integer");
}

int64_t JsonObject::get_int(const std::string& key, int64_t def) const { return has(key) ? get_int(key) : def; }

int64_t JsonObject::get_size(const std::string& key) const {
    const int64_t v = get_int(key);
    if (v <= 0 || v >= (int64_t(1) << 31)) bad(key, "a positive integer below 2^31");
    return v;
}

int64_t JsonObject::get_size(const std::string& key, int64_t def) const { return has(key) ? get_size(key) : def; }

double JsonObject::get_float(const std::string& key) const {
    const json* j = find(key);
    if (!j) fail(quoted(key) + " is missing");
    if (!j->is_number() || !std::isfinite(j->get<double>())) bad(key, "a finite number");
    return j->get<double>();
}

double JsonObject::get_float(const std::string& key, double def) const { return has(key) ? get_float(key) : def; }

bool JsonObject::get_bool(const std::string& key, bool def) const {
    const json* j = find(key);
    if (!j) return def;
    if (!j->is_boolean()) bad(key, "true or false");
    return j->get<bool>();
}

std::string JsonObject::get_str(const std::string& key, const std::string& def) const {
    const json* j = find(key);
    if (!j) return def;
    if (!j->is_string()) bad(key, "a string");
    return j->get<std::string>();
}

std::vector<double> JsonObject::get_float_array(const std::string& key) const {
    const json* j = find(key);
    if (!j) fail(quoted(key) + " is missing");
    if (!j->is_array()) bad(key, "an array of numbers");
    std::vector<double> out;
    for (const json& e : *j) {
        if (!e.is_number() || !std::isfinite(e.get<double>())) bad(key, "an array of finite numbers");
        out.push_back(e.get<double>());
    }
    return out;
}

std::string JsonObject::get_first_str(const std::string& key) const {
    const json* j = find(key);
    if (!j) fail(quoted(key) + " is missing");
    if (!j->is_array() || j->empty() || !(*j)[0].is_string()) bad(key, "a list of names");
    return (*j)[0].get<std::string>();
}

size_t JsonObject::count(const std::string& key) const {
    const json* j = find(key);
    if (!j) return 0;
    if (!j->is_array() && !j->is_object()) bad(key, "an array or an object");
    return j->size();
}

std::optional<JsonObject> JsonObject::object(const std::string& key) const {
    const json* j = find(key);
    if (!j) return std::nullopt;
    if (!j->is_object()) bad(key, "an object");
    return JsonObject(path_, prefix_ + key + ".", std::make_shared<const json>(*j));
}

}  // namespace giraffe::convert
