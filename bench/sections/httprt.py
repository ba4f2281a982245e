"""httprt.py: section 3, the HTTP runtime under wrk on loopback: the template's sample function beside a
Go net/http peer and Python's http.server, all answering the same JSON. wrk_rounds and parse_wrk serve
section 5 too."""
import os
import re
import subprocess
import urllib.request

from .proc import BENCH, PYTHON, ROOT, STOP_WAIT, Server, log, read_text, run, show
from .stats import fmt, fmt_s, summary, three, write_dat

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


def wrk_with_threads(argv, pid, duration):
    """Runs wrk; returns its output and the server's thread count halfway through (None without pid)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        try:
            p.wait(timeout=duration / 2)
        except subprocess.TimeoutExpired:
            pass
        threads = proc_threads(pid) if pid else None
        out, err = p.communicate(timeout=duration + 60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=STOP_WAIT)
    if p.returncode != 0:
        raise RuntimeError(f"{show(argv)} exited {p.returncode}: {err.decode(errors='replace')[-400:]}")
    return out.decode(), threads


def wrk_rounds(ctx, targets, tag):
    """targets: [(name, url, pid or None)]. A 1 s warm-up each, then knobs.wrk_rounds rounds in rotated
    order; returns ({name: [parsed wrk]}, {name: wrk command}). wrk's text goes to OUT_DIR."""
    k = ctx.knobs
    for _, url, _ in targets:                          # warm-up, not counted
        run(["wrk", "-t2", "-c50", "-d1s", url + "/"])
    res = {name: [] for name, _, _ in targets}
    cmds = {}
    for r in range(k.wrk_rounds):
        for name, url, pid in targets[r % len(targets):] + targets[:r % len(targets)]:
            argv = ["wrk", "-t2", "-c50", f"-d{k.wrk_duration}s", "--latency", url + "/"]
            out, threads = wrk_with_threads(argv, pid, k.wrk_duration)
            w = parse_wrk(out)
            w["threads"] = threads
            with open(os.path.join(ctx.out_dir, f"wrk-{tag}{name}-{r}.txt"), "w", encoding="utf-8") as f:
                f.write(out)
            res[name].append(w)
            cmds[name] = show(argv)
            log(f"wrk round {r + 1}/{k.wrk_rounds} {tag}{name}: {fmt(w['rps'], 0)} req/s, "
                f"p50 {fmt(w['p50_ms'])} ms, p99 {fmt(w['p99_ms'])} ms")
    return res, cmds


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read()


def measure(ctx):
    base = ctx.knobs.port_base
    c = Server("sample-function", [ctx.paths["sample"]], base + 2, "/", log_dir=ctx.out_dir,
               env={"healthcheck_interval": "0", "write_timeout": "2s"}).start(ctx.registry)
    body = fetch(c.url + "/").decode()
    env = {"BENCH_BODY": body}
    go = Server("go-net-http", [ctx.paths["go_http"]], base + 3, "/", env=env,
                log_dir=ctx.out_dir).start(ctx.registry)
    py = Server("python-http.server", [PYTHON, os.path.join(BENCH, "peers", "py_http.py")],
                base + 4, "/", env=env, log_dir=ctx.out_dir).start(ctx.registry)
    servers = [c, go, py]
    bodies = {s.name: len(fetch(s.url + "/")) for s in servers}
    res, cmds = wrk_rounds(ctx, [(s.name, s.url, s.proc.pid) for s in servers], "")
    commands = {s.name: s.command() for s in servers}
    for s in servers:
        s.stop()
    return {"results": res, "wrk_cmds": cmds, "server_cmds": commands, "bodies": bodies,
            "body": body}


def summaries(runs):
    """(requests/s, p50, p99) summaries of a server's wrk runs."""
    return tuple(summary([w[key] for w in runs]) for key in ("rps", "p50_ms", "p99_ms"))


def errors_text(runs):
    errs = "; ".join(sorted({w["errors"] for w in runs if w["errors"]})) or "none"
    non2 = sum(w["non2xx"] for w in runs)
    return errs + (f"; non-2xx: {non2}" if non2 else "")


def render(a, http, facts, knobs):
    a("## 3. HTTP runtime: wrk on loopback")
    a("")
    a(f"{knobs.wrk_rounds} rounds of {knobs.wrk_duration} s per server (after a 1 s warm-up), order rotated; "
      "median (min-max); server threads read from `/proc/PID/status` halfway through each run. "
      "wrk and the server share the machine's "
      f"{facts['nproc']} CPUs. Every server answers the same {len(http['body'])}-byte JSON "
      f"(`{http['body']}`) on GET /.")
    a("")
    a("| server | requests/s | p50 ms | p99 ms | server threads under load | errors | server command | wrk command |")
    a("|---|---|---|---|---|---|---|---|")
    for name, runs in http["results"].items():
        rps, p50, p99 = summaries(runs)
        thr = sorted({w["threads"] for w in runs if w.get("threads") is not None})
        a(f"| {name} | {fmt_s(rps, 0)} | {fmt_s(p50, 2)} | {fmt_s(p99, 2)} | "
          f"{', '.join(map(str, thr)) or 'n/a'} | {errors_text(runs)} | "
          f"`{http['server_cmds'][name]}` | `{http['wrk_cmds'][name]}` |")
    a("")


def plot_rows(results):
    """name, then median/min/max of requests/s, p50 ms and p99 ms."""
    rows = []
    for name, runs in results.items():
        rps, p50, p99 = summaries(runs)
        rows.append([name] + three(rps) + three(p50) + three(p99))
    return rows


def write_plot_data(out_dir, http):
    write_dat(os.path.join(out_dir, "http.dat"),
              "name rps(med min max) p50_ms(med min max) p99_ms(med min max)", plot_rows(http["results"]))
