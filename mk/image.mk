# mk/image.mk: the OpenFaaS packaging: template image, Docker and Kubernetes.
#   make k8s-test     k8s/ patches applied offline (kubectl patch --local) to a faas-netes-shaped Deployment
#   make image-test   base images, template pull / new / build, the image under Docker (tests/image/run.sh)
# Needs a running Docker engine and Go (for the base images made locally when no registry is reachable).
DEPS_image := debootstrap kubectl git curl jq
TEST_SUITES += k8s-test image-test

.PHONY: k8s-test image-test
k8s-test: deps $(call deps_stamp,image)
	tests/k8s/run.sh

image-test: deps $(call deps_stamp,image)
	tests/image/run.sh
