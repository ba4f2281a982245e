# bench.mk: `make bench`, side-by-side measurements on this machine (see bench/run.py):
# experiment cost vs a bare C loop, memhog and the Python handler;
# accounting overhead; HTTP runtime vs Go net/http and Python http.server (wrk); cold start.
# Writes bench/results.md and bench/*.png; scratch output in bench/out/. Not part of `make test`.
# The Go peer is built with Debian's Go (golang-go, /usr/lib/go/bin/go), whatever else is on PATH.
DEPS_bench := build-essential wrk gnuplot-nox numactl golang-go python3 curl git

BENCH_DIR := bench
BENCH_OUT := $(BENCH_DIR)/out
BENCH_GO ?= /usr/lib/go/bin/go
BENCH_CC ?= cc
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 $(CFLAGS)
BENCH_TIMEOUT ?= 900

.PHONY: bench bench-peers
bench: build bench-peers
	timeout --kill-after=10 $(BENCH_TIMEOUT) /usr/bin/python3 $(BENCH_DIR)/run.py $(BUILD) $(BENCH_OUT)

bench-peers: deps $(call deps_stamp,bench) $(BENCH_OUT)/bare_loop $(BENCH_OUT)/coldstart $(BENCH_OUT)/go_http

$(BENCH_OUT)/bare_loop: $(BENCH_DIR)/bare_loop.c $(BENCH_DIR)/cli.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_OUT)/coldstart: $(BENCH_DIR)/coldstart.c $(BENCH_DIR)/cli.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_OUT)/go_http: $(BENCH_DIR)/peers/go_http/main.go $(BENCH_DIR)/peers/go_http/go.mod
	@mkdir -p $(@D)
	cd $(BENCH_DIR)/peers/go_http && GOCACHE=$(CURDIR)/$(BENCH_OUT)/gocache GOFLAGS=-mod=mod \
		GO111MODULE=on GOTOOLCHAIN=local $(BENCH_GO) build -o $(CURDIR)/$@ .
