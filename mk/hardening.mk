# mk/hardening.mk: the hardening suite: sanitizers (ASan+UBSan unit and integration runs),
# valgrind, a libFuzzer target for the request and kernel-text parsers, load (wrk), burst,
# connection limits and slow clients, a cgroup memory limit, and faults (SIGTERM, disconnects,
# a taken port, memory-policy syscalls refused by seccomp). See SECURITY.md.
#   make hardening-test   everything above (about 4-5 minutes; fuzzing FUZZ_SECONDS=60)
#   make fuzz             fuzz the parsers for FUZZ_RUNS executions (default 10^7; bounded by
#                         FUZZ_TIMEOUT seconds, default 7200) and print the count
#   make san-unit         the unit tests under ASan+UBSan only
DEPS_hardening := clang libclang-rt-14-dev wrk valgrind libseccomp-dev python3 iproute2 procps \
	curl jq numactl
TEST_SUITES += hardening-test

SAN_BUILD := $(BUILD)/san
SAN_SERVER := $(SAN_BUILD)/test-numa-function/server
SAN_SAMPLE_SERVER := $(SAN_BUILD)/sample-function/server
FUZZER := $(BUILD)/fuzz/fuzz_parsers
NO_MEMPOLICY := $(BUILD)/hardening/no_mempolicy
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 10000000
FUZZ_TIMEOUT ?= 7200
HARDENING_CC ?= cc
FUZZ_CC ?= clang
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

FUZZ_SRC := $(filter-out $(TEMPLATE)/src/main.c,$(wildcard $(TEMPLATE)/src/*.c)) $(wildcard $(FUNCTION)/*.c)
FUZZ_HDR := $(wildcard $(TEMPLATE)/*.h $(TEMPLATE)/src/*.h $(FUNCTION)/*.h)

.PHONY: hardening-test san-build san-unit fuzz
san-build: deps $(call deps_stamp,hardening)
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(SAN_BUILD)/test-numa-function SAN=1
	$(MAKE) -C $(TEMPLATE) FUNCTION_DIR=function BUILD_DIR=$(SAN_BUILD)/sample-function SAN=1

san-unit: san-build
	$(SAN_ENV) $(MAKE) -C $(TEMPLATE) FUNCTION_DIR=$(CURDIR)/$(FUNCTION) BUILD_DIR=$(SAN_BUILD)/test-numa-function SAN=1 unit

FUZZ_TARGET_SRC := tests/fuzz/fuzz_parsers.c tests/fuzz/fuzz_text.c tests/fuzz/fuzz_trees.c
$(FUZZER): $(FUZZ_TARGET_SRC) tests/fuzz/fuzz.h $(FUZZ_SRC) $(FUZZ_HDR) | deps $(call deps_stamp,hardening)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(TEMPLATE) -I$(TEMPLATE)/src -I$(FUNCTION) $$(pkg-config --cflags jansson libmicrohttpd numa) \
		-o $@ $(FUZZ_TARGET_SRC) $(FUZZ_SRC) $$(pkg-config --libs jansson libmicrohttpd numa) -lpthread

$(NO_MEMPOLICY): tests/hardening/no_mempolicy.c | deps $(call deps_stamp,hardening)
	@mkdir -p $(@D)
	$(HARDENING_CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -o $@ $< \
		$$(pkg-config --cflags --libs libseccomp)

fuzz: $(FUZZER)
	tests/fuzz/run.sh $(FUZZER) --runs $(FUZZ_RUNS) $(FUZZ_TIMEOUT)

hardening-test: build san-unit $(FUZZER) $(NO_MEMPOLICY)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/hardening/run.sh $(SERVER) $(SAN_SERVER) $(SAN_SAMPLE_SERVER) \
		$(FUZZER) $(NO_MEMPOLICY)
