"""py_alloc.py: the python3-debian-numa handler's experiment, timed in-process.

A 2 MiB bytearray (zero-filled, so every page is written) appended ITERATIONS times to a
list, as the original handler does. Prints one JSON line with alloc_touch_s and the process's
AnonHugePages after the loop (from /proc/self/smaps_rollup). The Flask peer
(bench/peers/py_flask) serves the same loop through alloc_touch().

    python3 py_alloc.py [ITERATIONS [CHUNK_MB]]
"""
import json
import sys
import time

MAX_ITERATIONS = 100000
MAX_CHUNK_MB = 1024


def anon_huge_bytes():
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return -1
    return -1


def alloc_touch(iterations, chunk_mb):
    """The handler's loop; returns its timing and AnonHugePages read while the chunks are held.
    The chunks are released when it returns."""
    size = chunk_mb * 1024 * 1024
    start = time.perf_counter()
    chunks = []
    for _ in range(iterations):
        chunks.append(bytearray(size))
    elapsed = time.perf_counter() - start
    return {"alloc_touch_s": round(elapsed, 6), "anon_huge_bytes": anon_huge_bytes(),
            "chunks": len(chunks), "chunk_bytes": size}


def main(argv):
    iterations = int(argv[1]) if len(argv) > 1 else 1000
    chunk_mb = int(argv[2]) if len(argv) > 2 else 2
    if not 1 <= iterations <= MAX_ITERATIONS or not 1 <= chunk_mb <= MAX_CHUNK_MB:
        print("usage: py_alloc.py [ITERATIONS 1-100000 [CHUNK_MB 1-1024]]", file=sys.stderr)
        return 2
    print(json.dumps(alloc_touch(iterations, chunk_mb)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
