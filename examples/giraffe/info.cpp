// giraffe info: what a model is and what running it costs in memory.
#include <cstdio>
#include <map>

#include "backends/registry.h"
#include "commands.h"
#include "kv_cache.h"
#include "model.h"

namespace cli {

int cmd_info(const Args& a) {
    if (a.model.empty()) {  // no model: the devices this build can run on
        std::printf("devices:\n");
        for (const std::string& line : ggml::describe_devices()) std::printf("  %s\n", line.c_str());
        return 0;
    }
    auto model = giraffe::Model::load(a.model, {});
    const giraffe::HParams& hp = model->hparams();
    const auto& f = model->file();
    const double MiB = 1024.0 * 1024.0;
    std::printf("file:          %s (GGUF v%u, %zu tensors, %.1f MiB)\n", a.model.c_str(), f.version(), f.tensors().size(),
                double(f.file_size()) / MiB);
    std::printf("name:          %s\n", f.get_str("general.name", "?").c_str());
    std::printf("architecture:  %s\n", hp.arch.c_str());
    std::printf("layers:        %d (", hp.n_layer);
    int n_swa = 0;
    for (int il = 0; il < hp.n_layer; il++) n_swa += hp.is_swa(il);
    std::printf("%d full attention, %d sliding window %d)\n", hp.n_layer - n_swa, n_swa, hp.sliding_window);
    std::printf("embedding:     %d, FFN %d, vocab %d\n", hp.n_embd, hp.n_ff, hp.n_vocab);
    std::printf("heads:         %d query, %d KV (GQA %d), head dim %d\n", hp.n_head, hp.n_head_kv, hp.n_gqa(), hp.head_dim_k);
    std::printf("context:       %d trained\n", hp.n_ctx_train);
    std::printf("rope:          %s pairs, %d dims, base %g", hp.rope_neox ? "neox" : "adjacent", hp.n_rot, double(hp.rope_base));
    if (n_swa) std::printf(" (sliding layers %g)", double(hp.rope_base_swa));
    std::printf(", scaling %s", giraffe::rope_scaling_name(hp.rope_scaling.type));
    if (hp.rope_scaling.type != giraffe::RopeScalingType::None) std::printf(" x%g", double(hp.rope_scaling.factor));
    std::printf("\n");
    std::map<std::string, std::pair<int, size_t>> types;
    for (const auto& t : f.tensors()) {
        auto& e = types[ggml::type_name(t.type)];
        e.first++;
        e.second += t.size;
    }
    std::printf("tensor types: ");
    for (auto& [name, e] : types) std::printf(" %s: %d (%.1f MiB)", name.c_str(), e.first, double(e.second) / MiB);
    std::printf("\nweights:       %.1f MiB\n", double(model->weight_bytes()) / MiB);
    const int n_ctx = a.n_ctx > 0 ? a.n_ctx : hp.n_ctx_train;
    const giraffe::SessionParams sp = session_params(a, hp);
    const giraffe::KvTypes kv_types{sp.kv_type_k, sp.kv_type_v, sp.flash_attn == giraffe::FlashAttn::Off};
    giraffe::KvCache::check_types(hp, kv_types);
    const size_t kv = giraffe::KvCache::estimate_bytes(hp, n_ctx, a.n_ubatch, kv_types);
    std::printf("KV cache:      %.1f MiB for %d tokens (K %s, V %s, micro-batch %d)\n", double(kv) / MiB, n_ctx,
                ggml::type_name(kv_types.k), ggml::type_name(kv_types.v), a.n_ubatch);
    if (a.all_tensors)
        for (const auto& t : f.tensors())
            std::printf("  %-40s %-6s [%lld, %lld, %lld, %lld]\n", t.name.c_str(), ggml::type_name(t.type),
                        (long long)t.ne[0], (long long)t.ne[1], (long long)t.ne[2], (long long)t.ne[3]);
    return 0;
}

}  // namespace cli
