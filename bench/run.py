"""run.py: `make bench`, side-by-side measurements of c-debian-numa on this machine.

1. Experiment cost: 1000 x 2 MiB allocate+touch, test-numa-function (timings.alloc_touch_s)
   vs bench/bare_loop.c (the limit), memhog and the python3-debian-numa handler's loop
   (bench/py_alloc.py), with 4 KiB pages and with transparent huge pages.
2. Accounting overhead: the function's placement query and MemFree snapshots as a share of
   timings.total_s.
3. HTTP runtime: wrk against the template's sample function, a Go net/http peer and Python's
   http.server.
4. Cold start: exec to the first 200 answer (bench/coldstart.c) for the same servers.
5. Through the real of-watchdog in a container: wrk against the sample function, a Go net/http
   and a Flask-on-waitress upstream; the default experiment, C vs Python; container start to the
   first 200; the images' sizes.

One module per section in bench/sections/. Every figure comes from a command run here, recorded
next to it in bench/results.md. Ratios are reported, never asserted. Servers listen on 127.0.0.1
only; they and the containers are stopped on exit, on error and on SIGINT/SIGTERM/SIGHUP.
Knobs (environment, bench/sections/knobs.py): BENCH_REPS (5), BENCH_ITERATIONS (1000),
BENCH_CHUNK_MB (2), BENCH_WRK_DURATION (10 s), BENCH_WRK_ROUNDS (2), BENCH_COLD_REPS (20),
BENCH_CT_REPS (5), BENCH_PORT_BASE (18080), BENCH_EXP_BUDGET (360 s: no new experiment round
starts when the next would end past it; at least BENCH_MIN_REPS (3) rounds run); BENCH_QUICK=1
and BENCH_SECTIONS=a,b write to OUT_DIR instead of bench/.

    python3 bench/run.py BUILD_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys
import time
import types

from sections import coldstart, experiment, httprt, images, machine, report, watchdog
from sections.knobs import Knobs
from sections.proc import BENCH, Registry, log, trap_signals

MEASURE = (("exp", "experiment", experiment.measure), ("http", "http", httprt.measure),
           ("cold", "cold", coldstart.measure), ("watchdog", "watchdog", watchdog.measure))


def paths_of(build, out_dir):
    return {
        "function": os.path.join(build, "test-numa-function", "server"),
        "sample": os.path.join(build, "sample-function", "server"),
        "bare_loop": os.path.join(out_dir, "bare_loop"),
        "coldstart": os.path.join(out_dir, "coldstart"),
        "go_http": os.path.join(out_dir, "go_http"),
    }


def measure_all(ctx):
    go = os.environ.get("BENCH_GO", "/usr/lib/go/bin/go")
    data = {"facts": machine.machine_facts(go)}
    data["facts"]["load_start"] = machine.load_facts()
    log(f"THP enabled: {data['facts']['thp_enabled']}")
    for key, section, fn in MEASURE:
        if section in ctx.knobs.sections:
            start = time.perf_counter()
            data[key] = fn(ctx)
            log(f"section {section}: {time.perf_counter() - start:.0f} s")
    data["facts"]["load_end"] = machine.load_facts()
    return data


def main(argv):
    if len(argv) != 3:
        print("usage: run.py BUILD_DIR OUT_DIR", file=sys.stderr)
        return 2
    knobs = Knobs(os.environ)
    build, out_dir = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    os.makedirs(out_dir, exist_ok=True)
    ctx = types.SimpleNamespace(knobs=knobs, paths=paths_of(build, out_dir), out_dir=out_dir,
                                build_dir=build, registry=Registry())
    for k, p in ctx.paths.items():
        if not os.access(p, os.X_OK):
            print(f"run.py: {k}: {p} is missing (make bench builds it)", file=sys.stderr)
            return 1
    trap_signals()
    dest = BENCH if knobs.whole else out_dir
    started = time.perf_counter()
    try:
        if "watchdog" in knobs.sections:
            images.preflight()
        data = measure_all(ctx)
        report.plots(data, knobs, out_dir, dest)
        wall = time.perf_counter() - started
        with open(os.path.join(out_dir, "raw.json"), "w", encoding="utf-8") as f:
            json.dump({**data, "wall_s": wall}, f, indent=1)
        report.write(data, knobs, wall, os.path.join(dest, "results.md"))
        log(f"done in {wall:.0f} s: {os.path.relpath(dest)}/results.md, {os.path.relpath(dest)}/*.png")
        return 0
    except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 1
    finally:
        ctx.registry.stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
