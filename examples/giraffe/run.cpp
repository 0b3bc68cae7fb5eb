// giraffe run / chat: generate text, streaming it as it comes.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "chat.h"
#include "commands.h"
#include "model.h"
#include "progress.h"
#include "session.h"

namespace cli {
namespace {

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

struct Loaded {
    std::unique_ptr<giraffe::Model> model;
    std::unique_ptr<giraffe::Session> session;
    double load_ms = 0;
};

Loaded load(const Args& a) {
    require_model(a);
    if (a.n_keep < 0) throw std::invalid_argument("--keep must not be negative, got " + std::to_string(a.n_keep));
    Loaded l;
    const double t0 = now_ms();
    l.model = giraffe::Model::load(a.model, model_options(a));
    l.session = std::make_unique<giraffe::Session>(*l.model, session_params(a, l.model->hparams()));
    // A context shift must drop at least one token.
    if (a.n_keep >= l.session->n_ctx() - 1)
        throw std::invalid_argument("--keep " + std::to_string(a.n_keep) + " leaves nothing for a context shift to drop: it must be below " +
                                    std::to_string(l.session->n_ctx() - 1) + " with a context of " + std::to_string(l.session->n_ctx()) +
                                    " (lower --keep or raise -c)");
    if (!l.session->rope_note().empty()) std::fprintf(stderr, "note: %s\n", l.session->rope_note().c_str());
    l.load_ms = now_ms() - t0;
    return l;
}

// Decodes a prompt; a long one shows a bar on a terminal, but no lines in a log (they would tell little).
void decode_prompt(giraffe::Session& s, const std::vector<int32_t>& ids) {
    constexpr size_t kLong = 1024;
    if (ids.size() < kLong) return s.decode(ids);
    Progress bar(int(ids.size()), Progress::Piped::Silent);
    s.decode(ids, false, [&bar](int done, int total) { bar.update(done, "prompt tokens", double(done) / total); });
}

// Context shifts (keeping the first `keep` tokens, the attention sinks) until n more tokens fit in the
// context with one cell to spare; each says so on stderr. False when they cannot make the room.
bool make_room(giraffe::Session& s, int n, int keep) {
    while (s.n_past() + n >= s.n_ctx()) {
        const int dropped = s.shift(keep);
        if (dropped == 0) return false;
        std::fprintf(stderr, "\n[context shift: dropped %d tokens]\n", dropped);
    }
    return true;
}

// Generates up to n tokens after the session's current state, streaming text to stdout; stops at an
// end-of-generation token. A full context shifts, keeping the first `keep` tokens. Returns the number generated.
int generate(giraffe::Session& s, const giraffe::Tokenizer& tok, giraffe::Sampler& sampler, int n, int keep, std::string* text) {
    giraffe::StreamDecoder dec(tok);
    int made = 0;
    while (made < n) {
        const int32_t t = sampler.sample(s.logits(), int32_t(tok.n_vocab()));
        if (tok.is_eog(t)) break;
        sampler.accept(t);
        const std::string piece = dec.push(t);
        if (text) *text += piece;
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        made++;
        if (made == n) break;
        if (s.n_past() >= s.n_ctx() && !make_room(s, 0, keep)) {
            std::fprintf(stderr, "\n[context full: %d tokens]\n", s.n_ctx());
            break;
        }
        s.decode({t});
    }
    const std::string rest = dec.flush();
    if (text) *text += rest;
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    return made;
}

}  // namespace

int cmd_run(const Args& a) {
    const std::string prompt = prompt_text(a, true);
    Loaded l = load(a);
    const giraffe::Tokenizer& tok = l.model->tokenizer();
    std::vector<int32_t> ids = tok.tokenize(prompt, !a.no_bos, a.parse_special);
    if (ids.empty()) throw std::invalid_argument("the prompt is empty after tokenization");
    if (int(ids.size()) >= l.session->n_ctx())
        throw std::length_error("the prompt has " + std::to_string(ids.size()) + " tokens but the context holds " +
                                std::to_string(l.session->n_ctx()) + " (raise -c)");
    giraffe::Sampler sampler(a.sampling);
    for (int32_t t : ids) sampler.accept(t);
    const double t0 = now_ms();
    decode_prompt(*l.session, ids);
    const double t1 = now_ms();
    // Echoed after the prompt is read, so a progress bar on the same terminal does not overwrite it.
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    std::fflush(stdout);
    const int made = generate(*l.session, tok, sampler, a.n_predict, a.n_keep, nullptr);
    const double t2 = now_ms();
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "load %.0f ms | prompt %zu tokens, %.1f tokens/s | generation %d tokens, %.1f tokens/s\n",
                 l.load_ms, ids.size(), double(ids.size()) * 1000.0 / (t1 - t0), made,
                 made > 1 ? double(made - 1) * 1000.0 / (t2 - t1) : 0.0);
    return 0;
}

int cmd_chat(const Args& a) {
    Loaded l = load(a);
    const giraffe::Tokenizer& tok = l.model->tokenizer();
    giraffe::ChatTemplate tmpl = giraffe::detect_chat_template(l.model->file());
    if (!a.chat_template.empty() && !giraffe::chat_template_from_name(a.chat_template, &tmpl))
        throw std::invalid_argument("unknown chat template '" + a.chat_template + "' (gemma, llama3, chatml, mistral)");
    std::fprintf(stderr, "chat template: %s. Type a message; an empty line or end of input quits.\n",
                 giraffe::chat_template_name(tmpl));
    std::vector<giraffe::ChatMessage> history;
    if (!a.system_prompt.empty()) history.push_back({"system", a.system_prompt});
    std::string shown;  // formatted conversation already fed to the model
    giraffe::Sampler sampler(a.sampling);
    std::string line;
    while (true) {
        std::fprintf(stderr, "> ");
        if (!std::getline(std::cin, line) || line.empty()) break;
        history.push_back({"user", line});
        const std::string full = giraffe::format_chat(tmpl, history, true);
        const std::string delta = full.substr(shown.size());
        std::vector<int32_t> ids = tok.tokenize(delta, shown.empty(), true);
        if (!make_room(*l.session, int(ids.size()), a.n_keep))
            throw std::length_error("the message needs " + std::to_string(ids.size()) + " tokens, more than a context of " +
                                    std::to_string(l.session->n_ctx()) + " holds after keeping " + std::to_string(a.n_keep) +
                                    " (raise -c)");
        decode_prompt(*l.session, ids);
        std::string reply;
        generate(*l.session, tok, sampler, a.n_predict > 0 ? a.n_predict : 1 << 30, a.n_keep, &reply);
        std::printf("\n");
        history.push_back({"assistant", reply});
        // The model saw the reply but not the end-of-turn marker that closes it: feed the rest.
        const std::string closed = giraffe::format_chat(tmpl, history, false);
        const std::string tail = closed.substr(std::min(closed.size(), full.size() + reply.size()));
        if (!tail.empty()) {
            std::vector<int32_t> t = tok.tokenize(tail, false, true);
            if (!t.empty() && make_room(*l.session, int(t.size()), a.n_keep)) l.session->decode(t);
        }
        shown = closed;
    }
    return 0;
}

}  // namespace cli
