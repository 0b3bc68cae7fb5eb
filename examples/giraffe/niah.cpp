// giraffe niah: needle in a haystack. For each length (prompt tokens) and depth (percent of the haystack)
// hide a 7-digit "magic number" in generated filler text, ask for it at the end, decode greedily, score
// the answer, and write niah.csv plus a heatmap niah.png.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

#include "chat.h"
#include "commands.h"
#include "heatmap.h"
#include "kv_cache.h"
#include "model.h"
#include "niah.h"
#include "progress.h"
#include "sampler.h"
#include "session.h"

namespace cli {
namespace {

constexpr int kAnswerTokens = 12;  // greedy tokens generated for the answer
const char* kDefaultLengths = "1k,2k,4k,8k";
const char* kDefaultDepths = "0,25,50,75,100";
const char* kIntro = "Below is a long collection of short notes. Somewhere among them is a special magic number. "
                     "Read carefully and remember it.";
const char* kQuestion = "What is the special magic number mentioned in the text above?";
const char* kAnswerLead = "The special magic number is";

// Deterministic, varied English: sentences assembled from phrase lists by a seeded generator, with a
// paragraph break every few sentences. No digits, so the needle is the only number in the haystack.
class Filler {
public:
    explicit Filler(uint64_t seed) : state_(seed) {}

    // The next sentence with its leading separator (" " or a paragraph break).
    std::string next() {
        static const char* const subjects[] = {
            "the old fisherman", "a young teacher", "the village baker", "my neighbour", "the tired engineer",
            "a curious child", "the librarian", "her grandmother", "the ship's captain", "a quiet painter",
            "the mayor", "a travelling musician", "the night nurse", "two students", "the gardener",
            "a stranger from the north", "the postman", "an elderly couple", "the shepherd", "the carpenter's son"};
        static const char* const actions[] = {
            "repaired the wooden fence", "baked a loaf of rye bread", "wrote a long letter to an old friend",
            "planted tomatoes along the wall", "painted a small blue boat", "carried a basket of apples",
            "read a book about distant mountains", "fed the hungry geese", "swept the dusty stairs",
            "tuned an old violin", "mended a torn sail", "counted the sheep twice", "lit a lantern",
            "sang a song about the sea", "sharpened the kitchen knives", "folded the clean laundry",
            "watched the clouds for an hour", "lost a glove", "found a strange key", "sold honey and candles",
            "climbed the bell tower", "told a story about a fox", "collected shells", "drew a map of the valley",
            "washed the windows", "argued about the price of wool", "chopped firewood", "pickled cucumbers",
            "polished the brass door handle", "greeted every passer-by"};
        static const char* const places[] = {
            "near the harbour", "behind the old mill", "in the market square", "by the river",
            "at the edge of the forest", "on the hill above the town", "in a narrow street",
            "outside the train station", "in the school courtyard", "beside the lighthouse", "under the bridge",
            "in the orchard", "at the crossroads", "inside the chapel", "on the village green"};
        static const char* const times[] = {
            "early in the morning", "before the rain began", "late in the afternoon", "after supper",
            "during the autumn fair", "on a windy evening", "at dawn", "while the bells were ringing",
            "in the middle of winter", "just before sunset", "on the first warm day of spring", "at midnight"};
        static const char* const clauses[] = {
            "because the weather was mild", "while a dog slept nearby", "although nobody had asked",
            "as the clouds drifted east", "and then went home to rest", "which surprised the neighbours",
            "and nobody seemed to mind", "though the work took longer than expected", "humming quietly",
            "before anyone else was awake", "as the tide went out", "and the cat watched from the roof"};
        static const char* const remarks[] = {
            "The wind carried the smell of salt across the fields.", "Somewhere a door creaked and closed again.",
            "The bakery window was fogged with steam.", "Nobody could remember a quieter week.",
            "Rain tapped softly on the slate roofs.", "The river was higher than usual that season.",
            "Children chased each other around the fountain.", "The smell of wood smoke hung in the air.",
            "A flock of starlings wheeled above the church.", "The road to the coast was lined with poplars.",
            "It was the kind of day that people forget quickly.", "The market stalls were packed away by noon."};
        std::string s;
        switch (pick(6)) {
            case 0: s = cap(any(subjects)) + " " + any(actions) + " " + any(places) + " " + any(times) + "."; break;
            case 1: s = cap(any(times)) + ", " + std::string(any(subjects)) + " " + any(actions) + " " + any(places) + "."; break;
            case 2: s = cap(any(subjects)) + " " + any(actions) + ", " + any(clauses) + "."; break;
            case 3:
                s = cap(any(subjects)) + " " + any(actions) + ", and " + std::string(any(subjects)) + " " + any(actions) +
                    " " + any(places) + ".";
                break;
            case 4: s = "Later, " + std::string(any(subjects)) + " " + any(actions) + " " + any(times) + "."; break;
            default: s = any(remarks); break;
        }
        const bool paragraph = ++in_paragraph_ > 3 && pick(4) == 0;
        if (paragraph) in_paragraph_ = 0;
        return (paragraph ? "\n\n" : " ") + s;
    }

private:
    uint64_t state_;
    int in_paragraph_ = 0;

    uint64_t rand() {  // splitmix64
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t pick(size_t n) { return size_t(rand() % n); }
    template <size_t N>
    const char* any(const char* const (&list)[N]) { return list[pick(N)]; }
    static std::string cap(std::string s) {
        if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = char(s[0] - 'a' + 'A');
        return s;
    }
};

double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string length_label(int n) { return n % 1024 == 0 ? std::to_string(n / 1024) + "k" : std::to_string(n); }

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// The RoPE scaling in effect, in words: "none", or "yarn x2 (original context 32768)".
std::string rope_description(const giraffe::Session& s, const Args& a) {
    const giraffe::RopeScaling& r = s.rope_scaling();
    std::string d = giraffe::rope_scaling_name(r.type);
    if (r.type != giraffe::RopeScalingType::None)
        d += " x" + fmt("%g", double(r.factor)) + " (original context " + std::to_string(r.orig_ctx) + ")";
    if (a.rope_freq_base) d += ", base " + fmt("%g", double(*a.rope_freq_base));
    if (!s.rope_note().empty()) d += ", chosen automatically";
    return d;
}

size_t physical_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : 0;
}

// What a session of n_ctx cells needs besides the weights: the KV cache (KvCache::estimate_bytes) plus
// the compute buffers, estimated as the attention masks (n_ctx x micro-batch floats, for each attention
// kind), the attention-score chunk bound, the micro-batch's activations and the logits.
size_t session_bytes(const giraffe::HParams& hp, const giraffe::SessionParams& p, int n_ctx) {
    const int ub = std::min(p.n_ubatch, n_ctx);
    const giraffe::KvTypes types{p.kv_type_k, p.kv_type_v, p.flash_attn == giraffe::FlashAttn::Off};
    const size_t kv = giraffe::KvCache::estimate_bytes(hp, n_ctx, ub, types);
    const size_t masks = size_t(2) * size_t(n_ctx) * size_t(ub) * 4;
    const int head_dim = std::max(hp.head_dim_k, hp.head_dim_v);
    const size_t acts = size_t(ub) * 4 * 2 * size_t(4 * hp.n_embd + 3 * hp.n_ff + (hp.n_head + 2 * hp.n_head_kv) * head_dim);
    const size_t logits = size_t(hp.n_vocab) * 4 * 2;
    return kv + masks + p.attn_scores_bytes + acts + logits;
}

// An answer is complete at the end of its line, or once a number is followed by something else than
// digits and thousands separators ("4839271." or "4839271 is").
bool answer_complete(const std::string& text) {
    const size_t start = text.find_first_not_of(" \n");
    if (start == std::string::npos) return false;
    if (text.find('\n', start) != std::string::npos) return true;
    bool digits = false;
    for (size_t i = start; i < text.size(); i++) {
        const bool d = text[i] >= '0' && text[i] <= '9';
        if (digits && !d && text[i] != ',') return true;
        digits = digits || d;
    }
    return false;
}

struct Trial {
    int length = 0, depth = 0;
    std::string needle, answer;
    double score = 0, seconds = 0;
};

constexpr long kMinFiller = 16;  // filler tokens a haystack needs at least

std::vector<int32_t> needle_tokens(const giraffe::Tokenizer& tok, const std::string& number) {
    return tok.tokenize(std::string(" ") + kAnswerLead + " " + number + ".", false, false);
}

// Prompt text around the haystack: before it (with BOS) and after it, ending where the answer starts.
struct PromptFrame {
    std::vector<int32_t> before, after;
    std::string template_name;  // "" for a plain completion prompt
};

PromptFrame prompt_frame(const giraffe::Model& model, const Args& a) {
    const giraffe::Tokenizer& tok = model.tokenizer();
    PromptFrame f;
    // Instruction-tuned files carry a chat template; base models (like the default Gemma 3 270M) get a
    // plain text prompt that they complete.
    std::string before, after;
    const bool chat = !a.chat_template.empty() || model.file().has("tokenizer.chat_template");
    if (chat) {
        giraffe::ChatTemplate t = giraffe::detect_chat_template(model.file());
        if (!a.chat_template.empty() && !giraffe::chat_template_from_name(a.chat_template, &t))
            throw std::invalid_argument("unknown chat template '" + a.chat_template + "' (gemma, llama3, chatml, mistral)");
        const std::string mark = "\x01HAYSTACK\x01";
        const std::string user = std::string(kIntro) + mark + "\n\n" + kQuestion;
        const std::string full = giraffe::format_chat(t, {{"user", user}}, true) + kAnswerLead;
        const size_t at = full.find(mark);
        before = full.substr(0, at);
        after = full.substr(at + mark.size());
        f.template_name = giraffe::chat_template_name(t);
    } else {
        before = kIntro;
        after = std::string("\n\n") + kQuestion + " " + kAnswerLead;
    }
    f.before = tok.tokenize(before, true, chat);
    f.after = tok.tokenize(after, false, chat);
    return f;
}

// The trial's prompt: exactly `length` tokens, the needle at the sentence boundary nearest to depth%.
std::vector<int32_t> build_prompt(const PromptFrame& f, const std::vector<std::vector<int32_t>>& sentences,
                                  const std::vector<int32_t>& needle, int length, int depth) {
    const long budget = long(length) - long(f.before.size() + f.after.size() + needle.size());
    if (budget < kMinFiller) throw std::invalid_argument("length " + std::to_string(length) + " leaves no room for the haystack");
    std::vector<int32_t> hay;
    std::vector<long> bounds{0};
    for (size_t i = 0; long(hay.size()) < budget; i++) {
        if (i >= sentences.size()) throw std::logic_error("niah: not enough filler");
        const auto& s = sentences[i];
        hay.insert(hay.end(), s.begin(), s.begin() + std::min(long(s.size()), budget - long(hay.size())));
        bounds.push_back(long(hay.size()));
    }
    const double target = double(depth) / 100.0 * double(budget);
    long at = 0;
    for (long b : bounds)
        if (std::fabs(double(b) - target) < std::fabs(double(at) - target)) at = b;
    std::vector<int32_t> ids = f.before;
    ids.insert(ids.end(), hay.begin(), hay.begin() + at);
    ids.insert(ids.end(), needle.begin(), needle.end());
    ids.insert(ids.end(), hay.begin() + at, hay.end());
    ids.insert(ids.end(), f.after.begin(), f.after.end());
    if (ids.size() != size_t(length))
        throw std::logic_error("niah: the prompt has " + std::to_string(ids.size()) + " tokens, not " + std::to_string(length));
    return ids;
}

struct Header {
    std::string model_name, model_path, rope, prompt;
    int n_ctx = 0;
};

double mean_score(const std::vector<Trial>& trials) {
    double sum = 0;
    for (const Trial& t : trials) sum += t.score;
    return trials.empty() ? 0.0 : sum / double(trials.size());
}

void write_atomic(const std::string& path, const std::string& data) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        out << data;
        if (!out.flush()) {
            std::remove(tmp.c_str());
            throw std::runtime_error("cannot write '" + tmp + "'");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "'");
    }
}

// Writes DIR/niah.csv and DIR/niah.png for the trials so far (cells of trials still to come are grey).
void save_results(const std::string& dir, const std::vector<Trial>& trials, const std::vector<int>& lengths,
                  const std::vector<int>& depths, int n_trials, const Header& hd, const std::string& font) {
    std::ostringstream csv;
    csv << "# giraffe niah: " << hd.model_name << " (" << hd.model_path << "), RoPE scaling " << hd.rope << ", context "
        << hd.n_ctx << ", " << hd.prompt << " prompt\n";
    csv << "# score: 1 when the answer contains the 7-digit needle; otherwise the longest common prefix of its digits"
           " and a number in the answer, divided by 7 (at most 6/7); answers are greedy, up to "
        << kAnswerTokens << " tokens\n";
    csv << "length,depth,score,answer,needle,seconds\n";
    for (const Trial& t : trials)
        csv << t.length << "," << t.depth << "," << fmt("%.4f", t.score) << "," << niah::csv_quote(t.answer) << "," << t.needle
            << "," << fmt("%.2f", t.seconds) << "\n";

    Heatmap h;
    h.title = "Needle in a haystack: " + hd.model_name;
    h.subtitle = "RoPE scaling: " + hd.rope + "  |  mean score " + fmt("%.2f", mean_score(trials));
    if (int(trials.size()) < n_trials)
        h.subtitle += " (" + std::to_string(trials.size()) + " of " + std::to_string(n_trials) + " trials)";
    h.x_label = "Context length (tokens)";
    h.y_label = "Needle depth (%)";
    for (int l : lengths) h.x_ticks.push_back(length_label(l));
    for (int d : depths) h.y_ticks.push_back(std::to_string(d) + "%");
    h.values.assign(depths.size() * lengths.size(), NAN);
    for (const Trial& t : trials) {
        const size_t r = size_t(std::find(depths.begin(), depths.end(), t.depth) - depths.begin());
        const size_t c = size_t(std::find(lengths.begin(), lengths.end(), t.length) - lengths.begin());
        h.values[r * lengths.size() + c] = float(t.score);
    }
    write_atomic(dir + "/niah.csv", csv.str());
    write_png(render_heatmap(h, font), dir + "/niah.png");
}

}  // namespace

int cmd_niah(const Args& a) {
    // Everything that can be wrong with the request is checked before the first trial.
    const std::vector<int> lengths = niah::parse_lengths(a.lengths.empty() ? kDefaultLengths : a.lengths);
    const std::vector<int> depths = niah::parse_depths(a.depths.empty() ? kDefaultDepths : a.depths);
    const std::string dir = a.output.empty() ? "." : a.output;
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw std::invalid_argument("-o " + dir + ": no such directory");
    require_model(a);
    const std::string font = find_font();
    auto model = giraffe::Model::load(a.model, model_options(a));
    const giraffe::HParams& hp = model->hparams();
    const giraffe::Tokenizer& tok = model->tokenizer();

    // One session for every trial: the longest prompt plus the answer.
    const int need_ctx = lengths.back() + kAnswerTokens;
    if (a.n_ctx > 0 && a.n_ctx < need_ctx)
        throw std::invalid_argument("-c " + std::to_string(a.n_ctx) + " is too small: length " + std::to_string(lengths.back()) +
                                    " needs " + std::to_string(need_ctx) + " (the prompt and " + std::to_string(kAnswerTokens) +
                                    " answer tokens)");
    Args sa = a;
    sa.n_ctx = std::max(a.n_ctx, need_ctx);
    const giraffe::SessionParams sp = session_params(sa, hp);
    // Memory rule: weights + KV cache + compute buffers (estimated) must fit in the physical memory.
    const size_t mem = physical_memory(), weights = model->weight_bytes(), sess = session_bytes(hp, sp, sa.n_ctx);
    const double GiB = 1024.0 * 1024.0 * 1024.0;
    if (mem > 0 && weights + sess > mem)
        throw std::invalid_argument("length " + length_label(lengths.back()) + " needs about " +
                                    fmt("%.1f", double(weights + sess) / GiB) + " GiB (weights " +
                                    fmt("%.1f", double(weights) / GiB) + " + KV cache and compute " +
                                    fmt("%.1f", double(sess) / GiB) + ") but this machine has " +
                                    fmt("%.1f", double(mem) / GiB) + " GiB");
    // The prompt around the haystack and the needle take a fixed number of tokens; a length must leave
    // some filler besides (kMinLength is the floor for any model).
    const PromptFrame frame = prompt_frame(*model, a);
    const size_t fixed = frame.before.size() + frame.after.size() + needle_tokens(tok, "1234567").size();
    if (size_t(lengths.front()) < fixed + kMinFiller)
        throw std::invalid_argument("length " + std::to_string(lengths.front()) +
                                    " is too short: this model's prompt and needle take " + std::to_string(fixed) +
                                    " tokens, so lengths start at " + std::to_string(fixed + kMinFiller));
    giraffe::Session session(*model, sp);
    const std::string rope = rope_description(session, a);
    const std::string model_name = model->file().get_str("general.name", a.model.substr(a.model.find_last_of('/') + 1));
    if (!session.rope_note().empty()) std::fprintf(stderr, "note: %s\n", session.rope_note().c_str());
    std::fprintf(stderr, "niah: %s, %zu lengths x %zu depths, context %d, RoPE scaling %s, %s prompt\n", model_name.c_str(),
                 lengths.size(), depths.size(), session.n_ctx(), rope.c_str(),
                 frame.template_name.empty() ? "plain" : (frame.template_name + " chat").c_str());

    // Filler for the longest haystack, tokenized once (a sentence at a time, so its boundaries are known).
    std::vector<std::vector<int32_t>> sentences;
    Filler filler(a.sampling.seed);
    for (long total = 0; total < lengths.back();) {
        sentences.push_back(tok.tokenize(filler.next(), false, false));
        total += long(sentences.back().size());
    }

    Header header;
    header.model_name = model_name;
    header.model_path = a.model;
    header.rope = rope;
    header.n_ctx = session.n_ctx();
    header.prompt = frame.template_name.empty() ? "plain" : frame.template_name + " chat";
    const int n_trials = int(lengths.size() * depths.size());
    std::vector<Trial> trials;
    const double t_start = now_s();
    // The bar counts prompt tokens, which is where the time goes; piped, the result lines below are the log.
    Progress bar(n_trials, Progress::Piped::Silent);
    double tokens_total = 0, tokens_done = 0;
    for (int length : lengths) tokens_total += double(length) * double(depths.size());
    for (int length : lengths)
        for (int depth : depths) {
            Trial t;
            t.length = length, t.depth = depth;
            t.needle = niah::magic_number(a.sampling.seed, length, depth);
            const std::vector<int32_t> needle = needle_tokens(tok, t.needle);
            const std::vector<int32_t> ids = build_prompt(frame, sentences, needle, length, depth);
            const std::string cell = "length " + length_label(length) + ", depth " + std::to_string(depth) + "%";
            const int step = int(trials.size()) + 1;
            const double t0 = now_s();
            session.clear();
            bar.update(step, cell, tokens_done / tokens_total);
            session.decode(ids, false, [&](int done, int) {
                bar.update(step, cell, (tokens_done + done) / tokens_total);
            });
            tokens_done += length;
            giraffe::SamplerParams gp;
            gp.temp = 0;  // greedy
            giraffe::Sampler sampler(gp);
            std::vector<int32_t> out;
            for (int i = 0; i < kAnswerTokens; i++) {
                const int32_t next = sampler.sample(session.logits(), tok.n_vocab());
                if (tok.is_eog(next)) break;
                out.push_back(next);
                const std::string text = tok.detokenize(out);
                if (answer_complete(text)) break;
                if (i + 1 < kAnswerTokens) session.decode({next});
            }
            t.answer = tok.detokenize(out);
            while (!t.answer.empty() && std::isspace(static_cast<unsigned char>(t.answer.back()))) t.answer.pop_back();
            while (!t.answer.empty() && std::isspace(static_cast<unsigned char>(t.answer.front()))) t.answer.erase(0, 1);
            t.score = niah::score_answer(t.answer, t.needle);
            t.seconds = now_s() - t0;
            char result[512];
            std::snprintf(result, sizeof result, "[%d/%d] %s: score %.2f, needle %s, answer %s (%.1f s)", step, n_trials,
                          cell.c_str(), t.score, t.needle.c_str(), niah::csv_quote(t.answer).c_str(), t.seconds);
            bar.print(result);
            trials.push_back(t);
            // Both files are rewritten after each trial, so an interrupted run keeps what it finished.
            save_results(dir, trials, lengths, depths, n_trials, header, font);
        }

    bar.finish();
    std::printf("mean score %.3f over %d trials in %.0f s\nwrote %s/niah.csv and %s/niah.png\n", mean_score(trials), n_trials,
                now_s() - t_start, dir.c_str(), dir.c_str());
    return 0;
}

}  // namespace cli
