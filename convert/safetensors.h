// Safetensors checkpoints (https://huggingface.co/docs/safetensors): a mapped, validated reader.
//
// File layout: u64 little-endian header length N | N bytes of JSON | data. The JSON maps each tensor name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section) and may hold
// "__metadata__" (string to string). A checkpoint is one "model.safetensors" or shards listed by
// "model.safetensors.index.json" ({"weight_map": {tensor: shard file}}).
//
// Opening validates the whole header before anything is handed out: header length within the file and a
// sane limit, JSON well formed, every dtype known, shape entries non-negative with no overflow, offsets
// inside the data section, end - begin = element count x dtype size, no two tensors overlapping, no
// duplicate names (within and across shards). Every violation is a one-line ConvertError naming the file
// and the tensor ("<path>: tensor 'name': <problem>"). Gaps between tensors are allowed; headers over
// 100 MB are refused. Hosts are assumed little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "convert/error.h"

namespace giraffe::convert {

// Element types the converter reads; other dtypes (I64, F8_E4M3, ...) are recognised by name and refused
// with a clear error when a tensor of that type is opened for conversion.
enum class StDtype { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2, Other };

const char* st_dtype_name(StDtype t);
size_t st_dtype_size(StDtype t);  // bytes per element

struct StTensor {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape;  // as stored: outermost dimension first (PyTorch order)
    const uint8_t* data = nullptr;  // into the file's mapping
    size_t nbytes = 0;
    const std::string* file = nullptr;  // the shard it lives in, for error messages
    int64_t n_elements() const;
};

// One mapped safetensors file.
class SafetensorsFile {
public:
    explicit SafetensorsFile(const std::string& path);  // throws ConvertError
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::vector<StTensor>& tensors() const { return tensors_; }  // in data-offset order
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    std::string path_;
    uint8_t* map_ = nullptr;
    size_t size_ = 0;
    std::vector<StTensor> tensors_;
    std::map<std::string, std::string> metadata_;
};

// A checkpoint folder: every tensor of every shard by name.
class Checkpoint {
public:
    // dir holds model.safetensors (preferred, as transformers does), or model.safetensors.index.json and
    // its shards (shard names must be plain file names inside dir, every shard the index names must exist
    // and every tensor it lists must be in its shard), or, with neither, the *.safetensors files it
    // contains. Every tensor of every file opened is included; a name found in two files is an error.
    // Throws ConvertError.
    explicit Checkpoint(const std::string& dir);

    const std::string& dir() const { return dir_; }
    const StTensor* find(const std::string& name) const;  // nullptr when absent
    const StTensor& get(const std::string& name) const;   // throws "<dir>: tensor 'x' is missing"
    const std::vector<const StTensor*>& tensors() const { return order_; }  // sorted by name

private:
    std::string dir_;
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
    std::map<std::string, const StTensor*> by_name_;
    std::vector<const StTensor*> order_;
};

// A tensor's elements as float (F32 copied, F16 / BF16 widened exactly) into out[n_elements()]; throws
// ConvertError naming the tensor and its dtype for other dtypes.
void st_to_f32(const StTensor& t, float* out);

}  // namespace giraffe::convert
