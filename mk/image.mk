# mk/image.mk: the OpenFaaS packaging: template image, Docker and Kubernetes.
#   make k8s-test     k8s/ patches applied offline (kubectl patch --local) to a faas-netes-shaped Deployment
#   make image-test   the real faas-cli and of-watchdog, built from source; template pull / new / build /
#                     local-run, the image under Docker behind the watchdog (tests/image/run.sh)
# Needs a running Docker engine, Go >= 1.26 in /usr/local/go (faas-cli and of-watchdog are built from
# ../shared/third_party/openfaas with it) and, where no registry is reachable, debootstrap for the
# Debian base image. git: faas-cli template pull clones; python3: the body hashes.
DEPS_image := debootstrap kubectl git curl jq python3 tar gzip coreutils
TEST_SUITES += k8s-test image-test

.PHONY: k8s-test image-test
k8s-test: deps $(call deps_stamp,image)
	tests/k8s/run.sh

image-test: deps $(call deps_stamp,image)
	tests/image/run.sh
