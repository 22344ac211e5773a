# The two commands a newcomer needs: `make run` and `make test`.
BUILD_TYPE ?= Release
RELEASE_DIR := build/release
TEST_DIR    := build/test
ASAN_DIR    := build/asan
LISTEN ?= 127.0.0.1:8080
DATA   ?= ./data
CMAKE_FLAGS := -G Ninja -Wno-dev

.PHONY: deps run build test asan bench format clean

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(RELEASE_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release -DORDERD_TESTS=OFF > /dev/null
	@cmake --build $(RELEASE_DIR) --target orderd orderctl

run: build
	$(RELEASE_DIR)/orderd serve --listen $(LISTEN) --data $(DATA)

# Optimised with assertions and debug info: the suite includes crash and timing tests that
# should see the code as it runs in production.
test: deps
	@cmake -S . -B $(TEST_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(TEST_DIR)
	cd $(TEST_DIR) && ctest --output-on-failure --timeout 600

asan: deps
	@cmake -S . -B $(ASAN_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DORDERD_SANITIZE=ON > /dev/null
	@cmake --build $(ASAN_DIR)
	cd $(ASAN_DIR) && ctest --output-on-failure --timeout 900

bench: build
	@cmake --build $(RELEASE_DIR) --target orderd-load
	bench/run-bench.sh $(RELEASE_DIR)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
