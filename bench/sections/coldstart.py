"""coldstart.py: section 4, exec to the first 200 answer (bench/coldstart.c) for the sample function,
the Go and Python peers and test-numa-function."""
import os

from .proc import BENCH, PYTHON, log, run, show
from .stats import fmt, fmt_s, summary, three, write_dat


def subjects(paths):
    """(name, argv, path polled)."""
    return [
        ("sample-function (C)", [paths["sample"]], "/"),
        ("go-net-http", [paths["go_http"]], "/"),
        ("python-http.server", [PYTHON, os.path.join(BENCH, "peers", "py_http.py")], "/"),
        ("test-numa-function (C, numactl --membind 0)",
         ["numactl", "--membind", "0", paths["function"]], "/_/ready"),
    ]


def measure(ctx):
    reps = ctx.knobs.cold_reps
    res = {}
    for i, (name, argv, path) in enumerate(subjects(ctx.paths)):
        port = ctx.knobs.port_base + 200 + i * 200
        cmd = [ctx.paths["coldstart"], "-n", str(reps), "-p", str(port), "-w", path, "-t", "10000",
               "--"] + argv
        out, _ = run(cmd, timeout=reps * 15 + 30)
        times = [float(line.split()[2]) * 1e3 for line in out.splitlines() if line.strip()]
        res[name] = {"ms": summary(times), "cmd": show(cmd)}
        log(f"cold start {name}: median {fmt(res[name]['ms']['median'], 1)} ms")
    return res


def render(a, cold, knobs):
    a("## 4. Cold start: exec to the first 200 answer")
    a("")
    a(f"{knobs.cold_reps} starts each, milliseconds, median (min-max). `bench/coldstart.c` forks and execs the "
      "server, connects every 100 us until accepted, sends one GET and stops the clock at the status "
      "line; then kills the server. test-numa-function is polled on `/_/ready` (its `/` runs the experiment).")
    a("")
    a("| server | cold start ms | command |")
    a("|---|---|---|")
    for name, v in cold.items():
        a(f"| {name} | {fmt_s(v['ms'], 1)} | `{v['cmd']}` |")
    a("")


def write_plot_data(out_dir, cold):
    rows = [[name.split(" (")[0] if name.startswith("test") else name] + three(v["ms"])
            for name, v in cold.items()]
    write_dat(os.path.join(out_dir, "coldstart.dat"), "name median min max (milliseconds)", rows)
