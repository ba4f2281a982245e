# mk/k8s-e2e.mk: test-numa-function on a real single-node Kubernetes, on this machine, on 127.0.0.1.
#   make k8s-e2e   builds Kubernetes v1.35.4, etcd v3.6.8 and the CNI plugins v1.9.1 from their Go modules
#                  (cached), starts the cluster with a second containerd, builds the function's image with
#                  the real faas-cli, and checks k8s/patch-function.sh's every mode (tests/k8s-e2e/run.sh)
# Needs root, a running Docker engine (the images are built there, then imported into the cluster's own
# containerd) and Go >= 1.26 in /usr/local/go. containerd and runc: the node's runtime; iproute2 and
# util-linux: the pods' in-namespace network (ip, nsenter) and the node's mount namespace (unshare);
# openssl: the cluster's keys; python3-yaml: the Deployment from faas-cli's view of stack.yml;
# libc6-dev: the static pause program.
DEPS_k8s := containerd runc iproute2 util-linux openssl curl jq python3 python3-yaml libc6-dev
TEST_SUITES += k8s-e2e

.PHONY: k8s-e2e
k8s-e2e: deps $(call deps_stamp,image) $(call deps_stamp,k8s)
	tests/k8s-e2e/run.sh
