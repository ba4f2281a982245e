# mk/vm.mk: the emulated 3-node NUMA machines (QEMU/TCG, a busybox initramfs): the plain one on Debian
# 12's 6.1 kernel, the tiered one (an ACPI HMAT, node 2 in a lower memory tier) on bookworm-backports'
# 6.12 kernel (fetched with private apt lists; the system's sources are not touched).
#   make vm-test   boot both at once and run the placement, error, touch=false and cgroup cases against
#                  the server and the seed scenario behind the real of-watchdog on each, plus the
#                  tiered-memory cases (tests/vm/guest/tiers.sh) on 6.12
#   make run-vm    boot one and run one experiment bound to node 2 (VM_QUERY, VM_NODE, VM_PROFILE=6.12)
# The kernels are cached in build/vm/ and build/vm/6.12/; the consoles are kept in build/vm/console-*.log.
DEPS_vm := qemu-system-x86 busybox-static numactl cpio xz-utils gzip curl jq
TEST_SUITES += vm-test
.PHONY: vm-test run-vm
vm-test: build $(call deps_stamp,vm)
	tests/vm/run.sh $(SERVER)
run-vm: build $(call deps_stamp,vm)
	tests/vm/run-vm.sh $(SERVER)
