#include "heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <unistd.h>

// The stb single-file libraries (Debian's libstb-dev), compiled here and nowhere else.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace cli {
namespace {

using Colour = std::array<uint8_t, 3>;

const Colour kWhite{255, 255, 255};
const Colour kText{30, 30, 30};
const Colour kGrey{200, 200, 200};

// Decodes UTF-8 into code points (a malformed byte becomes U+FFFD).
std::vector<int> code_points(const std::string& s) {
    std::vector<int> out;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (n < 0 || (n > 0 && i + size_t(n) >= s.size())) {
            out.push_back(0xFFFD);
            i++;
            continue;
        }
        int cp = n == 0 ? c : c & (0x3F >> n);
        bool ok = true;
        for (int k = 1; k <= n; k++) {
            const unsigned char d = static_cast<unsigned char>(s[i + size_t(k)]);
            if ((d >> 6) != 2) ok = false;
            cp = (cp << 6) | (d & 0x3F);
        }
        out.push_back(ok ? cp : 0xFFFD);
        i += ok ? size_t(n) + 1 : 1;
    }
    return out;
}

// A line of text rendered as coverage (0..255), its width and height in pixels.
struct Mask {
    int w = 0, h = 0;
    std::vector<uint8_t> a;
};

class Font {
public:
    explicit Font(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read the font '" + path + "'");
        data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        const int offset = data_.empty() ? -1 : stbtt_GetFontOffsetForIndex(data_.data(), 0);
        if (offset < 0 || !stbtt_InitFont(&info_, data_.data(), offset))
            throw std::runtime_error("'" + path + "' is not a TrueType font");
    }

    // The text at a pixel height (ascent to descent), anti-aliased, on one line.
    Mask render(const std::string& text, float px) const {
        const float scale = stbtt_ScaleForPixelHeight(&info_, px);
        int ascent = 0, descent = 0, gap = 0;
        stbtt_GetFontVMetrics(&info_, &ascent, &descent, &gap);
        const int baseline = int(std::ceil(float(ascent) * scale));
        Mask m;
        m.h = baseline + int(std::ceil(float(-descent) * scale)) + 1;
        const std::vector<int> cps = code_points(text);
        // First pass: the width.
        float x = 0;
        for (size_t i = 0; i < cps.size(); i++) {
            int adv = 0, lsb = 0;
            stbtt_GetCodepointHMetrics(&info_, cps[i], &adv, &lsb);
            x += float(adv) * scale;
            if (i + 1 < cps.size()) x += float(stbtt_GetCodepointKernAdvance(&info_, cps[i], cps[i + 1])) * scale;
        }
        m.w = int(std::ceil(x)) + 2;
        m.a.assign(size_t(m.w) * size_t(m.h), 0);
        x = 0;
        std::vector<uint8_t> glyph;
        for (size_t i = 0; i < cps.size(); i++) {
            const float shift = x - std::floor(x);
            int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            stbtt_GetCodepointBitmapBoxSubpixel(&info_, cps[i], scale, scale, shift, 0, &x0, &y0, &x1, &y1);
            const int gw = x1 - x0, gh = y1 - y0;
            if (gw > 0 && gh > 0) {
                glyph.assign(size_t(gw) * size_t(gh), 0);
                stbtt_MakeCodepointBitmapSubpixel(&info_, glyph.data(), gw, gh, gw, scale, scale, shift, 0, cps[i]);
                for (int gy = 0; gy < gh; gy++)
                    for (int gx = 0; gx < gw; gx++) {
                        const int px_x = int(std::floor(x)) + x0 + gx, px_y = baseline + y0 + gy;
                        if (px_x < 0 || px_y < 0 || px_x >= m.w || px_y >= m.h) continue;
                        uint8_t& d = m.a[size_t(px_y) * size_t(m.w) + size_t(px_x)];
                        d = std::max(d, glyph[size_t(gy) * size_t(gw) + size_t(gx)]);
                    }
            }
            int adv = 0, lsb = 0;
            stbtt_GetCodepointHMetrics(&info_, cps[i], &adv, &lsb);
            x += float(adv) * scale;
            if (i + 1 < cps.size()) x += float(stbtt_GetCodepointKernAdvance(&info_, cps[i], cps[i + 1])) * scale;
        }
        return m;
    }

private:
    std::vector<unsigned char> data_;
    stbtt_fontinfo info_{};
};

void fill(Image& img, const Rect& r, Colour c) {
    for (int y = std::max(0, r.y); y < std::min(img.height, r.y + r.h); y++)
        for (int x = std::max(0, r.x); x < std::min(img.width, r.x + r.w); x++) {
            uint8_t* p = &img.rgb[(size_t(y) * size_t(img.width) + size_t(x)) * 3];
            p[0] = c[0], p[1] = c[1], p[2] = c[2];
        }
}

// Blends a mask onto the image with its top-left at (x, y); rotated: turned a quarter counter-clockwise
// (reading bottom to top), the mask's width then running up the image.
void blit(Image& img, const Mask& m, int x, int y, Colour c, bool rotated = false) {
    for (int my = 0; my < m.h; my++)
        for (int mx = 0; mx < m.w; mx++) {
            const int a = m.a[size_t(my) * size_t(m.w) + size_t(mx)];
            if (!a) continue;
            const int ix = rotated ? x + my : x + mx;
            const int iy = rotated ? y + (m.w - 1 - mx) : y + my;
            if (ix < 0 || iy < 0 || ix >= img.width || iy >= img.height) continue;
            uint8_t* p = &img.rgb[(size_t(iy) * size_t(img.width) + size_t(ix)) * 3];
            for (int k = 0; k < 3; k++) p[k] = uint8_t((p[k] * (255 - a) + c[size_t(k)] * a + 127) / 255);
        }
}

// Centres a mask on (cx, cy).
void blit_centred(Image& img, const Mask& m, int cx, int cy, Colour c) { blit(img, m, cx - m.w / 2, cy - m.h / 2, c); }

std::string format_value(float v) {
    if (std::isnan(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", double(v));
    return buf;
}

}  // namespace

Colour score_colour(float v) {
    if (std::isnan(v)) return kGrey;
    v = std::min(1.0f, std::max(0.0f, v));
    // Red (0) -> yellow (0.5) -> green (1), ColorBrewer's RdYlGn ends and middle.
    const float red[3] = {215, 48, 39}, yellow[3] = {254, 224, 139}, green[3] = {26, 152, 80};
    const float* a = v < 0.5f ? red : yellow;
    const float* b = v < 0.5f ? yellow : green;
    const float t = v < 0.5f ? v / 0.5f : (v - 0.5f) / 0.5f;
    Colour c{};
    for (int k = 0; k < 3; k++) c[size_t(k)] = uint8_t(std::lround(a[k] + (b[k] - a[k]) * t));
    return c;
}

std::string find_font() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("GIRAFFE_FONT")) candidates.push_back(env);
    candidates.push_back("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    candidates.push_back("/usr/share/fonts/TTF/DejaVuSans.ttf");
    candidates.push_back("/usr/share/fonts/dejavu/DejaVuSans.ttf");
    candidates.push_back("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf");
    for (const std::string& c : candidates)
        if (access(c.c_str(), R_OK) == 0) return c;
    throw std::runtime_error("no font for the heatmap: install fonts-dejavu-core (scripts/setup.sh) or set GIRAFFE_FONT");
}

Image render_heatmap(const Heatmap& h, const std::string& font_path) {
    const int cols = int(h.x_ticks.size()), rows = int(h.y_ticks.size());
    if (cols == 0 || rows == 0 || h.values.size() != size_t(cols) * size_t(rows))
        throw std::invalid_argument("heatmap: " + std::to_string(h.values.size()) + " values for " + std::to_string(rows) +
                                    " rows and " + std::to_string(cols) + " columns");
    const Font font(font_path);
    const float title_px = 21, subtitle_px = 15, tick_px = 14, value_px = 14, label_px = 15;

    std::vector<Mask> xt, yt;
    int xt_w = 0, yt_w = 0;
    for (const auto& s : h.x_ticks) xt.push_back(font.render(s, tick_px)), xt_w = std::max(xt_w, xt.back().w);
    for (const auto& s : h.y_ticks) yt.push_back(font.render(s, tick_px)), yt_w = std::max(yt_w, yt.back().w);
    const Mask title = font.render(h.title, title_px);
    const Mask subtitle = font.render(h.subtitle, subtitle_px);
    const Mask x_label = font.render(h.x_label, label_px);
    const Mask y_label = font.render(h.y_label, label_px);
    const Mask bar_top = font.render("1.0", tick_px), bar_mid = font.render("0.5", tick_px);
    const Mask bar_bot = font.render("0.0", tick_px);

    const int pad = 16;
    const int cell_w = std::max(72, xt_w + 12), cell_h = 32;
    const int grid_w = cols * cell_w, grid_h = rows * cell_h;
    const int left = pad + (h.y_label.empty() ? 0 : y_label.h + 10) + yt_w + 8;
    const int top = pad + title.h + (h.subtitle.empty() ? 0 : subtitle.h + 4) + 14;
    const int bar_x = left + grid_w + 24, bar_w = 16;
    const int right_edge = bar_x + bar_w + 6 + std::max({bar_top.w, bar_mid.w, bar_bot.w}) + pad;
    const int bottom = top + grid_h + 6 + xt.front().h + (h.x_label.empty() ? 0 : 6 + x_label.h) + pad;

    Image img;
    img.width = std::max({right_edge, title.w + 2 * pad, subtitle.w + 2 * pad});
    img.height = bottom;
    img.rgb.assign(size_t(img.width) * size_t(img.height) * 3, 255);

    // Title lines, centred on the image.
    blit(img, title, (img.width - title.w) / 2, pad, kText);
    if (!h.subtitle.empty()) blit(img, subtitle, (img.width - subtitle.w) / 2, pad + title.h + 4, Colour{70, 70, 70});

    // Cells with 1-pixel white gaps, each with its value.
    img.cells.resize(h.values.size());
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            const float v = h.values[size_t(r) * size_t(cols) + size_t(c)];
            const Rect cell{left + c * cell_w, top + r * cell_h, cell_w - 1, cell_h - 1};
            const Colour col = score_colour(v);
            fill(img, cell, col);
            img.cells[size_t(r) * size_t(cols) + size_t(c)] = cell;
            const int luma = (299 * col[0] + 587 * col[1] + 114 * col[2]) / 1000;
            blit_centred(img, font.render(format_value(v), value_px), cell.x + cell.w / 2, cell.y + cell.h / 2,
                         luma < 130 ? kWhite : kText);
        }

    // Tick labels: columns under the grid, rows right-aligned to its left.
    for (int c = 0; c < cols; c++)
        blit(img, xt[size_t(c)], left + c * cell_w + (cell_w - xt[size_t(c)].w) / 2, top + grid_h + 6, kText);
    for (int r = 0; r < rows; r++)
        blit(img, yt[size_t(r)], left - 8 - yt[size_t(r)].w, top + r * cell_h + (cell_h - yt[size_t(r)].h) / 2, kText);

    // Axis titles: x centred under the ticks, y turned to read upwards, centred on the grid's height.
    if (!h.x_label.empty()) blit(img, x_label, left + (grid_w - x_label.w) / 2, top + grid_h + 6 + xt.front().h + 6, kText);
    if (!h.y_label.empty()) blit(img, y_label, pad, top + (grid_h - y_label.w) / 2, kText, true);

    // Colour bar: 1 at the top, 0 at the bottom, with three labels.
    for (int y = 0; y < grid_h; y++)
        fill(img, Rect{bar_x, top + y, bar_w, 1}, score_colour(1.0f - float(y) / float(std::max(1, grid_h - 1))));
    const int lx = bar_x + bar_w + 6;
    blit(img, bar_top, lx, top, kText);
    blit(img, bar_mid, lx, top + (grid_h - bar_mid.h) / 2, kText);
    blit(img, bar_bot, lx, top + grid_h - bar_bot.h, kText);
    return img;
}

void write_png(const Image& img, const std::string& path) {
    const std::string tmp = path + ".tmp";
    if (!stbi_write_png(tmp.c_str(), img.width, img.height, 3, img.rgb.data(), img.width * 3)) {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot write '" + tmp + "'");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "'");
    }
}

}  // namespace cli
