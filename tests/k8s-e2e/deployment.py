#!/usr/bin/env python3
"""deployment.py STACK NAME < FUNCTION.yaml: the Deployment faas-netes (OpenFaaS CE) would create for
`faas-cli deploy` of function NAME, as JSON on stdout. FUNCTION.yaml is `faas-cli generate -f STACK`
(the real faas-cli resolves the image, ${REGISTRY}, environment, limits and requests); the function's
`fprocess` comes from STACK, as faas-cli deploy sends it. faas-netes' shape: labels faas_function, one
container named after the function on port 8080, fprocess first in env, the watchdog's exec probes
(`cat /tmp/.lock`, faas-netes without httpProbe), allowPrivilegeEscalation false, no grace period.
IMAGE_PULL_POLICY (default Never: nothing can be pulled here) is faas-netes' image pull policy setting."""
import json
import os
import sys
import time

import yaml


def probe():
    return {"exec": {"command": ["cat", "/tmp/.lock"]}, "initialDelaySeconds": 2,
            "timeoutSeconds": 1, "periodSeconds": 2, "successThreshold": 1, "failureThreshold": 3}


def resources(spec):
    out = {}
    for kind in ("limits", "requests"):
        vals = {k: v for k, v in (spec.get(kind) or {}).items() if v}
        if vals:
            out[kind] = vals
    return out


def deployment(fn, spec, fprocess):
    labels = {"faas_function": fn}
    labels.update(spec.get("labels") or {})
    pod_labels = dict(labels, uid=str(time.time_ns() % 1000000000))  # faas-netes: a fresh uid per deploy
    annotations = {"prometheus.io.scrape": "false"}
    annotations.update(spec.get("annotations") or {})
    env = [{"name": "fprocess", "value": fprocess}] if fprocess else []
    env += [{"name": k, "value": str(v)} for k, v in sorted((spec.get("environment") or {}).items())
            if k != "fprocess"]
    container = {
        "name": fn, "image": spec["image"],
        "imagePullPolicy": os.environ.get("IMAGE_PULL_POLICY", "Never"),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": env, "resources": resources(spec),
        "livenessProbe": probe(), "readinessProbe": probe(),
        "securityContext": {"allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": bool(spec.get("readOnlyRootFilesystem"))},
    }
    pod = {"enableServiceLinks": False, "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
           "containers": [container]}
    if spec.get("constraints"):
        pod["nodeSelector"] = dict(c.split("=", 1) for c in spec["constraints"])
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": fn, "namespace": "openfaas-fn", "labels": labels,
                     "annotations": annotations},
        "spec": {
            "replicas": 1, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"faas_function": fn}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"name": fn, "labels": pod_labels, "annotations": annotations},
                         "spec": pod},
        },
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: deployment.py STACK NAME < FUNCTION.yaml")
    stack_path, fn = sys.argv[1], sys.argv[2]
    specs = [d["spec"] for d in yaml.safe_load_all(sys.stdin) if d and d.get("kind") == "Function"
             and d["spec"].get("name") == fn]
    if len(specs) != 1:
        sys.exit(f"deployment.py: {len(specs)} Function objects named {fn} in the input")
    with open(stack_path, encoding="utf-8") as f:
        stack = yaml.safe_load(f)
    fprocess = ((stack.get("functions") or {}).get(fn) or {}).get("fprocess", "")
    json.dump(deployment(fn, specs[0], fprocess), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
