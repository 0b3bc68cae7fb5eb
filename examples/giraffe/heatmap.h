// A small PNG heatmap writer for `giraffe niah`: a grid of scores in 0..1 coloured red (0) through yellow
// (0.5) to green (1), the value printed in each cell, tick labels on both axes, axis titles, a title of
// up to two lines and a colour bar. Text is drawn with stb_truetype from a TrueType font on disk
// (DejaVu Sans, Debian's fonts-dejavu-core); the PNG is written with stb_image_write.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cli {

struct Heatmap {
    std::string title;     // first line, bold-ish (larger)
    std::string subtitle;  // second line (may be empty)
    std::string x_label, y_label;             // axis titles
    std::vector<std::string> x_ticks;         // one per column
    std::vector<std::string> y_ticks;         // one per row, top to bottom
    std::vector<float> values;                // rows x columns, row-major; NaN: no value (grey cell)
};

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
};

struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // width * height * 3
    std::vector<Rect> cells;   // where each value's cell was drawn, same order as Heatmap::values
    std::array<uint8_t, 3> pixel(int x, int y) const {
        const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
        return {rgb[i], rgb[i + 1], rgb[i + 2]};
    }
};

// The colour of a score: red at 0, yellow at 0.5, green at 1 (clamped); grey for NaN.
std::array<uint8_t, 3> score_colour(float v);

// The first readable font of: $GIRAFFE_FONT, DejaVu Sans (fonts-dejavu-core), Liberation Sans; throws a
// one-line error naming the package when there is none.
std::string find_font();

// Draws the heatmap with the TrueType font at font_path. Throws when the font cannot be read or the
// values do not match the ticks.
Image render_heatmap(const Heatmap& h, const std::string& font_path);

// Writes the image as PNG atomically (path + ".tmp", then rename); throws on failure.
void write_png(const Image& img, const std::string& path);

}  // namespace cli
