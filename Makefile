# The targets are the commands README tells people to run.
GO        ?= go
BIN       := bin
BINARIES  := ronda-exporter ronda-sim ronda-webhook ronda-restore ronda-healthcheck
PKGS      := ./...
# staticcheck is run from the module proxy at a pinned version, so nothing needs installing.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-tools unit bench lint fmt demo clean

all: build

## build: compile every binary into bin/
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

## test: install missing test tools (as root) and run every test, integration tests included
test: test-tools
	@echo ">> checking formatting, vet and staticcheck"
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: the files above need formatting (make fmt)"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	@echo ">> running tests"
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## test-tools: make sure the integration-test tools (promtool, prometheus) are installed
test-tools:
	@scripts/test-tools.sh

## unit: the tests that need no external tool (quick feedback while coding)
unit:
	$(GO) test -count=1 -short $(PKGS)

## bench: every benchmark recorded in BENCHMARKS.md, with the settings recorded there (run on a quiet machine)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -timeout 30m ./collector/mikrotik/
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./internal/sim/routeros/
	$(GO) test -run '^$$' -bench 'PageParseExport|ParseHiOSO|BetweenReads' -benchtime 3000x -benchmem -count 3 ./collector/olt/
	$(GO) test -run '^$$' -bench 'Scrape16OLTs' -benchtime 100x -benchmem -count 3 ./collector/olt/
	scripts/instructions.sh ./collector/olt/ 'PageParseExport$$'
	scripts/instructions.sh ./collector/olt/ 'BetweenReads'
	GO=$(GO) scripts/olt-vs-fetch.sh 3
	$(GO) test -run '^$$' -bench HundredHosts -benchtime 20x -benchmem -count 3 ./collector/ssh/
	$(GO) test -run '^$$' -bench ParseEmit -benchmem -count 3 ./collector/ssh/
	$(GO) test -run '^$$' -bench ProbeCPU -benchtime 2000x -count 2 -timeout 30m ./collector/probe/
	$(GO) test -run '^$$' -bench Intake -benchtime 3000x -count 3 ./alertmanager-webhook/app/
	$(GO) test -run '^$$' -bench Delivery -benchtime 30x ./alertmanager-webhook/app/
	$(GO) test -run '^$$' -bench Plan10kUsers2kOnline -benchtime 10x -benchmem -count 3 ./e2e/

## lint: gofmt, go vet and staticcheck
lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

## demo: the simulated lab with events, ronda-exporter, Prometheus with rules/, Alertmanager and ronda-webhook printing alerts; Ctrl-C stops it
demo: build
	@scripts/test-tools.sh prometheus prometheus-alertmanager curl
	@scripts/demo.sh

clean:
	rm -rf $(BIN) .demo
