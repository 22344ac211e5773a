# The two commands a newcomer needs: `make run` and `make test`.
BUILD_TYPE ?= Release
RELEASE_DIR := build/release
TEST_DIR    := build/test
ASAN_DIR    := build/asan
FUZZ_DIR    := build/fuzz
FUZZ_SECONDS ?= 30
TEST_FUZZ_SECONDS ?= 20  # per fuzz target, in `make test`
LISTEN ?= 127.0.0.1:8080
DATA   ?= ./data
CMAKE_FLAGS := -G Ninja -Wno-dev

.PHONY: deps run build test asan fuzz bench bench-orders bench-trips bench-relay format clean

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(RELEASE_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release -DORDERD_TESTS=OFF > /dev/null
	@cmake --build $(RELEASE_DIR) --target orderd orderctl

run: build
	$(RELEASE_DIR)/orderd serve --listen $(LISTEN) --data $(DATA)

# Optimised with assertions and debug info: the suite includes crash and timing tests that
# should see the code as it runs in production. Then each fuzzer runs briefly (see `fuzz`).
test: deps
	@cmake -S . -B $(TEST_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(TEST_DIR)
	cd $(TEST_DIR) && ctest --output-on-failure --timeout 600
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

asan: deps
	@cmake -S . -B $(ASAN_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DORDERD_SANITIZE=ON > /dev/null
	@cmake --build $(ASAN_DIR)
	cd $(ASAN_DIR) && ctest --output-on-failure --timeout 900

# libFuzzer needs clang: the fuzz targets and every library they use, built with clang, ASan and
# UBSan, then run for FUZZ_SECONDS each (scripts/run-fuzzers).
fuzz: deps
	@cmake -S . -B $(FUZZ_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DORDERD_FUZZ=ON -DORDERD_TESTS=OFF -DORDERD_BENCH=OFF > /dev/null
	@cmake --build $(FUZZ_DIR) --target http_request_fuzz journal_replay_fuzz jwt_verify_fuzz
	scripts/run-fuzzers $(FUZZ_DIR) $(FUZZ_SECONDS)

# The seed workload (bench/run-bench.sh), then the commerce API's orders (bench-orders), then
# seed 003's trips (bench-trips).
bench: build
	@cmake --build $(RELEASE_DIR) --target orderd-load
	bench/run-bench.sh $(RELEASE_DIR)
	bench/run-orders-bench.sh $(RELEASE_DIR)
	bench/run-trips-bench.sh $(RELEASE_DIR)

# POST /TripOrchestrator/{id}/BookTrip, over many trip ids and on one nearly sold-out flight.
bench-trips: build
	@cmake --build $(RELEASE_DIR) --target orderd-load
	bench/run-trips-bench.sh $(RELEASE_DIR)

# POST /api/v1/orders alone, spread over 100 products and on one hot product.
bench-orders: build
	@cmake --build $(RELEASE_DIR) --target orderd-load
	bench/run-orders-bench.sh $(RELEASE_DIR)

# The outbox's relay to a local NATS JetStream under the orders load: events/s and lag.
bench-relay: build
	@cmake --build $(RELEASE_DIR) --target orderd-load
	bench/run-relay-bench.sh $(RELEASE_DIR)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
