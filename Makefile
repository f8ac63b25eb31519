# Convenience targets; the scripts are the source of truth (make is not on a
# fresh Debian machine).
.PHONY: help demo test test/race test/contract test/browser lint fuzz bench bench/quick build webmap
help: ## list targets
	@grep -E '^[a-z/]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
demo: ## start the server on the demo collection
	scripts/demo
test: ## run every test (what CI runs)
	scripts/test
build: ## build bin/tessera
	go build -o bin/tessera ./cmd/tessera
webmap: ## rebuild the web map's bundle (webmap/dist) after editing webmap/src
	cd webmap && npm ci --no-audit --no-fund && node build.mjs
test/browser: ## the web map's browser tests in headless Chromium; rewrites docs/webmap-*.png
	go test -count=1 ./cmd/tessera -run TestWebMapInBrowser -args -screenshots=$(CURDIR)/docs
test/race: ## go test -race ./...
	go test -race ./...
test/contract: ## the store contract suite on SQLite and PostgreSQL (needs PostgreSQL on 127.0.0.1:5432)
	TESSERA_REQUIRE_POSTGRES=1 go test -race -run TestContract ./mosaic/sqlite ./mosaic/postgis
lint: ## gofmt and go vet
	gofmt -s -l $$(git ls-files '*.go') && go vet ./...
fuzz: ## fuzz the where-clause compiler for 2 minutes
	go test -run='^$$' -fuzz=FuzzCompile -fuzztime=2m ./sqlfilter
bench: ## full benchmark suite (writes bench/out/results.md)
	go run ./bench
bench/quick: ## benchmark smoke test
	go run ./bench -quick
