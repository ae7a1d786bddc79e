# Spider - the front door. The two commands for a fresh machine:
#   make run    set up, build and start Spider with defaults (snapshots in build/data)
#   make test   set up, build and pass every test (plain and ASan+UBSan builds),
#               and build everything with clang -O3 (-Werror) and run its unit tests
# Everything else: make (build), make bench, make fuzz, make format, make clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
CLANG_BUILD ?= build-clang
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
# The robustness suite's length in make fuzz (60 s inside make test).
ROBUST_SECONDS ?= 600
SPIDER_ARGS ?=
SOAK_SECONDS ?= 600

.PHONY: all setup build build-asan build-clang run test test-plain test-asan test-clang bench soak \
        fuzz format clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSPIDER_SANITIZE=ON >/dev/null

build-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The other compiler at the other optimisation level: its warnings (errors
# here) differ from gcc's. Everything, the benchmarks too.
$(CLANG_BUILD)/CMakeCache.txt:
	CC=clang cmake -S . -B $(CLANG_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

build-clang: $(CLANG_BUILD)/CMakeCache.txt
	cmake --build $(CLANG_BUILD) -j $(JOBS) --target all benches

# Snapshots go to a folder of the build directory (SPIDER_ARGS may name another).
run: setup build
	./$(BUILD)/spider --data-dir $(BUILD)/data $(SPIDER_ARGS)

test: setup
	$(MAKE) --no-print-directory build build-asan build-clang
	$(MAKE) --no-print-directory test-plain test-asan test-clang

test-plain:
	cd $(BUILD) && ctest --output-on-failure

test-asan:
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure

# Unit tests and corpus replays only: the server's tests run in the other two.
test-clang:
	cd $(CLANG_BUILD) && ctest --output-on-failure -R '^(unit|fuzz)/'

bench: setup build
	cmake --build $(BUILD) -j $(JOBS) --target benches
	bash bench/run.sh $(BUILD)

soak: setup build
	bash tools/load/soak.sh $(BUILD) $(SOAK_SECONDS)

fuzz: setup
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DSPIDER_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
	$(MAKE) --no-print-directory build
	SPIDER_BIN=$(BUILD)/spider ROBUST_SECONDS=$(ROBUST_SECONDS) node tests/robustness/robustness.mjs

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(CLANG_BUILD) $(FUZZ_BUILD)
