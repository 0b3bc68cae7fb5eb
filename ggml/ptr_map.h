// A map keyed by tensor pointers for the per-graph passes (building, scheduling, memory planning): open
// addressing with linear probing in two flat arrays, so an entry costs no allocation. These passes run
// once per decoded token over ~700 nodes; with std::unordered_map's node allocations they took ~0.3 ms of
// host time per token (TinyLlama Q4_0 on 2 cores: 1.5 % of a token), most of it in the maps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ggml {

template <class V>
class PtrMap {
public:
    explicit PtrMap(size_t expected = 8) {
        size_t cap = 16;
        while (cap < 2 * expected) cap *= 2;
        keys_.assign(cap, nullptr);
        vals_.resize(cap);
    }

    // The value at key (not null), inserted as V{} when absent.
    V& operator[](const void* key) {
        size_t i = slot(key);
        if (!keys_[i]) {
            if (2 * (size_ + 1) > keys_.size()) {
                grow();
                i = slot(key);
            }
            keys_[i] = key, vals_[i] = V{}, size_++;
        }
        return vals_[i];
    }
    const V* find(const void* key) const {
        const size_t i = slot(key);
        return keys_[i] ? &vals_[i] : nullptr;
    }
    V* find(const void* key) {
        const size_t i = slot(key);
        return keys_[i] ? &vals_[i] : nullptr;
    }
    bool contains(const void* key) const { return find(key) != nullptr; }
    void clear() {
        for (auto& k : keys_) k = nullptr;
        size_ = 0;
    }

private:
    // The slot holding key, or the empty slot where it would go.
    size_t slot(const void* key) const {
        uint64_t h = uint64_t(reinterpret_cast<uintptr_t>(key));
        h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33;  // pointers are aligned: mix the high bits in
        const size_t mask = keys_.size() - 1;
        size_t i = size_t(h) & mask;
        while (keys_[i] && keys_[i] != key) i = (i + 1) & mask;
        return i;
    }
    void grow() {
        std::vector<const void*> keys;
        std::vector<V> vals;
        keys.swap(keys_), vals.swap(vals_);
        keys_.assign(2 * keys.size(), nullptr);
        vals_.resize(keys_.size());
        for (size_t i = 0; i < keys.size(); i++)
            if (keys[i]) {
                const size_t j = slot(keys[i]);
                keys_[j] = keys[i], vals_[j] = std::move(vals[i]);
            }
    }

    std::vector<const void*> keys_;
    std::vector<V> vals_;
    size_t size_ = 0;
};

}  // namespace ggml
