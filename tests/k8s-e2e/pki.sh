#!/bin/sh
# tests/k8s-e2e/pki.sh DIR NODE APISERVER_PORT: the single-node cluster's keys and kubeconfigs, made with
# openssl in DIR: a CA, the API server's serving certificate (127.0.0.1, localhost, kubernetes.default),
# client certificates for the admin (system:masters), the controller manager, the scheduler, the kubelet
# (system:node:NODE) and the API server's calls to the kubelet, the kubelet's serving certificate (NODE,
# localhost, 127.0.0.1), the service-account signing key pair, and one kubeconfig per client.
set -eu
DIR=$1 NODE=$2 PORT=$3
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
cd "$DIR"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
cert() { # cert NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by the CA, valid 2 days
    key "$1"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
server() { # the extensions of a serving certificate for the given subjectAltName list
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s' "$1"
}

key ca
openssl req -x509 -new -key ca.key -subj "/CN=cdn-k8s-e2e-ca" -days 2 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
cert apiserver "/CN=kube-apiserver" "$(server "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc")"
cert kubelet-serving "/CN=$NODE" "$(server "DNS:$NODE,DNS:localhost,IP:127.0.0.1")"
cert admin "/O=system:masters/CN=cdn-k8s-e2e-admin" "$client"
cert controller-manager "/CN=system:kube-controller-manager" "$client"
cert scheduler "/CN=system:kube-scheduler" "$client"
cert kubelet "/O=system:nodes/CN=system:node:$NODE" "$client"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null

for who in admin controller-manager scheduler kubelet; do
    cat >"$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cdn-k8s-e2e
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $DIR/ca.crt
users:
- name: $who
  user:
    client-certificate: $DIR/$who.crt
    client-key: $DIR/$who.key
contexts:
- name: $who
  context:
    cluster: cdn-k8s-e2e
    user: $who
current-context: $who
EOF
done
