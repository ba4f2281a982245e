# Makefile: builds, runs and tests c-debian-numa on this machine.
#   make run     build, start test-numa-function under numactl --membind on loopback, invoke it once
#   make test    every test suite (unit, integration, and the suites in mk/*.mk)
#   make unit    cmocka unit tests only;  make check: unit + integration (the quick loop)
# Each suite's fragment in mk/ appends its Debian packages to DEB_PACKAGES and its target to TEST_SUITES.
TEMPLATE := template/c-debian-numa
FUNCTION := functions/test-numa-function
BUILD := $(CURDIR)/build
SERVER := $(BUILD)/test-numa-function/server
SAMPLE_SERVER := $(BUILD)/sample-function/server

DEB_PACKAGES := build-essential pkg-config libmicrohttpd-dev libjansson-dev libnuma-dev numactl \
	libcmocka-dev curl jq python3 git
TEST_SUITES :=

include $(sort $(wildcard mk/*.mk))

.PHONY: all deps build run unit integration check test clean
all: build

deps: $(BUILD)/.deps-$(words $(DEB_PACKAGES))
$(BUILD)/.deps-%:
	@mkdir -p $(BUILD)
	scripts/install-deps.sh $(DEB_PACKAGES)
	@touch $@

build: deps
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(BUILD)/test-numa-function
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=function BUILD_DIR=$(BUILD)/sample-function

run: build
	scripts/run-local.sh $(SERVER)

# The runtime's tests and test-numa-function's own, linked with that function.
unit: build
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(BUILD)/test-numa-function unit

integration: build
	tests/integration/run.sh $(SERVER) $(SAMPLE_SERVER)

check: unit integration

test: check $(TEST_SUITES)
	@echo "make test: all suites passed ($(words unit integration $(TEST_SUITES)) suites)"

clean:
	rm -rf $(BUILD)
