# A thin wrapper over CMake for people. `make test` on a fresh Debian machine does everything.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup build test bench clean sanitize demo model

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The GGUF and op tests under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: setup
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIRAFFE_SANITIZE=ON
	cmake --build $(BUILD)-asan -j $(JOBS) --target test_gguf test_ops test_core
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -R "test_(gguf|ops|core)"

# The newcomer's first command: set up, build, fetch Gemma 3 270M, and let it continue a prompt.
DEMO_PROMPT ?= The three most important things to know about giraffes are
demo: build
	@model=$$(bash models/fetch-default.sh) && \
	$(BUILD)/examples/giraffe run -m "$$model" -p "$(DEMO_PROMPT)" -n 96 --temp 0.7 --seed 42

model: setup
	@bash models/fetch-default.sh

bench: build
	$(BUILD)/examples/bench-ops

clean:
	rm -rf $(BUILD) $(BUILD)-asan
