"""run.py: `make bench`, side-by-side measurements of c-debian-numa on this machine.

1. Experiment cost: 1000 x 2 MiB allocate+touch, test-numa-function (timings.alloc_touch_s)
   vs bench/bare_loop.c (the limit), memhog and the python3-debian-numa handler's loop
   (bench/py_alloc.py), with 4 KiB pages and with transparent huge pages.
2. Accounting overhead: the function's placement query and MemFree snapshots as a share of
   timings.total_s.
3. HTTP runtime: wrk against the template's sample function, a Go net/http peer and Python's
   http.server.
4. Cold start: exec to the first 200 answer (bench/coldstart.c) for the same servers.

Every figure comes from a command run here, recorded next to it in bench/results.md. Ratios
are reported, never asserted. Servers listen on 127.0.0.1 only and are stopped on exit,
on error and on SIGINT/SIGTERM/SIGHUP. Knobs (environment): BENCH_REPS (5), BENCH_ITERATIONS
(1000), BENCH_CHUNK_MB (2), BENCH_WRK_DURATION (10 s), BENCH_WRK_ROUNDS (2),
BENCH_COLD_REPS (20), BENCH_PORT_BASE (18080), BENCH_EXP_BUDGET (360 s: no new experiment
round starts when the next would end past it; at least BENCH_MIN_REPS (3) rounds run).

    python3 bench/run.py BUILD_DIR OUT_DIR
"""
import datetime
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PYTHON = "/usr/bin/python3"
CMD_TIMEOUT = 180          # seconds: no single command may run longer
READY_TRIES = 400          # x 25 ms: how long a server may take to answer its readiness path
STOP_WAIT = 5              # seconds between SIGTERM and SIGKILL
THP_SAMPLES = 2            # timed THP runs per round, after one untimed run of the same command
HOST_COLD_WAIT = 6         # seconds: freed memory has been reported back to the host by then


def env_int(name, default, lo, hi):
    text = os.environ.get(name, "")
    if not text:
        return default
    value = int(text)
    if not lo <= value <= hi:
        raise SystemExit(f"run.py: {name}={value} outside {lo}-{hi}")
    return value


REPS = env_int("BENCH_REPS", 5, 1, 50)
MIN_REPS = env_int("BENCH_MIN_REPS", 3, 1, 50)
EXP_BUDGET = env_int("BENCH_EXP_BUDGET", 360, 10, 3600)
ITERATIONS = env_int("BENCH_ITERATIONS", 1000, 1, 100000)
CHUNK_MB = env_int("BENCH_CHUNK_MB", 2, 1, 1024)
WRK_DURATION = env_int("BENCH_WRK_DURATION", 10, 1, 120)
WRK_ROUNDS = env_int("BENCH_WRK_ROUNDS", 2, 1, 10)
COLD_REPS = env_int("BENCH_COLD_REPS", 20, 1, 200)
PORT_BASE = env_int("BENCH_PORT_BASE", 18080, 1024, 60000)


def rel(path):
    """A path as the reader of results.md would type it from the repository root."""
    return os.path.relpath(path, ROOT)


def show(argv, env=None):
    """The exact command line, shell-quoted, with the environment it was given."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    text = " ".join(shlex.quote(rel(a) if os.path.isabs(a) and a.startswith(ROOT) else a)
                    for a in argv)
    return f"{prefix} {text}" if prefix else text


def log(msg):
    print(f"bench: {msg}", flush=True)


# ---------------------------------------------------------------------------------------
# Processes: every server started here is stopped on every way out.

SERVERS = []


class Server:
    def __init__(self, name, argv, port, ready_path, env=None, log_dir=None):
        self.name, self.argv, self.port, self.ready_path = name, argv, port, ready_path
        self.env = dict(env or {})
        self.env["FN_PORT"] = str(port)
        self.env["FN_ADDR"] = "127.0.0.1"
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        return show(self.argv, self.env)

    def start(self):
        port_free_or_die(self.port)
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(self.argv, env={**os.environ, **self.env}, stdout=logf,
                                         stderr=subprocess.STDOUT, cwd=ROOT)
        SERVERS.append(self)
        for _ in range(READY_TRIES):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; "
                                   f"see {rel(self.log_path)}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.025)
        raise RuntimeError(f"{self.name} not ready after {READY_TRIES * 25} ms")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_WAIT)


def stop_all():
    while SERVERS:
        SERVERS.pop().stop()


def on_signal(signum, _frame):
    raise SystemExit(f"run.py: signal {signum}, stopping")


def port_free_or_die(port):
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")


def run(argv, env=None, timeout=CMD_TIMEOUT, stdout=subprocess.PIPE):
    """Runs argv to completion; returns (stdout text, wall seconds). Fails on non-zero exit."""
    start = time.perf_counter()
    p = subprocess.run(argv, env={**os.environ, **(env or {})}, stdout=stdout,
                       stderr=subprocess.PIPE, timeout=timeout, cwd=ROOT, check=False)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{show(argv, env)} exited {p.returncode}: "
                           f"{p.stderr.decode(errors='replace').strip()[-400:]}")
    return (p.stdout.decode() if p.stdout is not None else ""), wall


def capture(argv):
    """Output of a fact-gathering command, or a note that it failed."""
    try:
        out, _ = run(argv, timeout=30)
        return out.strip()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        return f"({' '.join(argv)}: {e})"


def read_text(path):
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError as e:
        return f"({e.strerror})"


# ---------------------------------------------------------------------------------------
# Statistics

def summary(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def mib_text(n):
    return "n/a" if n is None or n < 0 else f"{n / 1048576:.0f} MiB"


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def fmt_s(s, digits=3):
    return "n/a" if s is None else f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def ratio(a, b):
    if a is None or b is None or b["median"] == 0:
        return None
    return a["median"] / b["median"]


# ---------------------------------------------------------------------------------------
# 1 + 2: experiment cost and accounting overhead

def experiment(paths, out_dir):
    base_q = f"iterations={ITERATIONS}&chunk_mb={CHUNK_MB}"
    fn = Server("test-numa-function", ["numactl", "--membind", "0", paths["function"]],
                PORT_BASE + 1, "/_/ready", env={"healthcheck_interval": "0", "write_timeout": "5s"},
                log_dir=out_dir).start()
    membind = ["numactl", "--membind", "0"]
    mb_total = ITERATIONS * CHUNK_MB

    def curl(thp, extra=""):
        return ["curl", "-sS", "--fail-with-body", "--max-time", str(CMD_TIMEOUT - 10),
                f"{fn.url}/?{base_q}&thp={'true' if thp else 'false'}{extra}"]

    contenders = {
        "fn-4k": ("function", curl(False), None),
        "fn-thp": ("function", curl(True), None),
        "bare-4k": ("json", membind + [paths["bare_loop"], "-n", str(ITERATIONS), "-c", str(CHUNK_MB)], None),
        "bare-thp": ("json", membind + [paths["bare_loop"], "-n", str(ITERATIONS), "-c", str(CHUNK_MB), "-t"], None),
        "memhog-4k": ("wall", membind + ["memhog", "-r1", f"{mb_total}m"], None),
        "py-4k": ("json", membind + [PYTHON, os.path.join(BENCH, "py_alloc.py"), str(ITERATIONS), str(CHUNK_MB)], None),
    }
    samples = {k: [] for k in contenders}
    # THP contenders run their own command once untimed, then THP_SAMPLES timed runs back to
    # back: on this VM a huge page freed a moment ago is still backed by the host, while one
    # freed ~2 s earlier has been handed back (free page reporting) and costs a host fault on
    # first touch. Each timed THP run thus reuses what the same contender just released, as a
    # warm instance serving the same request again would.
    warm = {"fn-thp", "bare-thp"}
    # Warm-up: the server's first request pays its one-time costs outside the figures.
    run(["curl", "-sS", "--fail-with-body", "--max-time", "60",
         f"{fn.url}/?iterations=10&chunk_mb={CHUNK_MB}"], stdout=subprocess.DEVNULL)
    names = list(contenders)
    exp_start = time.perf_counter()
    rounds = 0
    for r in range(REPS):
        spent = time.perf_counter() - exp_start
        if r >= MIN_REPS and spent + spent / r > EXP_BUDGET:
            log(f"experiment budget: stopping after {r} rounds ({spent:.0f} s)")
            break
        rounds = r + 1
        order = names[r % len(names):] + names[:r % len(names)]   # rotate: no fixed position
        for name in order:
            kind, argv, env = contenders[name]
            if name in warm:
                run(argv, env=env, stdout=subprocess.DEVNULL)
            for slot in range(THP_SAMPLES if name in warm else 1):
                out, wall = run(argv, env=env,
                                stdout=subprocess.DEVNULL if kind == "wall" else subprocess.PIPE)
                rec = {"round": r, "slot": slot, "wall_s": wall}
                if kind == "wall":
                    rec["alloc_touch_s"] = None
                else:
                    doc = json.loads(out)
                    if kind == "function":
                        rec.update(doc["timings"])
                        rec["placement_source"] = doc["placement"]["source"]
                        rec["pages"] = doc["placement"]["pages"]
                        rec["on_policy_pct"] = doc["placement"].get("on_policy_nodes_pct")
                    else:
                        rec.update(doc)
                samples[name].append(rec)
                log(f"round {r + 1}/{REPS} {name}: alloc+touch {fmt(rec.get('alloc_touch_s'))} s, "
                    f"wall {wall:.3f} s")

    # The same THP run with the host-cold state every first THP allocation on an idle VM meets.
    time.sleep(HOST_COLD_WAIT)
    cold_thp_out, _ = run(contenders["bare-thp"][1])
    cold_thp = json.loads(cold_thp_out)["alloc_touch_s"]
    # THP coverage of the function's buffers, read from outside while it holds them.
    fn_huge = fn_anon_huge(fn, curl(True, "&hold_ms=1500"))
    # What Python can do for THP: glibc's malloc tunable (once, not part of the rounds).
    py_thp_env = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
    py_thp_argv = contenders["py-4k"][1]
    py_thp_out, py_thp_wall = run(py_thp_argv, env=py_thp_env)
    py_thp = json.loads(py_thp_out)
    py_thp["wall_s"] = py_thp_wall
    fn.stop()
    cmds = {k: show(v[1], v[2]) for k, v in contenders.items()}
    cmds["py-thp-tunable"] = show(py_thp_argv, py_thp_env)
    return {"samples": samples, "commands": cmds, "server": fn.command(), "fn_huge": fn_huge,
            "rounds": rounds, "seconds": time.perf_counter() - exp_start,
            "cold_thp": cold_thp,
            "py_thp": py_thp, "thp_probe_cmd": show(curl(True, "&hold_ms=1500"))}


def fn_anon_huge(fn, argv):
    """Runs one thp=true request that holds its buffers and polls the server's
    AnonHugePages meanwhile; returns the largest value seen (bytes) or None."""
    smaps = f"/proc/{fn.proc.pid}/smaps_rollup"
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = None
    try:
        for _ in range(2000):          # x 10 ms, and the request ends sooner
            if p.poll() is not None:
                break
            for line in read_text(smaps).splitlines():
                if line.startswith("AnonHugePages:"):
                    v = int(line.split()[1]) * 1024
                    best = v if best is None else max(best, v)
            time.sleep(0.01)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=STOP_WAIT)
    return best


# ---------------------------------------------------------------------------------------
# 3: HTTP runtime

WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text):
    res = {"rps": None, "p50_ms": None, "p99_ms": None, "errors": "", "non2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if m:
            res[key] = float(m.group(1)) * WRK_UNITS[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors:.*", text)
    if m:
        res["errors"] = m.group(0)
    m = re.search(r"(\d+) requests in", text)
    res["requests"] = int(m.group(1)) if m else None
    return res


def proc_threads(pid):
    for line in read_text(f"/proc/{pid}/status").splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return None


def wrk_with_threads(argv, pid):
    """Runs wrk; returns its output and the server's thread count halfway through."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        try:
            p.wait(timeout=WRK_DURATION / 2)
        except subprocess.TimeoutExpired:
            pass
        threads = proc_threads(pid)
        out, err = p.communicate(timeout=WRK_DURATION + 60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=STOP_WAIT)
    if p.returncode != 0:
        raise RuntimeError(f"{show(argv)} exited {p.returncode}: {err.decode(errors='replace')[-400:]}")
    return out.decode(), threads


def http_runtime(paths, out_dir):
    c = Server("sample-function", [paths["sample"]], PORT_BASE + 2, "/", log_dir=out_dir,
               env={"healthcheck_interval": "0", "write_timeout": "2s"}).start()
    with urllib.request.urlopen(c.url + "/", timeout=5) as r:
        body = r.read().decode()
    env = {"BENCH_BODY": body}
    go = Server("go-net-http", [paths["go_http"]], PORT_BASE + 3, "/", env=env,
                log_dir=out_dir).start()
    py = Server("python-http.server", [PYTHON, os.path.join(BENCH, "peers", "py_http.py")],
                PORT_BASE + 4, "/", env=env, log_dir=out_dir).start()
    servers = [c, go, py]
    bodies = {}
    for s in servers:
        with urllib.request.urlopen(s.url + "/", timeout=5) as r:
            bodies[s.name] = len(r.read())
    for s in servers:                                 # warm-up, not counted
        run(["wrk", "-t2", "-c50", "-d1s", s.url + "/"])
    res = {s.name: [] for s in servers}
    cmds = {}
    for r in range(WRK_ROUNDS):
        order = servers[r % 3:] + servers[:r % 3]
        for s in order:
            argv = ["wrk", "-t2", "-c50", f"-d{WRK_DURATION}s", "--latency", s.url + "/"]
            out, threads = wrk_with_threads(argv, s.proc.pid)
            w = parse_wrk(out)
            w["threads"] = threads
            with open(os.path.join(out_dir, f"wrk-{s.name}-{r}.txt"), "w", encoding="utf-8") as f:
                f.write(out)
            res[s.name].append(w)
            cmds[s.name] = show(argv)
            log(f"wrk round {r + 1}/{WRK_ROUNDS} {s.name}: {fmt(w['rps'], 0)} req/s, "
                f"p50 {fmt(w['p50_ms'])} ms, p99 {fmt(w['p99_ms'])} ms")
    commands = {s.name: s.command() for s in servers}
    for s in servers:
        s.stop()
    return {"results": res, "wrk_cmds": cmds, "server_cmds": commands, "bodies": bodies,
            "body": body}


# ---------------------------------------------------------------------------------------
# 4: cold start

def cold_start(paths):
    subjects = [
        ("sample-function (C)", [paths["sample"]], "/"),
        ("go-net-http", [paths["go_http"]], "/"),
        ("python-http.server", [PYTHON, os.path.join(BENCH, "peers", "py_http.py")], "/"),
        ("test-numa-function (C, numactl --membind 0)",
         ["numactl", "--membind", "0", paths["function"]], "/_/ready"),
    ]
    res = {}
    for i, (name, argv, path) in enumerate(subjects):
        port = PORT_BASE + 200 + i * 200
        cmd = [paths["coldstart"], "-n", str(COLD_REPS), "-p", str(port), "-w", path, "-t", "10000",
               "--"] + argv
        out, _ = run(cmd, timeout=COLD_REPS * 15 + 30)
        times = [float(line.split()[2]) * 1e3 for line in out.splitlines() if line.strip()]
        res[name] = {"ms": summary(times), "cmd": show(cmd)}
        log(f"cold start {name}: median {fmt(res[name]['ms']['median'], 1)} ms")
    return res


# ---------------------------------------------------------------------------------------
# Machine facts

def load_facts():
    """Load average and the busiest processes: what else ran on the machine meanwhile."""
    top = capture(["ps", "-eo", "pcpu,etimes,comm", "--sort=-pcpu", "--no-headers"])
    return {"loadavg": read_text("/proc/loadavg"), "top": "\n".join(top.splitlines()[:6])}


def machine_facts():
    lscpu = capture(["lscpu"])
    keep = ("Architecture", "Model name", "CPU(s):", "Thread(s) per core", "Core(s) per socket",
            "Socket(s)", "NUMA node(s)", "NUMA node0 CPU(s)", "Hypervisor vendor", "L3 cache")
    lscpu_lines = [l for l in lscpu.splitlines() if l.startswith(keep)]
    balloon = []
    vdir = "/sys/bus/virtio/devices"
    try:
        for d in sorted(os.listdir(vdir)):
            if read_text(os.path.join(vdir, d, "device")) == "0x0005":
                feats = read_text(os.path.join(vdir, d, "features"))
                balloon.append(len(feats) > 5 and feats[5] == "1")
    except OSError:
        pass

    def pkg_version(pkg):
        return capture(["dpkg-query", "-W", "-f=${Version}", pkg])

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": capture(["nproc"]),
        "lscpu": "\n".join(lscpu_lines),
        "uname": capture(["uname", "-a"]),
        "free": capture(["free", "-m"]),
        "thp_enabled": read_text("/sys/kernel/mm/transparent_hugepage/enabled"),
        "thp_defrag": read_text("/sys/kernel/mm/transparent_hugepage/defrag"),
        "mthp": mthp_sizes(),
        "numactl_h": capture(["numactl", "-H"]),
        "free_page_reporting": any(balloon),
        "commit": capture(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
        "versions": {
            "gcc": capture(["gcc", "-dumpfullversion"]),
            "go (Debian golang-go)": capture([paths_go(), "version"]),
            "python3 (Debian)": capture([PYTHON, "--version"]),
            "wrk": pkg_version("wrk"),
            "numactl/memhog": pkg_version("numactl"),
            "libmicrohttpd": pkg_version("libmicrohttpd12"),
            "gnuplot": capture(["gnuplot", "--version"]),
        },
    }


def mthp_sizes():
    """Per-size THP settings (kernels with multi-size THP), e.g. 'hugepages-2048kB: inherit'."""
    base = "/sys/kernel/mm/transparent_hugepage"
    try:
        names = sorted(n for n in os.listdir(base) if n.startswith("hugepages-"))
    except OSError:
        return ""
    out = []
    for n in names:
        m = re.search(r"\[(\w+)\]", read_text(os.path.join(base, n, "enabled")))
        if m and m.group(1) != "never":
            out.append(f"{n}: {m.group(1)}")
    return "; ".join(out) or "every size: never"


def paths_go():
    return os.environ.get("BENCH_GO", "/usr/lib/go/bin/go")


# ---------------------------------------------------------------------------------------
# Report

def exp_stats(samples):
    st = {}
    for name, recs in samples.items():
        st[name] = {
            "alloc_touch": summary([r.get("alloc_touch_s") for r in recs]),
            "wall": summary([r["wall_s"] for r in recs]),
            "huge": summary([r.get("anon_huge_bytes") for r in recs]),
        }
    return st


def paired(samples, a, b, key="alloc_touch_s"):
    """a / b for the samples taken in the same round and slot."""
    by_slot = {(r["round"], r["slot"]): r for r in samples[b]}
    vals = [x[key] / by_slot[(x["round"], x["slot"])][key] for x in samples[a]
            if (x["round"], x["slot"]) in by_slot and x.get(key) and by_slot[(x["round"], x["slot"])].get(key)]
    return summary(vals)


def write_dat(path, header, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# " + header + "\n")
        for row in rows:
            f.write(" ".join(f'"{c}"' if isinstance(c, str) else ("NaN" if c is None else f"{c:.6g}")
                             for c in row) + "\n")


def plots(exp, http, cold, out_dir):
    st = exp_stats(exp["samples"])

    def three(s, scale=1.0):
        return [None, None, None] if s is None else [s["median"] * scale, s["min"] * scale, s["max"] * scale]

    rows = [
        ["test-numa-function"] + three(st["fn-4k"]["alloc_touch"]) + three(st["fn-thp"]["alloc_touch"]),
        ["bare loop (C)"] + three(st["bare-4k"]["alloc_touch"]) + three(st["bare-thp"]["alloc_touch"]),
        ["memhog (wall)"] + three(st["memhog-4k"]["wall"]) + [None, None, None],
        ["Python handler"] + three(st["py-4k"]["alloc_touch"]) + [None, None, None],
    ]
    write_dat(os.path.join(out_dir, "experiment.dat"),
              "name median4k min4k max4k medianthp minthp maxthp (seconds)", rows)
    acc_rows = []
    for key, label in (("fn-4k", "4 KiB pages"), ("fn-thp", "THP")):
        recs = exp["samples"][key]
        med = {k: statistics.median([r[k] for r in recs]) for k in
               ("alloc_touch_s", "placement_s", "cross_check_s", "meminfo_s", "total_s")}
        other = max(0.0, med["total_s"] - med["alloc_touch_s"] - med["placement_s"]
                    - med["cross_check_s"] - med["meminfo_s"])
        acc_rows.append([label, med["alloc_touch_s"], med["placement_s"], med["cross_check_s"],
                         med["meminfo_s"], other])
    write_dat(os.path.join(out_dir, "accounting.dat"),
              "name alloc_touch placement cross_check meminfo other (seconds, medians)", acc_rows)
    hrows = []
    for name, runs in http["results"].items():
        hrows.append([name] + three(summary([w["rps"] for w in runs]))
                     + three(summary([w["p50_ms"] for w in runs]))
                     + three(summary([w["p99_ms"] for w in runs])))
    write_dat(os.path.join(out_dir, "http.dat"),
              "name rps(med min max) p50_ms(med min max) p99_ms(med min max)", hrows)
    crows = [[name.split(" (")[0] if name.startswith("test") else name] + three(v["ms"])
             for name, v in cold.items()]
    write_dat(os.path.join(out_dir, "coldstart.dat"), "name median min max (milliseconds)", crows)
    argv = ["gnuplot", "-e", f"outdir='{out_dir}'; pngdir='{BENCH}'; work='{ITERATIONS} x {CHUNK_MB} MiB'",
            os.path.join(BENCH, "plots.gp")]
    run(argv, timeout=60)


def write_report(facts, exp, http, cold, wall_total, path):
    st = exp_stats(exp["samples"])
    bare4, bareh = st["bare-4k"]["alloc_touch"], st["bare-thp"]["alloc_touch"]
    fn4, fnh = st["fn-4k"]["alloc_touch"], st["fn-thp"]["alloc_touch"]
    memhog = st["memhog-4k"]["wall"]
    py4 = st["py-4k"]["alloc_touch"]
    cmds = exp["commands"]
    mib = ITERATIONS * CHUNK_MB
    L = []
    a = L.append
    a("# make bench: results")
    a("")
    a(f"Run {facts['date']}, commit {facts['commit']} (plus the working tree), "
      f"`make bench` driver wall time {wall_total:.0f} s. Generated by `bench/run.py`; every "
      "figure names the command that produced it. Ratios are measured side by side in this one "
      "invocation (contenders interleaved, order rotated each round) and are reported, not asserted.")
    a("")
    a("## Machine")
    a("")
    a(f"- `nproc`: {facts['nproc']}")
    a(f"- `uname -a`: `{facts['uname']}`")
    a(f"- `/sys/kernel/mm/transparent_hugepage/enabled`: `{facts['thp_enabled']}`; "
      f"`defrag`: `{facts['thp_defrag']}`; per-size settings other than never: {facts['mthp'] or 'n/a'}")
    a(f"- virtio-balloon free page reporting: {'on' if facts['free_page_reporting'] else 'off or absent'}"
      + (" (memory freed in the guest goes back to the host, so a later first touch pays a host "
         "fault as well as a guest fault)" if facts['free_page_reporting'] else ""))
    a("- versions: " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()))
    a(f"- `/proc/loadavg` at the start: `{facts['load_start']['loadavg']}`; at the end: "
      f"`{facts['load_end']['loadavg']}` (a load above {facts['nproc']} means other work shared "
      "the CPUs with these measurements)")
    a("")
    a("`lscpu` (excerpt):")
    a("```")
    a(facts["lscpu"])
    a("```")
    a("`free -m`:")
    a("```")
    a(facts["free"])
    a("```")
    a("Busiest processes at the start and at the end (`ps -eo pcpu,etimes,comm --sort=-pcpu`, "
      "%CPU averaged over each process's life):")
    a("```")
    a(facts["load_start"]["top"])
    a("...")
    a(facts["load_end"]["top"])
    a("```")
    a("`numactl -H`:")
    a("```")
    a(facts["numactl_h"])
    a("```")
    a("")
    a(f"## 1. Experiment cost: {ITERATIONS} x {CHUNK_MB} MiB allocate + touch ({mib} MiB)")
    a("")
    a(f"{exp['rounds']} rounds ({exp['seconds']:.0f} s); median (min-max) in seconds. Every contender runs under `numactl --membind 0`. "
      "`alloc+touch` is timed inside the process (mapping every chunk, then writing every page); "
      "`process wall` is exec to exit as seen by the driver (includes start-up and returning the "
      "memory at exit). The function's server was started as:")
    a("")
    a(f"    {exp['server']}")
    a("")
    a("| contender | pages | alloc+touch s | process wall s | ratio vs bare loop | AnonHugePages | command |")
    a("|---|---|---|---|---|---|---|")

    def row(label, pages, s_at, s_wall, base, huge, cmd, how):
        r = ratio(s_at if s_at else s_wall, base)
        h = "n/a" if huge is None else mib_text(huge["median"])
        a(f"| {label} | {pages} | {fmt_s(s_at)} | {fmt_s(s_wall)} | {fmt(r, 2)}{how} | {h} | `{cmd}` |")

    row("test-numa-function", "4 KiB", fn4, None, bare4, None, cmds["fn-4k"] + "` -> `.timings.alloc_touch_s", "")
    row("bare loop (C)", "4 KiB", bare4, st["bare-4k"]["wall"], bare4, st["bare-4k"]["huge"], cmds["bare-4k"] + "` -> `.alloc_touch_s", "")
    row("memhog", "4 KiB", None, memhog, st["bare-4k"]["wall"], None, cmds["memhog-4k"],
        " (wall vs bare loop wall)")
    row("Python handler", "4 KiB", py4, st["py-4k"]["wall"], bare4, st["py-4k"]["huge"], cmds["py-4k"] + "` -> `.alloc_touch_s", "")
    fh = exp["fn_huge"]
    a(f"| test-numa-function | THP | {fmt_s(fnh)} | n/a | {fmt(ratio(fnh, bareh), 2)} | "
      f"{'n/a' if fh is None else mib_text(fh)} (read while held: `{exp['thp_probe_cmd']}`) | "
      f"`{cmds['fn-thp']}` -> `.timings.alloc_touch_s` |")
    row("bare loop (C)", "THP", bareh, st["bare-thp"]["wall"], bareh, st["bare-thp"]["huge"], cmds["bare-thp"] + "` -> `.alloc_touch_s", "")
    pt = exp["py_thp"]
    a(f"| Python handler, THP asked through glibc (1 run) | THP? | {pt['alloc_touch_s']:.3f} | "
      f"{pt['wall_s']:.3f} | {fmt(pt['alloc_touch_s'] / bareh['median'], 2)} | {mib_text(pt['anon_huge_bytes'])} | "
      f"`{cmds['py-thp-tunable']}` |")
    a("")
    pr4 = paired(exp["samples"], "fn-4k", "bare-4k")
    prh = paired(exp["samples"], "fn-thp", "bare-thp")
    bare_pages = ITERATIONS * CHUNK_MB * 256
    per_fault = bare4["median"] / bare_pages * 1e6
    a(f"- Per-round paired ratio function / bare loop: 4 KiB {fmt_s(pr4, 2)}, THP {fmt_s(prh, 2)}.")
    a(f"- A 4 KiB first touch costs {per_fault:.1f} us here (bare loop, {bare_pages} pages); "
      f"a 2 MiB THP fault {bareh['median'] / ITERATIONS * 1e3:.2f} ms. The page faults are the "
      "whole cost: everything above them (HTTP, JSON, the mapping calls) is small beside them.")
    a(f"- THP rows: in each round the contender's own command runs once untimed, then {THP_SAMPLES} "
      "timed runs follow back to back, so each reuses the huge pages its predecessor released a "
      "moment before, still backed by the host (a warm instance serving the same request again). "
      "The same bare THP run started "
      f"{HOST_COLD_WAIT} s after the last release (free page reporting has handed the memory back "
      f"to the host) took {exp['cold_thp']:.3f} s: that is what the first THP request on an idle "
      "VM of this kind pays. 4 KiB runs are not prewarmed: their cost is the guest's page faults, "
      "with or without a recent release.")
    alloc_ms = {k: statistics.median([r["allocate_s"] for r in exp["samples"][k]]) * 1e3
                for k in ("fn-4k", "bare-4k", "fn-thp", "bare-thp")}
    touch_ms = {k: statistics.median([r["touch_s"] for r in exp["samples"][k]]) * 1e3
                for k in ("fn-4k", "bare-4k", "fn-thp", "bare-thp")}
    a(f"- Phases (medians, ms): mapping every chunk (`allocate_s`): function {alloc_ms['fn-4k']:.2f} / "
      f"bare loop {alloc_ms['bare-4k']:.2f} with 4 KiB pages, {alloc_ms['fn-thp']:.2f} / "
      f"{alloc_ms['bare-thp']:.2f} with THP; writing every page (`touch_s`): "
      f"{touch_ms['fn-4k']:.0f} / {touch_ms['bare-4k']:.0f} and {touch_ms['fn-thp']:.0f} / "
      f"{touch_ms['bare-thp']:.0f}. Both write one byte per 4 KiB page; the touch phase is the "
      "kernel's page faults.")
    a(f"- n = {st['fn-4k']['alloc_touch']['n']} samples per 4 KiB contender, "
      f"{st['fn-thp']['alloc_touch']['n']} per THP contender.")
    a("- memhog: n/a with THP (see below). Rows with 4 KiB pages compare with the bare loop's 4 KiB "
      "median, THP rows with its THP median; memhog's wall time with the bare loop's wall time.")
    a("- THP: the function and the bare loop map each chunk 2 MiB-aligned and `madvise(MADV_HUGEPAGE)` it. "
      f"With `enabled` = `{facts['thp_enabled']}`, memhog cannot ask for THP (its only switch, `-H`, "
      "refuses them) and writes every byte (memset), not one byte per page. The Python handler's "
      "`bytearray` has no madvise; glibc's `glibc.malloc.hugetlb=1` tunable madvises malloc's "
      "mappings, but a 2 MiB bytearray's mapping is 2 MiB plus a page (malloc's header), so the kernel "
      "does not align it and no whole aligned 2 MiB range lies inside it when it is written: almost "
      "no THP (see its AnonHugePages).")
    a("")
    a("## 2. Accounting overhead (test-numa-function)")
    a("")
    a("Medians over the rounds above, seconds and share of `timings.total_s` (same commands as section 1).")
    a("")
    a("| pages | total_s | alloc_touch_s | placement_s + cross_check_s | share | meminfo_s | share | placement source |")
    a("|---|---|---|---|---|---|---|---|")
    for key, label in (("fn-4k", "4 KiB"), ("fn-thp", "THP")):
        recs = exp["samples"][key]
        tot = statistics.median([r["total_s"] for r in recs])
        at = statistics.median([r["alloc_touch_s"] for r in recs])
        pl = statistics.median([r["placement_s"] + r["cross_check_s"] for r in recs])
        mi = statistics.median([r["meminfo_s"] for r in recs])
        sh_pl = summary([(r["placement_s"] + r["cross_check_s"]) / r["total_s"] * 100 for r in recs])
        sh_mi = summary([r["meminfo_s"] / r["total_s"] * 100 for r in recs])
        src = sorted({r["placement_source"] for r in recs})
        a(f"| {label} | {tot:.3f} | {at:.3f} | {pl:.4f} | {fmt_s(sh_pl, 2)} % | {mi:.5f} | "
          f"{fmt_s(sh_mi, 3)} % | {', '.join(src)} |")
    a("")
    a("## 3. HTTP runtime: wrk on loopback")
    a("")
    a(f"{WRK_ROUNDS} rounds of {WRK_DURATION} s per server (after a 1 s warm-up), order rotated; "
      "median (min-max); server threads read from `/proc/PID/status` halfway through each run. "
      "wrk and the server share the machine's "
      f"{facts['nproc']} CPUs. Every server answers the same {len(http['body'])}-byte JSON "
      f"(`{http['body']}`) on GET /.")
    a("")
    a("| server | requests/s | p50 ms | p99 ms | server threads under load | errors | server command | wrk command |")
    a("|---|---|---|---|---|---|---|---|")
    hs = {}
    for name, runs in http["results"].items():
        rps = summary([w["rps"] for w in runs])
        p50 = summary([w["p50_ms"] for w in runs])
        p99 = summary([w["p99_ms"] for w in runs])
        hs[name] = (rps, p50, p99)
        errs = "; ".join(sorted({w["errors"] for w in runs if w["errors"]})) or "none"
        non2 = sum(w["non2xx"] for w in runs)
        if non2:
            errs += f"; non-2xx: {non2}"
        thr = sorted({w["threads"] for w in runs if w.get("threads") is not None})
        a(f"| {name} | {fmt_s(rps, 0)} | {fmt_s(p50, 2)} | {fmt_s(p99, 2)} | "
          f"{', '.join(map(str, thr)) or 'n/a'} | {errs} | "
          f"`{http['server_cmds'][name]}` | `{http['wrk_cmds'][name]}` |")
    a("")
    a("## 4. Cold start: exec to the first 200 answer")
    a("")
    a(f"{COLD_REPS} starts each, milliseconds, median (min-max). `bench/coldstart.c` forks and execs the "
      "server, connects every 100 us until accepted, sends one GET and stops the clock at the status "
      "line; then kills the server. test-numa-function is polled on `/_/ready` (its `/` runs the experiment).")
    a("")
    a("| server | cold start ms | command |")
    a("|---|---|---|")
    for name, v in cold.items():
        a(f"| {name} | {fmt_s(v['ms'], 1)} | `{v['cmd']}` |")
    a("")
    a("## Targets")
    a("")
    c_name, go_name = "sample-function", "go-net-http"

    def verdict(ok):
        return "met" if ok else "MISSED"
    r4, rh = ratio(fn4, bare4), ratio(fnh, bareh)
    def best(x, y):
        return None if x is None or y is None or y["min"] == 0 else x["min"] / y["min"]
    a("Verdicts use the ratio of medians; the best-of-n ratio (fastest run / fastest run) is the "
      "least disturbed by other work and by the host.")
    a("")
    a("| target | measured (ratio of medians) | best-of-n ratio | verdict |")
    a("|---|---|---|---|")
    a(f"| function within 1.10x of the bare loop, 4 KiB | {fmt(r4, 3)}x (paired {fmt_s(pr4, 2)}) | {fmt(best(fn4, bare4), 3)}x | {verdict(r4 <= 1.10)} |")
    a(f"| function within 1.10x of the bare loop, THP | {fmt(rh, 3)}x (paired {fmt_s(prh, 2)}) | {fmt(best(fnh, bareh), 3)}x | {verdict(rh <= 1.10)} |")
    rm = ratio(fn4, memhog)
    a(f"| function faster than memhog (4 KiB, function in-process vs memhog wall) | {fmt(rm, 3)}x | {fmt(best(fn4, memhog), 3)}x | {verdict(rm < 1)} |")
    rmb = ratio(st["bare-4k"]["wall"], memhog)
    a(f"| (like for like: bare loop process wall vs memhog wall) | {fmt(rmb, 3)}x | {fmt(best(st['bare-4k']['wall'], memhog), 3)}x | for reference |")
    rp = ratio(fn4, py4)
    a(f"| function faster than the Python handler (4 KiB) | {fmt(rp, 3)}x | {fmt(best(fn4, py4), 3)}x | {verdict(rp < 1)} |")
    rph = ratio(fnh, py4)
    a(f"| function with THP vs the Python handler (which cannot get THP) | {fmt(rph, 3)}x | {fmt(best(fnh, py4), 3)}x | {verdict(rph < 1)} |")
    rr = hs[c_name][0]["median"] / hs[go_name][0]["median"]
    a(f"| HTTP throughput >= Go net/http | {rr:.3f}x ({hs[c_name][0]['median']:.0f} vs {hs[go_name][0]['median']:.0f} req/s) | - | {verdict(rr >= 1)} |")
    pr = hs[c_name][2]["median"] / hs[go_name][2]["median"]
    a(f"| HTTP p99 no worse than Go net/http | {pr:.3f}x ({hs[c_name][2]['median']:.2f} vs {hs[go_name][2]['median']:.2f} ms) | - | {verdict(pr <= 1)} |")
    cs = list(cold.values())
    a(f"| cold start (reported, no target) | C {cs[0]['ms']['median']:.1f} ms, Go {cs[1]['ms']['median']:.1f} ms, "
      f"Python {cs[2]['ms']['median']:.1f} ms | - | - |")
    a("")
    a("## What limits these figures")
    a("")
    ld = float(facts["load_start"]["loadavg"].split()[0])
    le = float(facts["load_end"]["loadavg"].split()[0])
    a(f"- Other work on the machine: 1-minute load {ld:.2f} at the start, {le:.2f} at the end, on "
      f"{facts['nproc']} CPUs. " + ("Above the CPU count, the spreads (min-max) include that "
                                    "interference; only contenders measured in the same rounds are "
                                    "compared." if max(ld, le) > float(facts["nproc"]) else
                                    "The machine was otherwise quiet."))

    def overlap(x, y):
        return x is not None and y is not None and x["min"] <= y["max"] and y["min"] <= x["max"]
    ov = [n for n, v in (("the bare loop", bare4), ("memhog (wall)", memhog), ("the Python handler", py4))
          if overlap(fn4, v)]
    a(f"- 4 KiB pages: every contender takes the same {bare_pages} first-touch page faults, "
      f"{per_fault:.1f} us each on this VM, which is the whole cost. The function's range "
      + (f"overlaps those of {', '.join(ov)}: the differences are inside the run-to-run spread, "
         "and no user-space change can beat a contender that pays the same faults by a margin "
         "larger than that spread. " if ov else "overlaps no other contender's. ")
      + "Fewer faults (THP) is the only large win, and memhog and the Python handler cannot ask for it.")
    a(f"- THP: {ITERATIONS} faults of 2 MiB instead of {bare_pages}; each zeroes 2 MiB, and the run "
      f"depends on whether the host still backs the freed memory ({exp['cold_thp']:.3f} s "
      "host-cold vs the prewarmed figures above).")
    thr = {n: sorted({w.get("threads") for w in runs if w.get("threads")}) for n, runs in http["results"].items()}
    a("- HTTP: wrk's 2 threads and the server share 2 CPUs; server threads under load: "
      + "; ".join(f"{n} {', '.join(map(str, t)) or 'n/a'}" for n, t in thr.items())
      + ". A server with more runnable threads than CPUs leaves some connections waiting for a "
      "time slice, which shows in p99 rather than p50.")
    a("- Cold start: exec, the dynamic loader and the first page faults of each binary (the C servers "
      "load libmicrohttpd and its GnuTLS dependencies, jansson and libnuma; Python imports its standard "
      "library); the same slow first-touch faults as above apply.")
    a("")
    a("## Plots")
    a("")
    a("![experiment cost](experiment.png)")
    a("")
    a("![accounting overhead](accounting.png)")
    a("")
    a("![HTTP runtime](http.png)")
    a("")
    a("![cold start](coldstart.png)")
    a("")
    a("Raw output of this run (wrk text, data files, server logs): `bench/out/` (not committed).")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def main(argv):
    if len(argv) != 3:
        print("usage: run.py BUILD_DIR OUT_DIR", file=sys.stderr)
        return 2
    build, out_dir = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        "function": os.path.join(build, "test-numa-function", "server"),
        "sample": os.path.join(build, "sample-function", "server"),
        "bare_loop": os.path.join(out_dir, "bare_loop"),
        "coldstart": os.path.join(out_dir, "coldstart"),
        "go_http": os.path.join(out_dir, "go_http"),
    }
    for k, p in paths.items():
        if not os.access(p, os.X_OK):
            print(f"run.py: {k}: {p} is missing (make bench builds it)", file=sys.stderr)
            return 1
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    started = time.perf_counter()
    try:
        facts = machine_facts()
        facts["load_start"] = load_facts()
        log(f"THP enabled: {facts['thp_enabled']}")
        exp = experiment(paths, out_dir)
        http = http_runtime(paths, out_dir)
        cold = cold_start(paths)
        facts["load_end"] = load_facts()
        plots(exp, http, cold, out_dir)
        wall = time.perf_counter() - started
        with open(os.path.join(out_dir, "raw.json"), "w", encoding="utf-8") as f:
            json.dump({"facts": facts, "experiment": exp, "http": http, "cold": cold, "wall_s": wall},
                      f, indent=1)
        write_report(facts, exp, http, cold, wall, os.path.join(BENCH, "results.md"))
        log(f"done in {wall:.0f} s: bench/results.md, bench/*.png")
        return 0
    except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
