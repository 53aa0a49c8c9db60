# Every Go module in the repository (the root one and any nested go.mod, such
# as redisstore/), so one command checks them all. internal/tools only pins
# the code generator and holds no packages.
MODULES := $(shell find . -name go.mod -not -path './.git/*' -not -path './internal/tools/*' -exec dirname {} \; | sort)
GO ?= go
# Fuzz targets run briefly on top of their seed corpus. The budget is a
# count of executions, not a duration: with a duration, Go 1.26's fuzz
# coordinator can report "context deadline exceeded" when time runs out on
# a busy machine, with no failing input (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 20000x

.PHONY: test fmt vet unit fuzz generate bench

test: fmt vet unit fuzz

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do echo "go vet $$m"; (cd $$m && $(GO) vet ./...); done

unit:
	@set -e; for m in $(MODULES); do echo "go test -race $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done

# Each fuzz target runs briefly; `go test -fuzz` takes one target per run.
fuzz:
	@set -e; for m in $(MODULES); do \
	  for pkg in $$(cd $$m && $(GO) list ./...); do \
	    dir=$$(cd $$m && $(GO) list -f '{{.Dir}}' $$pkg); \
	    for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	      echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	      (cd $$m && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg) || exit 1; \
	    done; \
	  done; \
	done

generate:
	$(GO) generate ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
