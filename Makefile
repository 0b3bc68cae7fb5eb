# A thin wrapper over CMake for people. `make test` on a fresh Debian machine does everything.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

PREFIX ?= /usr/local

.PHONY: all setup build test bench bench-llm clean sanitize demo model install

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# bin/giraffe, lib/libgiraffe.a, include/giraffe.h and lib/pkgconfig/giraffe.pc under PREFIX.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The GGUF, op and core tests, and the converter's hostile-input tests, under AddressSanitizer +
# UndefinedBehaviorSanitizer. Without the Vulkan backend: the sanitizers would instrument our side only,
# and report the driver's own allocations at exit. Without OpenMP, so the same run covers giraffe's own
# thread pool (the -DGIRAFFE_OPENMP=OFF build).
sanitize: setup
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIRAFFE_SANITIZE=ON -DGIRAFFE_VULKAN=OFF \
		-DGIRAFFE_OPENMP=OFF
	cmake --build $(BUILD)-asan -j $(JOBS) --target test_gguf test_ops test_core test_convert
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -R "test_(gguf|ops|core)"
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/test_convert "[hostile]"

# The newcomer's first command: set up, build, fetch Gemma 3 270M, and let it continue a prompt.
DEMO_PROMPT ?= The three most important things to know about giraffes are
demo: build
	@model=$$(bash models/fetch-default.sh) && \
	$(BUILD)/examples/giraffe run -m "$$model" -p "$(DEMO_PROMPT)" -n 96 --temp 0.7 --seed 42

model: setup
	@bash models/fetch-default.sh

bench: build
	$(BUILD)/examples/bench-ops

# Whole-model speed on the TinyLlama-1.1B-shaped random model, written and quantized by giraffe itself
# into $(BENCH_DIR) (about 4 GB the first time).
BENCH_DIR ?= .cache/bench
BENCH_TYPES ?= Q4_0 Q4_K_M Q8_0
BENCH_FLAGS ?= -t $(JOBS) -p 512 -n 128 -r 3
bench-llm: build
	@mkdir -p $(BENCH_DIR)
	@test -f $(BENCH_DIR)/tinyllama-f16.gguf || \
		$(BUILD)/examples/giraffe gen-model --preset tinyllama --type f16 -o $(BENCH_DIR)/tinyllama-f16.gguf
	@for q in $(BENCH_TYPES); do \
		test -f $(BENCH_DIR)/tinyllama-$$q.gguf || \
			$(BUILD)/examples/giraffe quantize $(BENCH_DIR)/tinyllama-f16.gguf $(BENCH_DIR)/tinyllama-$$q.gguf $$q 2>/dev/null; \
		echo "== tinyllama $$q"; $(BUILD)/examples/giraffe bench -m $(BENCH_DIR)/tinyllama-$$q.gguf $(BENCH_FLAGS); \
	done

clean:
	rm -rf $(BUILD) $(BUILD)-asan
