# mk/vm.mk: the emulated 3-node NUMA machine (QEMU/TCG, Debian's kernel, a busybox initramfs).
#   make vm-test   boot it and run the placement, error, touch=false and cgroup cases against the server,
#                  and the seed scenario behind the real of-watchdog (tests/vm/guest/seed.sh, seed-check.sh)
#   make run-vm    boot it and run one experiment bound to node 2 (VM_QUERY, VM_NODE); print the answer
# The kernel package is cached in build/vm/; the guest's console is kept in build/vm/console-*.log.
DEPS_vm := qemu-system-x86 busybox-static numactl cpio xz-utils gzip curl jq
TEST_SUITES += vm-test
.PHONY: vm-test run-vm
vm-test: build $(call deps_stamp,vm)
	tests/vm/test.sh $(SERVER)
run-vm: build $(call deps_stamp,vm)
	tests/vm/run-vm.sh $(SERVER)
