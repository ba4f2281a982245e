"""handler.py: the python3-debian-numa handler behind Flask. GET /?iterations=N&chunk_mb=M runs the
experiment (N x M MiB bytearrays, allocated and written, py_alloc.alloc_touch: the loop of
bench/py_alloc.py) and answers its timing as JSON; without iterations it answers BENCH_BODY, the
trivial answer the other upstreams of the bench give."""
import json
import os

from . import py_alloc

JSON = {"Content-Type": "application/json"}
TRIVIAL = os.environ.get("BENCH_BODY") or '{"status":"ok"}'


def bad_request(text):
    return {"statusCode": 400, "body": json.dumps({"error": text}), "headers": JSON}


def handle(event, context):
    _ = context
    query = event.query
    if "iterations" not in query:
        return {"statusCode": 200, "body": TRIVIAL, "headers": JSON}
    try:
        iterations = int(query.get("iterations"))
        chunk_mb = int(query.get("chunk_mb", "2"))
    except ValueError:
        return bad_request("iterations and chunk_mb must be integers")
    if not 1 <= iterations <= py_alloc.MAX_ITERATIONS or not 1 <= chunk_mb <= py_alloc.MAX_CHUNK_MB:
        return bad_request("iterations 1-100000, chunk_mb 1-1024")
    doc = py_alloc.alloc_touch(iterations, chunk_mb)
    return {"statusCode": 200, "body": json.dumps(doc), "headers": JSON}
