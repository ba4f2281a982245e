# bench.mk: `make bench`, side-by-side measurements on this machine (see bench/run.py):
# experiment cost vs a bare C loop, memhog and the Python handler;
# accounting overhead; HTTP runtime vs Go net/http and Python http.server (wrk); cold start;
# the same through the real of-watchdog in containers (Docker engine; faas-cli and of-watchdog built
# from ../shared/third_party/openfaas; debian:bookworm-slim made by tests/image/base-images.sh).
# Writes bench/results.md and bench/*.png; scratch output in bench/out/. Not part of `make test`.
# The Go peer is built with Debian's Go (golang-go, /usr/lib/go/bin/go), whatever else is on PATH,
# static and stripped (CGO_ENABLED=0, -s -w) as the golang-http template builds it, so the same binary runs in its image.
# Quick loop: BENCH_QUICK=1 make bench (small settings; report in bench/out/); BENCH_SECTIONS=watchdog
# runs only that section (experiment, http, cold, watchdog).
DEPS_bench := build-essential wrk gnuplot-nox numactl golang-go python3 curl git debootstrap

BENCH_DIR := bench
BENCH_OUT := $(BENCH_DIR)/out
BENCH_GO ?= /usr/lib/go/bin/go
BENCH_CC ?= cc
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 $(CFLAGS)
BENCH_TIMEOUT ?= 5400

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
		GO111MODULE=on GOTOOLCHAIN=local CGO_ENABLED=0 $(BENCH_GO) build \
		-trimpath -ldflags '-s -w' -o $(CURDIR)/$@ .
