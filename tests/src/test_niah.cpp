// giraffe niah: the heatmap writer, the scoring and list parsing, the bad-input errors, and a real run.
#include <catch2/catch.hpp>

#include <cmath>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <sstream>

#include "examples/giraffe/niah.h"
#include "model_gen.h"
#include "test_util.h"
// The heatmap writer belongs to the giraffe program, not the library test_src links: compile it here.
#include "examples/giraffe/heatmap.cpp"

namespace {

const std::string kCli = GIRAFFE_CLI;

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
        closedir(d);
    }
    return out;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The width and height a PNG file declares (its IHDR), after checking the signature.
std::pair<int, int> png_size(const std::string& path) {
    const std::string d = read_all(path);
    REQUIRE(d.size() > 33);
    REQUIRE(d.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    REQUIRE(d.compare(12, 4, "IHDR") == 0);
    auto be32 = [&](size_t at) {
        return int((uint32_t(uint8_t(d[at])) << 24) | (uint32_t(uint8_t(d[at + 1])) << 16) |
                   (uint32_t(uint8_t(d[at + 2])) << 8) | uint32_t(uint8_t(d[at + 3])));
    };
    return {be32(16), be32(20)};
}

// The CSV's data rows (comment lines and the column header left out).
std::vector<std::string> csv_rows(const std::string& path) {
    std::istringstream in(read_all(path));
    std::vector<std::string> rows;
    std::string line;
    bool header = false;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (!header) {
            REQUIRE(line == "length,depth,score,answer,needle,seconds");
            header = true;
            continue;
        }
        rows.push_back(line);
    }
    REQUIRE(header);
    return rows;
}

// A random-weight llama: tiny, or with a KV cache of 32 KiB per token (8 layers of 8 KV heads of 128).
std::string random_model(const TempDir& dir, bool big_kv) {
    const std::string path = dir.file(big_kv ? "big_kv.gguf" : "tiny.gguf");
    giraffe::ModelShape s;
    s.n_vocab = 400, s.n_embd = 64, s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 128, s.n_ctx = 1024;
    if (big_kv) s.n_layer = 8, s.n_head = 8, s.n_head_kv = 8, s.head_dim = 128;
    s.type = ggml::Type::F16;
    giraffe::write_random_model(path, s);
    return path;
}

// A niah run that must fail with one line naming `fragment` and leave the output directory empty.
void expect_niah_error(const std::string& args, const std::string& fragment, const std::string& out_dir) {
    std::string out;
    const int rc = run_capture(kCli + " niah " + args, out);
    INFO("giraffe niah " << args << "\n" << out);
    REQUIRE(rc != 0);
    const size_t at = out.find("error: ");
    REQUIRE(at != std::string::npos);
    REQUIRE(out.find(fragment, at) != std::string::npos);
    REQUIRE(out.find('\n', at) == out.size() - 1);
    REQUIRE(files_in(out_dir).empty());
}

}  // namespace

TEST_CASE("niah: the heatmap's cells take the colours of their scores", "[niah]") {
    using cli::score_colour;
    // Red at 0, yellow in the middle, green at 1; clamped outside.
    REQUIRE(score_colour(0)[0] > 200);
    REQUIRE(score_colour(0)[1] < 80);
    REQUIRE(score_colour(1)[1] > 140);
    REQUIRE(score_colour(1)[0] < 40);
    REQUIRE(score_colour(0.5f)[0] > 240);
    REQUIRE(score_colour(0.5f)[1] > 200);
    REQUIRE(score_colour(-1) == score_colour(0));
    REQUIRE(score_colour(2) == score_colour(1));
    REQUIRE(score_colour(0.25f)[1] > score_colour(0)[1]);  // red turns orange on the way to yellow

    cli::Heatmap h;
    h.title = "Needle in a haystack: test";
    h.subtitle = "RoPE scaling: none";
    h.x_label = "Context length (tokens)";
    h.y_label = "Needle depth (%)";
    h.x_ticks = {"1k", "2k", "4k"};
    h.y_ticks = {"0%", "100%"};
    h.values = {0.0f, 0.5f, 1.0f, NAN, 0.25f, 0.75f};
    const cli::Image img = cli::render_heatmap(h, cli::find_font());
    REQUIRE(img.width > 0);
    REQUIRE(img.height > 0);
    REQUIRE(img.rgb.size() == size_t(img.width) * size_t(img.height) * 3);
    REQUIRE(img.cells.size() == 6);
    for (size_t i = 0; i < img.cells.size(); i++) {
        const cli::Rect& c = img.cells[i];
        INFO("cell " << i);
        REQUIRE(c.x >= 0);
        REQUIRE(c.y >= 0);
        REQUIRE(c.x + c.w <= img.width);
        REQUIRE(c.y + c.h <= img.height);
        // The corners are the cell's colour; the middle carries its value's text.
        const auto col = score_colour(h.values[i]);
        REQUIRE(img.pixel(c.x + 1, c.y + 1) == col);
        REQUIRE(img.pixel(c.x + c.w - 2, c.y + c.h - 2) == col);
        int text = 0;
        for (int y = c.y; y < c.y + c.h; y++)
            for (int x = c.x; x < c.x + c.w; x++) text += img.pixel(x, y) != col;
        REQUIRE(text > (std::isnan(h.values[i]) ? 4 : 20));  // "-" for no value
    }
    // Rows go down, columns go right.
    REQUIRE(img.cells[1].x > img.cells[0].x);
    REQUIRE(img.cells[3].y > img.cells[0].y);
    // The title is drawn above the grid.
    int ink = 0;
    for (int y = 0; y < img.cells[0].y; y++)
        for (int x = 0; x < img.width; x++) ink += img.pixel(x, y) != std::array<uint8_t, 3>{255, 255, 255};
    REQUIRE(ink > 200);

    TempDir dir;
    cli::write_png(img, dir.file("map.png"));
    REQUIRE(png_size(dir.file("map.png")) == std::make_pair(img.width, img.height));
    REQUIRE(files_in(dir.path()) == std::vector<std::string>{"map.png"});  // no .tmp left behind

    h.values.pop_back();
    REQUIRE_THROWS_WITH(cli::render_heatmap(h, cli::find_font()), Catch::Contains("5 values for 2 rows and 3 columns"));
    h.values.push_back(0.5f);
    REQUIRE_THROWS_WITH(cli::render_heatmap(h, dir.file("map.png")), Catch::Contains("not a TrueType font"));
}

TEST_CASE("niah: scoring an answer", "[niah]") {
    using cli::niah::score_answer;
    REQUIRE(score_answer("4839271.", "4839271") == 1.0);
    REQUIRE(score_answer("The special magic number is 4839271", "4839271") == 1.0);
    REQUIRE(score_answer("4,839,271", "4839271") == 1.0);
    REQUIRE(score_answer("12 or 4839271?", "4839271") == 1.0);
    REQUIRE(score_answer("4839000", "4839271") == Approx(4.0 / 7));
    REQUIRE(score_answer("4839", "4839271") == Approx(4.0 / 7));
    REQUIRE(score_answer("9 48 4830000", "4839271") == Approx(3.0 / 7));  // the best number counts
    REQUIRE(score_answer("48392710", "4839271") == Approx(6.0 / 7));       // only the exact number is 1
    REQUIRE(score_answer("1234567", "4839271") == 0.0);
    REQUIRE(score_answer("I do not know.", "4839271") == 0.0);
    REQUIRE(score_answer("", "4839271") == 0.0);

    // Needles: seven digits, repeatable, different per trial.
    using cli::niah::magic_number;
    REQUIRE(magic_number(1, 1024, 50).size() == 7);
    REQUIRE(magic_number(1, 1024, 50) == magic_number(1, 1024, 50));
    REQUIRE(magic_number(1, 1024, 50) != magic_number(1, 1024, 60));
    REQUIRE(magic_number(1, 1024, 50) != magic_number(2, 1024, 50));
    REQUIRE(cli::niah::csv_quote("say \"hi\"\nbye") == "\"say \"\"hi\"\"\\nbye\"");
}

TEST_CASE("niah: lengths and depths", "[niah]") {
    using cli::niah::parse_depths;
    using cli::niah::parse_lengths;
    REQUIRE(parse_lengths("1k,512,32k") == std::vector<int>{512, 1024, 32768});
    REQUIRE(parse_lengths("2K, 64,2k") == std::vector<int>{64, 2048});
    REQUIRE(parse_lengths("16384k") == std::vector<int>{1 << 24});
    REQUIRE(parse_depths("100,0,50") == std::vector<int>{0, 50, 100});
    REQUIRE_THROWS_WITH(parse_lengths("1m"), Catch::Contains("'1m' is not a length"));
    REQUIRE_THROWS_WITH(parse_lengths("k"), Catch::Contains("'k' is not a length"));
    REQUIRE_THROWS_WITH(parse_lengths("-1k"), Catch::Contains("'-1k' is not a length"));
    REQUIRE_THROWS_WITH(parse_lengths("1k,,2k"), Catch::Contains("empty item"));
    REQUIRE_THROWS_WITH(parse_lengths("32"), Catch::Contains("32 is outside 64 .. 16777216"));
    REQUIRE_THROWS_WITH(parse_lengths("16385k"), Catch::Contains("outside"));
    REQUIRE_THROWS_WITH(parse_depths("101"), Catch::Contains("'101' is not a percentage"));
    REQUIRE_THROWS_WITH(parse_depths("-5"), Catch::Contains("'-5'"));
    REQUIRE_THROWS_WITH(parse_depths("50.5"), Catch::Contains("'50.5'"));
    REQUIRE_THROWS_WITH(parse_depths(""), Catch::Contains("empty item"));
}

TEST_CASE("niah: bad input is one line before any work, and leaves no files", "[niah][cli]") {
    TempDir models, out;
    const std::string tiny = random_model(models, false);
    const std::string o = " -o " + out.path();
    expect_niah_error("-m " + tiny + " --lengths 1k,2q" + o, "--lengths: '2q' is not a length", out.path());
    expect_niah_error("-m " + tiny + " --lengths 32" + o, "--lengths: 32 is outside 64", out.path());
    expect_niah_error("-m " + tiny + " --depths 0,150" + o, "--depths: '150' is not a percentage", out.path());
    expect_niah_error("-m " + tiny + " --depths 0,x" + o, "--depths: 'x'", out.path());
    expect_niah_error("-m " + tiny + " -o " + out.file("missing"), "missing: no such directory", out.path());
    expect_niah_error("--lengths 64" + o, "no model", out.path());
    expect_niah_error("-m " + tiny + " --lengths 128 -c 100" + o, "-c 100 is too small", out.path());
    // The tiny model's vocabulary spells the prompt nearly a letter a token: 64 tokens cannot hold it.
    expect_niah_error("-m " + tiny + " --lengths 64,512" + o, "length 64 is too short", out.path());
    expect_niah_error("-m " + tiny + " --lengths 128 --rope-scaling warp" + o, "--rope-scaling", out.path());
    // 16M tokens of a 32 KiB-per-token f32 cache: 1 TiB, more than any machine this runs on.
    const std::string big = random_model(models, true);
    expect_niah_error("-m " + big + " --lengths 16384k --cache-type f32" + o, "but this machine has", out.path());
}

TEST_CASE("niah: a run on a tiny random model writes the CSV and the heatmap", "[niah][cli]") {
    TempDir models, out;
    const std::string tiny = random_model(models, false);
    std::string log;
    const std::string cmd = kCli + " niah -m " + tiny + " --lengths 300,400 --depths 0,100 -o " + out.path() +
                            " --rope-scaling linear --rope-scale 2";
    const int rc = run_capture(cmd, log);
    INFO(cmd << "\n" << log);
    REQUIRE(rc == 0);
    REQUIRE(log.find("[4/4] length 400, depth 100%: score ") != std::string::npos);
    std::vector<std::string> files = files_in(out.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files == std::vector<std::string>{"niah.csv", "niah.png"});
    const std::vector<std::string> rows = csv_rows(out.file("niah.csv"));
    REQUIRE(rows.size() == 4);
    REQUIRE(rows[0].rfind("300,0,", 0) == 0);
    REQUIRE(rows[3].rfind("400,100,", 0) == 0);
    // The scaling in effect is stated.
    REQUIRE(read_all(out.file("niah.csv")).find("RoPE scaling linear x2") != std::string::npos);
    const auto size = png_size(out.file("niah.png"));
    REQUIRE(size.first > 200);
    REQUIRE(size.second > 100);
}

TEST_CASE("niah: Gemma 3 270M finds the needle at 256 and 512 tokens", "[niah][gemma]") {
    const std::string gguf = gemma_gguf();
    if (!have_gemma(gguf)) return;
    TempDir out;
    std::string log;
    const std::string cmd = kCli + " niah -m " + gguf + " --lengths 256,512 --depths 0,50,100 -t 2 -o " + out.path();
    const int rc = run_capture(cmd, log);
    INFO(cmd << "\n" << log);
    REQUIRE(rc == 0);
    const std::vector<std::string> rows = csv_rows(out.file("niah.csv"));
    REQUIRE(rows.size() == 6);
    int found = 0;
    for (const std::string& r : rows) found += r.find(",1.0000,") != std::string::npos;
    REQUIRE(found >= 5);  // all six, on the machines we ran it on
    REQUIRE(png_size(out.file("niah.png")).first > 200);
}
