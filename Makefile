# Makefile: builds, runs and tests c-debian-numa on this machine.
#   make run     build, start test-numa-function under numactl --membind on loopback, invoke it once
#   make test    every test suite (unit, integration, and the suites in mk/*.mk)
#   make unit    cmocka unit tests only;  make check: unit + integration (the quick loop)
#   make integration CASE=name   one integration case;  CASE=list: their names
# Debian packages come in sets: DEPS_base for build/run/unit/check, and one set per suite, defined in
# the suite's fragment in mk/ (which also appends its target to TEST_SUITES). A target depends on the
# stamp of each set it uses, $(call deps_stamp,NAME); the stamp's name carries a hash of the list, so
# changing a list installs again.
TEMPLATE := template/c-debian-numa
FUNCTION := functions/test-numa-function
BUILD := $(CURDIR)/build
SERVER := $(BUILD)/test-numa-function/server
SAMPLE_SERVER := $(BUILD)/sample-function/server

DEPS_base := build-essential pkg-config libmicrohttpd-dev libjansson-dev libnuma-dev numactl \
	libcmocka-dev curl jq
TEST_SUITES :=
deps_stamp = $(BUILD)/.deps/$(1)-$(firstword $(shell printf '%s\n' $(sort $(DEPS_$(1))) | md5sum))

include $(sort $(wildcard mk/*.mk))

.PHONY: all deps build run unit integration style check test clean
all: build

deps: $(call deps_stamp,base)
# $(BUILD)/.deps/NAME-HASH: the set DEPS_NAME is installed.
$(BUILD)/.deps/%:
	@mkdir -p $(@D)
	scripts/install-deps.sh $(DEPS_$(firstword $(subst -, ,$*)))
	@rm -f $(@D)/$(firstword $(subst -, ,$*))-*
	@touch $@

build: deps
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(BUILD)/test-numa-function
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=function BUILD_DIR=$(BUILD)/sample-function

run: build
	scripts/run-local.sh $(SERVER)

# The runtime's tests and test-numa-function's own, linked with that function; then the sample
# function's own tests (function/tests), as the image's build stage runs them.
unit: build
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(BUILD)/test-numa-function unit
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=function BUILD_DIR=$(BUILD)/sample-function \
		UNIT_SRC=function/tests/test_handler.c unit

# CASE=name runs one case (several: CASE="busy cap"); CASE=list lists them.
integration: build
	tests/integration/run.sh $(SERVER) $(SAMPLE_SERVER) $(CASE)

# The house style's size limits (scripts/check-style.sh): no C file over 400 lines, no function over 60.
style:
	scripts/check-style.sh

check: style unit integration

test: check $(TEST_SUITES)
	@echo "make test: all suites passed ($(words style unit integration $(TEST_SUITES)) suites)"

clean:
	rm -rf $(BUILD)
