// The giraffe command line's help and flag errors: every command's --help lists its flags and each
// listed flag is accepted; a flag a command does not take, or a bad number, is one line naming it; the
// progress of long work is plain lines when piped. None of it loads a model but the progress checks,
// which use a tiny one: seconds in all.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "examples/giraffe/progress.h"
#include "model_gen.h"
#include "test_util.h"

namespace {

const std::string kCli = GIRAFFE_CLI;
const std::vector<std::string> kCommands = {"run",  "chat",    "tokenize", "perplexity", "niah",     "bench",
                                            "info", "convert", "quantize", "serve",      "gen-model"};

struct Flag {
    std::vector<std::string> names;
    bool takes_value = false;
};

// The flags a command's help lists: lines "  -n, --n-predict N   help", a switch without the value.
std::vector<Flag> listed_flags(const std::string& help) {
    std::vector<Flag> flags;
    std::istringstream in(help);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("  -", 0) != 0) continue;
        const std::string synopsis = line.substr(2, line.find("  ", 2) - 2);
        Flag f;
        std::istringstream words(synopsis);
        for (std::string w; words >> w;) {
            if (w[0] != '-') {
                f.takes_value = true;
                break;
            }
            if (w.back() == ',') w.pop_back();
            f.names.push_back(w);
        }
        if (f.names != std::vector<std::string>{"-h", "--help"}) flags.push_back(f);
    }
    return flags;
}

// The command fails with a single line, "error: ..." containing every fragment.
void expect_one_line_error(const std::string& args, const std::vector<std::string>& fragments) {
    std::string out;
    const int rc = run_capture(kCli + " " + args, out);
    INFO("giraffe " << args << "\n" << out);
    REQUIRE(rc == 1);
    REQUIRE(out.rfind("error: ", 0) == 0);
    REQUIRE(out.find('\n') == out.size() - 1);
    for (const std::string& f : fragments) REQUIRE(out.find(f) != std::string::npos);
}

std::string help_of(const std::string& command) {
    std::string out;
    REQUIRE(run_capture(kCli + " " + command + " --help", out) == 0);
    return out;
}

bool lists(const std::string& help, const std::string& flag) {
    for (const Flag& f : listed_flags(help))
        if (std::find(f.names.begin(), f.names.end(), flag) != f.names.end()) return true;
    return false;
}

std::string tiny_model(const TempDir& dir, int n_layer) {
    const std::string path = dir.file("tiny.gguf");
    giraffe::ModelShape s;
    s.n_vocab = 300, s.n_embd = 64, s.n_layer = n_layer, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 128, s.n_ctx = 256;
    s.type = ggml::Type::F32;
    giraffe::write_random_model(path, s);
    return path;
}

}  // namespace

TEST_CASE("cli help: giraffe --help and giraffe help list every command", "[cli-help]") {
    for (const std::string args : {"--help", "-h", "help"}) {
        std::string out;
        REQUIRE(run_capture(kCli + " " + args, out) == 0);
        INFO(args << "\n" << out);
        for (const std::string& c : kCommands) REQUIRE(out.find("\n  " + c + " ") != std::string::npos);
    }
    std::string out;
    REQUIRE(run_capture(kCli + " help bench", out) == 0);
    REQUIRE(out == help_of("bench"));
    expect_one_line_error("help frobnicate", {"unknown command 'frobnicate'"});
}

TEST_CASE("cli help: every command's help lists its flags, and the parser takes each of them", "[cli-help]") {
    for (const std::string& c : kCommands) {
        DYNAMIC_SECTION(c) {
            const std::string help = help_of(c);
            INFO(help);
            REQUIRE(help.rfind("usage: giraffe " + c, 0) == 0);
            std::string short_help;
            REQUIRE(run_capture(kCli + " " + c + " -h", short_help) == 0);
            REQUIRE(short_help == help);
            // Every listed flag at once, each with a value the parser takes, then --help: exit 0 means the
            // parser knows them all (and no name is listed twice).
            const std::vector<Flag> flags = listed_flags(help);
            REQUIRE(!flags.empty());
            std::set<std::string> seen;
            std::string line = kCli + " " + c;
            for (const Flag& f : flags)
                for (const std::string& n : f.names) {
                    REQUIRE(seen.insert(n).second);
                    line += " " + n + (f.takes_value ? " 1" : "");
                }
            std::string out;
            INFO(line);
            REQUIRE(run_capture(line + " --help", out) == 0);
            REQUIRE(out == help);
        }
    }
}

TEST_CASE("cli help: a command lists only the flags it reads", "[cli-help]") {
    const std::string bench = help_of("bench");
    for (const char* f : {"-p", "-n", "-d", "-r", "--json", "-m", "-t", "-c", "-ub", "-fa", "--cache-type"})
        CHECK(lists(bench, f));
    for (const char* f : {"-b", "--temp", "--seed", "--keep", "--rope-scale", "-f", "-o"}) CHECK(!lists(bench, f));

    const std::string run = help_of("run");
    for (const char* f : {"-p", "-f", "-n", "--keep", "--temp", "--top-k", "--seed", "--rope-scaling", "-ngl"})
        CHECK(lists(run, f));
    for (const char* f : {"-b", "--json", "--port", "--lengths", "--tensors"}) CHECK(!lists(run, f));

    const std::string quantize = help_of("quantize");
    REQUIRE(listed_flags(quantize).size() == 1);
    CHECK(lists(quantize, "-t"));
    CHECK(quantize.find("Q4_K_M") != std::string::npos);  // the targets

    const std::string info = help_of("info");
    CHECK(lists(info, "--tensors"));
    CHECK(!lists(info, "-t"));
    CHECK(lists(help_of("serve"), "--parallel"));
    CHECK(lists(help_of("niah"), "--depths"));
    CHECK(lists(help_of("gen-model"), "--n-embd"));
}

TEST_CASE("cli help: a flag the command does not take is one line naming it and the command", "[cli-help]") {
    expect_one_line_error("bench --foo", {"giraffe bench does not take --foo", "(see giraffe bench --help)"});
    expect_one_line_error("info -m x.gguf -t 2", {"giraffe info does not take -t"});
    expect_one_line_error("run -m x.gguf -p hi --json", {"giraffe run does not take --json"});
    // llama.cpp's logical batch size has no meaning here: a prompt is decoded whole, in -ub micro-batches.
    expect_one_line_error("run -m x.gguf -p hi -b 512", {"giraffe run does not take -b"});
    expect_one_line_error("bench -m x.gguf -b 512", {"giraffe bench does not take -b"});
    expect_one_line_error("run -m x.gguf -p hello world", {"giraffe run: unexpected 'world'"});
    expect_one_line_error("quantize a b c d", {"giraffe quantize: unexpected 'd'"});
    expect_one_line_error("bench -m x.gguf -n", {"-n needs a value"});
}

TEST_CASE("cli help: a bad number is one line naming the flag and the value", "[cli-help]") {
    expect_one_line_error("bench -m x.gguf -p x", {"-p expects an integer, got 'x'"});
    expect_one_line_error("bench -m x.gguf -n 12abc", {"-n expects an integer, got '12abc'"});
    expect_one_line_error("bench -m x.gguf -p 512,x", {"-p expects an integer, got 'x' (in '512,x')"});
    expect_one_line_error("bench -m x.gguf -d 0,,8", {"-d expects an integer, got '' (in '0,,8')"});
    expect_one_line_error("bench -m x.gguf -p -5", {"-p expects an integer of at least 0, got '-5'"});
    expect_one_line_error("bench -m x.gguf -r 0", {"-r expects an integer of at least 1, got '0'"});
    expect_one_line_error("run -m x.gguf -p hi -n 99999999999", {"-n expects an integer from 0 to 2147483647, got '99999999999'"});
    expect_one_line_error("run -m x.gguf -p hi -c 1e3", {"-c expects an integer, got '1e3'"});
    expect_one_line_error("run -m x.gguf -p hi --temp warm", {"--temp expects a number, got 'warm'"});
    expect_one_line_error("run -m x.gguf -p hi --top-p 0.9x", {"--top-p expects a number, got '0.9x'"});
    expect_one_line_error("run -m x.gguf -p hi --temp nan", {"--temp expects a number, got 'nan'"});
    expect_one_line_error("serve -m x.gguf --port 70000", {"--port expects an integer from 0 to 65535, got '70000'"});
    expect_one_line_error("gen-model -o x.gguf --n-layer two", {"--n-layer expects an integer, got 'two'"});
}

TEST_CASE("cli help: bench takes lists of prompt and generation lengths", "[cli-help]") {
    TempDir dir;
    const std::string model = tiny_model(dir, 1);
    std::string out;
    REQUIRE(run_capture(kCli + " bench -m " + model + " -p 8,16 -n 0 -d 0,4 -r 1 --json -t 1", out) == 0);
    INFO(out);
    // The session is sized for the largest test: depth 4 + 16 prompt tokens + 1.
    REQUIRE(out.find("{\"test\": \"memory\", \"n_ctx\": 21, ") != std::string::npos);
    for (const char* test : {"\"pp8\", \"depth\": 0", "\"pp16\", \"depth\": 0", "\"pp8\", \"depth\": 4", "\"pp16\", \"depth\": 4"})
        REQUIRE(out.find(std::string("{\"test\": ") + test) != std::string::npos);
    REQUIRE(out.find("\"tg") == std::string::npos);
}

TEST_CASE("cli help: progress is plain lines when piped, at most one per 5% of the steps", "[cli-help]") {
    TempDir dir;
    const std::string model = tiny_model(dir, 12);  // 3 + 9 tensors a layer: more steps than 20
    std::string out;
    REQUIRE(run_capture(kCli + " quantize " + model + " " + dir.file("q8.gguf") + " Q8_0 -t 1", out) == 0);
    INFO(out);
    REQUIRE(out.find('\r') == std::string::npos);
    REQUIRE(out.find("\033[") == std::string::npos);
    const long steps = std::count(out.begin(), out.end(), '[');
    REQUIRE(steps >= 3);   // the first, some between, the last
    REQUIRE(steps <= 22);  // 20 buckets, the first and the last
    REQUIRE(out.find("[   1/") != std::string::npos);
    REQUIRE(out.find("tensors quantized") != std::string::npos);

    // perplexity: the chunk values on stdout stay as they were, the progress on stderr is plain.
    const std::string text = dir.file("text.txt");
    std::ofstream(text) << std::string(2000, 'a');
    REQUIRE(run_capture(kCli + " perplexity -m " + model + " -f " + text + " -c 16 --chunks 3 -t 1", out) == 0);
    INFO(out);
    REQUIRE(out.find('\r') == std::string::npos);
    REQUIRE(out.find("[   1/   3] chunks of 16 tokens\n") != std::string::npos);
    REQUIRE(out.find("\n[3] ") != std::string::npos);
    REQUIRE(out.find("PPL = ") != std::string::npos);
}

TEST_CASE("cli help: the progress bar on a terminal is one line redrawn in place", "[cli-help]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        cli::Progress bar(40, cli::Progress::Piped::Lines, f, true);
        bar.update(12, "blk.3.attn_q.weight", 11.0 / 40);
        bar.print("warning: a line of its own");
        bar.finish();
    }
    std::rewind(f);
    std::string got;
    for (int ch; (ch = std::fgetc(f)) != EOF;) got += char(ch);
    std::fclose(f);
    // Drawn, cleared for the warning, drawn again below it, cleared at the end.
    REQUIRE(got == "\r[#####...............] 12/40 blk.3.attn_q.weight\033[K\r\033[Kwarning: a line of its own\n"
                   "\r[#####...............] 12/40 blk.3.attn_q.weight\033[K\r\033[K");
    REQUIRE(cli::bar_line(40, 40, 1.0, std::string(50, 'x'), 3) ==
            "[####################] 40/40 " + std::string(33, 'x') + "...  ETA 3s");
    REQUIRE(cli::eta_text(125) == "2m05s");
    REQUIRE(cli::eta_text(3720) == "1h02m");
    REQUIRE(cli::plain_line(7, 26, "token_embd.weight") == "[   7/  26] token_embd.weight");
}
