#!/bin/sh
# tests/k8s-e2e/node-ns.sh SYSCTL_DIR COMMAND...: the first process of the node's private mount namespace
# (started by `unshare --mount --propagation private`). The kubelet writes vm.overcommit_memory,
# vm.panic_on_oom, kernel.panic, kernel.panic_on_oops and kernel.keys.root_max* at start; here each of
# those /proc/sys files is covered by a plain file already holding the value it wants, so the host's
# settings stay as they are. Then it becomes COMMAND (containerd): the namespace lives as long as
# containerd, its shims and the kubelet (which joins it with nsenter) do, and its mounts go with it.
set -eu
dir=$1; shift
for f in vm/overcommit_memory:1 vm/panic_on_oom:0 kernel/panic:10 kernel/panic_on_oops:1 \
    kernel/keys/root_maxkeys:1000000 kernel/keys/root_maxbytes:25000000; do
    path=${f%%:*} value=${f#*:}
    file=$dir/$(echo "$path" | tr / .)
    echo "$value" >"$file"
    mount --bind "$file" "/proc/sys/$path"
done
exec "$@"
