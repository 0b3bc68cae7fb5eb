// giraffe perplexity: the common convention. Tokenize the whole file, cut it into non-overlapping chunks
// of n_ctx tokens each starting with BOS, score the second half of each chunk, print the running value
// and the final PPL with its standard error. A progress bar per chunk on stderr (progress.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "commands.h"
#include "model.h"
#include "progress.h"
#include "session.h"

namespace cli {

int cmd_perplexity(const Args& a) {
    require_model(a);
    if (a.file.empty()) throw std::invalid_argument("perplexity needs a text file: -f FILE");
    const std::string text = prompt_text(a, true);
    auto model = giraffe::Model::load(a.model, model_options(a));
    const giraffe::Tokenizer& tok = model->tokenizer();
    const int n_ctx = a.n_ctx > 0 ? a.n_ctx : 512;
    if (n_ctx < 8) throw std::invalid_argument("-c must be at least 8 for perplexity");
    Args sa = a;
    sa.n_ctx = n_ctx;
    giraffe::Session session(*model, session_params(sa, model->hparams()));

    const std::vector<int32_t> ids = tok.tokenize(text, true, false);
    if (a.n_chunks < 0) throw std::invalid_argument("--chunks must not be negative");
    int n_chunks = int(ids.size()) / n_ctx;
    if (a.n_chunks > 0) n_chunks = std::min(n_chunks, a.n_chunks);
    if (n_chunks == 0)
        throw std::invalid_argument("the file has " + std::to_string(ids.size()) + " tokens, fewer than one chunk of " +
                                    std::to_string(n_ctx));
    std::fprintf(stderr, "%zu tokens, %d chunks of %d\n", ids.size(), n_chunks, n_ctx);
    const int32_t n_vocab = model->hparams().n_vocab;
    const int first = n_ctx / 2;
    double sum = 0, sum_sq = 0;
    long count = 0;
    Progress bar(n_chunks);
    const std::string label = "chunks of " + std::to_string(n_ctx) + " tokens";
    for (int c = 0; c < n_chunks; c++) {
        bar.update(c + 1, label);
        std::vector<int32_t> chunk(ids.begin() + long(c) * n_ctx, ids.begin() + long(c + 1) * n_ctx);
        chunk[0] = tok.bos();
        session.clear();
        // The first half gives context only; the second is decoded a micro-batch at a time with every
        // position's logits, so no more than a micro-batch of them (n_vocab floats each) is ever held.
        session.decode(std::vector<int32_t>(chunk.begin(), chunk.begin() + first));
        const int piece = std::max(1, sa.n_ubatch);
        for (int b = first; b < n_ctx - 1; b += piece) {
            const int e = std::min(n_ctx - 1, b + piece);
            session.decode(std::vector<int32_t>(chunk.begin() + b, chunk.begin() + e), true);
            for (int i = b; i < e; i++) {
                const float* l = session.logits(i - b);
                double mx = l[0];
                for (int32_t v = 1; v < n_vocab; v++) mx = std::max(mx, double(l[v]));
                double z = 0;
                for (int32_t v = 0; v < n_vocab; v++) z += std::exp(double(l[v]) - mx);
                const double nll = std::log(z) + mx - double(l[chunk[size_t(i) + 1]]);
                sum += nll;
                sum_sq += nll * nll;
                count++;
            }
        }
        char line[64];
        std::snprintf(line, sizeof line, "[%d] %.4f", c + 1, std::exp(sum / double(count)));
        bar.print(line, stdout);
    }
    bar.finish();
    const double mean = sum / double(count);
    const double var = std::max(0.0, sum_sq / double(count) - mean * mean);
    const double ppl = std::exp(mean);
    const double err = ppl * std::sqrt(var / double(count - 1 > 0 ? count - 1 : 1));
    std::printf("PPL = %.4f +/- %.5f\n", ppl, err);
    return 0;
}

}  // namespace cli
