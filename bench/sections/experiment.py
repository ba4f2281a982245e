"""experiment.py: section 1, the experiment's cost (test-numa-function's allocate + touch) beside a bare
C loop (the limit), memhog and the python3-debian-numa handler's loop, with 4 KiB pages and with THP."""
import json
import os
import statistics
import subprocess
import time

from . import accounting
from .proc import BENCH, CMD_TIMEOUT, PYTHON, STOP_WAIT, Server, log, read_text, run, show
from .stats import fmt, fmt_s, mib_text, paired, ratio, summary, three, write_dat

THP_SAMPLES = 2            # timed THP runs per round, after one untimed run of the same command
HOST_COLD_WAIT = 6         # seconds: freed memory has been reported back to the host by then
# THP contenders run their own command once untimed, then THP_SAMPLES timed runs back to back: on
# this VM a huge page freed a moment ago is still backed by the host, while one freed ~2 s earlier
# has been handed back (free page reporting) and costs a host fault on first touch. Each timed THP
# run thus reuses what the same contender just released, as a warm instance serving the same
# request again would.
WARM = ("fn-thp", "bare-thp")


def function_curl(ctx, url, thp, extra=""):
    k = ctx.knobs
    return ["curl", "-sS", "--fail-with-body", "--max-time", str(CMD_TIMEOUT - 10),
            f"{url}/?iterations={k.iterations}&chunk_mb={k.chunk_mb}&thp={'true' if thp else 'false'}{extra}"]


def contenders(ctx, url):
    """name: (kind of output, argv, env)."""
    k, p = ctx.knobs, ctx.paths
    membind = ["numactl", "--membind", "0"]
    bare = membind + [p["bare_loop"], "-n", str(k.iterations), "-c", str(k.chunk_mb)]
    return {
        "fn-4k": ("function", function_curl(ctx, url, False), None),
        "fn-thp": ("function", function_curl(ctx, url, True), None),
        "bare-4k": ("json", bare, None),
        "bare-thp": ("json", bare + ["-t"], None),
        "memhog-4k": ("wall", membind + ["memhog", "-r1", f"{k.iterations * k.chunk_mb}m"], None),
        "py-4k": ("json", membind + [PYTHON, os.path.join(BENCH, "py_alloc.py"), str(k.iterations),
                                     str(k.chunk_mb)], None),
    }


def sample(kind, argv, env, r, slot):
    """One timed run: its record (round, slot, wall_s and what the command reported)."""
    out, wall = run(argv, env=env, stdout=subprocess.DEVNULL if kind == "wall" else subprocess.PIPE)
    rec = {"round": r, "slot": slot, "wall_s": wall}
    if kind == "wall":
        rec["alloc_touch_s"] = None
        return rec
    doc = json.loads(out)
    if kind == "function":
        rec.update(doc["timings"])
        rec["placement_source"] = doc["placement"]["source"]
        rec["pages"] = doc["placement"]["pages"]
        rec["on_policy_pct"] = doc["placement"].get("on_policy_nodes_pct")
    else:
        rec.update(doc)
    return rec


def rounds(ctx, cont):
    """Contenders interleaved, order rotated each round, within the budget; (samples, rounds)."""
    k = ctx.knobs
    names = list(cont)
    samples = {n: [] for n in names}
    start = time.perf_counter()
    done = 0
    for r in range(k.reps):
        spent = time.perf_counter() - start
        if r >= k.min_reps and spent + spent / r > k.exp_budget:
            log(f"experiment budget: stopping after {r} rounds ({spent:.0f} s)")
            break
        done = r + 1
        for name in names[r % len(names):] + names[:r % len(names)]:   # rotate: no fixed position
            kind, argv, env = cont[name]
            if name in WARM:
                run(argv, env=env, stdout=subprocess.DEVNULL)
            for slot in range(THP_SAMPLES if name in WARM else 1):
                rec = sample(kind, argv, env, r, slot)
                samples[name].append(rec)
                log(f"round {r + 1}/{k.reps} {name}: alloc+touch {fmt(rec.get('alloc_touch_s'))} s, "
                    f"wall {rec['wall_s']:.3f} s")
    return samples, done


def fn_anon_huge(fn, argv):
    """Runs one thp=true request that holds its buffers and polls the server's
    AnonHugePages meanwhile; returns the largest value seen (bytes) or None."""
    smaps = f"/proc/{fn.proc.pid}/smaps_rollup"
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    most = None
    try:
        for _ in range(2000):          # x 10 ms, and the request ends sooner
            if p.poll() is not None:
                break
            for line in read_text(smaps).splitlines():
                if line.startswith("AnonHugePages:"):
                    v = int(line.split()[1]) * 1024
                    most = v if most is None else max(most, v)
            time.sleep(0.01)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=STOP_WAIT)
    return most


def measure(ctx):
    fn = Server("test-numa-function", ["numactl", "--membind", "0", ctx.paths["function"]],
                ctx.knobs.port_base + 1, "/_/ready", log_dir=ctx.out_dir,
                env={"healthcheck_interval": "0", "write_timeout": "5s"}).start(ctx.registry)
    cont = contenders(ctx, fn.url)
    # Warm-up: the server's first request pays its one-time costs outside the figures.
    run(["curl", "-sS", "--fail-with-body", "--max-time", "60",
         f"{fn.url}/?iterations=10&chunk_mb={ctx.knobs.chunk_mb}"], stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    samples, done = rounds(ctx, cont)
    # The same THP run with the host-cold state every first THP allocation on an idle VM meets.
    time.sleep(HOST_COLD_WAIT)
    cold_thp = json.loads(run(cont["bare-thp"][1])[0])["alloc_touch_s"]
    # THP coverage of the function's buffers, read from outside while it holds them.
    probe = function_curl(ctx, fn.url, True, "&hold_ms=1500")
    fn_huge = fn_anon_huge(fn, probe)
    # What Python can do for THP: glibc's malloc tunable (once, not part of the rounds).
    py_thp_env = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
    py_thp_out, py_thp_wall = run(cont["py-4k"][1], env=py_thp_env)
    py_thp = json.loads(py_thp_out)
    py_thp["wall_s"] = py_thp_wall
    acct = accounting.measure(ctx, fn.url, "host")     # section 2's host rows, the same server
    fn.stop()
    cmds = {k: show(v[1], v[2]) for k, v in cont.items()}
    cmds["py-thp-tunable"] = show(cont["py-4k"][1], py_thp_env)
    return {"samples": samples, "commands": cmds, "server": fn.command(), "fn_huge": fn_huge,
            "rounds": done, "seconds": time.perf_counter() - start, "cold_thp": cold_thp,
            "py_thp": py_thp, "thp_probe_cmd": show(probe), "acct": acct}


def stats(exp, knobs):
    """What the report derives from the samples: per-contender summaries and the bare loop's costs."""
    st = {}
    for name, recs in exp["samples"].items():
        st[name] = {
            "alloc_touch": summary([r.get("alloc_touch_s") for r in recs]),
            "wall": summary([r["wall_s"] for r in recs]),
            "huge": summary([r.get("anon_huge_bytes") for r in recs]),
        }
    bare_pages = knobs.iterations * knobs.chunk_mb * 256
    return {
        "st": st, "bare4": st["bare-4k"]["alloc_touch"], "bareh": st["bare-thp"]["alloc_touch"],
        "fn4": st["fn-4k"]["alloc_touch"], "fnh": st["fn-thp"]["alloc_touch"],
        "memhog": st["memhog-4k"]["wall"], "py4": st["py-4k"]["alloc_touch"],
        "pr4": paired(exp["samples"], "fn-4k", "bare-4k"),
        "prh": paired(exp["samples"], "fn-thp", "bare-thp"),
        "bare_pages": bare_pages,
        "per_fault": st["bare-4k"]["alloc_touch"]["median"] / bare_pages * 1e6,
    }


def render_table(a, exp, d):
    st, cmds = d["st"], exp["commands"]
    a("| contender | pages | alloc+touch s | process wall s | ratio vs bare loop | AnonHugePages | command |")
    a("|---|---|---|---|---|---|---|")

    def row(label, pages, s_at, s_wall, base, huge, cmd, how):
        r = ratio(s_at if s_at else s_wall, base)
        h = "n/a" if huge is None else mib_text(huge["median"])
        a(f"| {label} | {pages} | {fmt_s(s_at)} | {fmt_s(s_wall)} | {fmt(r, 2)}{how} | {h} | `{cmd}` |")

    row("test-numa-function", "4 KiB", d["fn4"], None, d["bare4"], None, cmds["fn-4k"] + "` -> `.timings.alloc_touch_s", "")
    row("bare loop (C)", "4 KiB", d["bare4"], st["bare-4k"]["wall"], d["bare4"], st["bare-4k"]["huge"], cmds["bare-4k"] + "` -> `.alloc_touch_s", "")
    row("memhog", "4 KiB", None, d["memhog"], st["bare-4k"]["wall"], None, cmds["memhog-4k"],
        " (wall vs bare loop wall)")
    row("Python handler", "4 KiB", d["py4"], st["py-4k"]["wall"], d["bare4"], st["py-4k"]["huge"], cmds["py-4k"] + "` -> `.alloc_touch_s", "")
    fh = exp["fn_huge"]
    a(f"| test-numa-function | THP | {fmt_s(d['fnh'])} | n/a | {fmt(ratio(d['fnh'], d['bareh']), 2)} | "
      f"{'n/a' if fh is None else mib_text(fh)} (read while held: `{exp['thp_probe_cmd']}`) | "
      f"`{cmds['fn-thp']}` -> `.timings.alloc_touch_s` |")
    row("bare loop (C)", "THP", d["bareh"], st["bare-thp"]["wall"], d["bareh"], st["bare-thp"]["huge"], cmds["bare-thp"] + "` -> `.alloc_touch_s", "")
    pt = exp["py_thp"]
    a(f"| Python handler, THP asked through glibc (1 run) | THP? | {pt['alloc_touch_s']:.3f} | "
      f"{pt['wall_s']:.3f} | {fmt(pt['alloc_touch_s'] / d['bareh']['median'], 2)} | {mib_text(pt['anon_huge_bytes'])} | "
      f"`{cmds['py-thp-tunable']}` |")
    a("")


def render_notes(a, exp, d, knobs):
    a(f"- Per-round paired ratio function / bare loop: 4 KiB {fmt_s(d['pr4'], 2)}, THP {fmt_s(d['prh'], 2)}.")
    a(f"- A 4 KiB first touch costs {d['per_fault']:.1f} us here (bare loop, {d['bare_pages']} pages); "
      f"a 2 MiB THP fault {d['bareh']['median'] / knobs.iterations * 1e3:.2f} ms. The page faults are the "
      "whole cost: everything above them (HTTP, JSON, the mapping calls) is small beside them.")
    a(f"- THP rows: in each round the contender's own command runs once untimed, then {THP_SAMPLES} "
      "timed runs follow back to back, so each reuses the huge pages its predecessor released a "
      "moment before, still backed by the host (a warm instance serving the same request again). "
      "The same bare THP run started "
      f"{HOST_COLD_WAIT} s after the last release (free page reporting has handed the memory back "
      f"to the host) took {exp['cold_thp']:.3f} s: that is what the first THP request on an idle "
      "VM of this kind pays. 4 KiB runs are not prewarmed: their cost is the guest's page faults, "
      "with or without a recent release.")
    keys = ("fn-4k", "bare-4k", "fn-thp", "bare-thp")
    ms = {f: {k: statistics.median([r[f] for r in exp["samples"][k]]) * 1e3 for k in keys}
          for f in ("allocate_s", "touch_s")}
    al, to = ms["allocate_s"], ms["touch_s"]
    a(f"- Phases (medians, ms): mapping every chunk (`allocate_s`): function {al['fn-4k']:.2f} / "
      f"bare loop {al['bare-4k']:.2f} with 4 KiB pages, {al['fn-thp']:.2f} / "
      f"{al['bare-thp']:.2f} with THP; writing every page (`touch_s`): "
      f"{to['fn-4k']:.0f} / {to['bare-4k']:.0f} and {to['fn-thp']:.0f} / "
      f"{to['bare-thp']:.0f}. Both write one byte per 4 KiB page; the touch phase is the "
      "kernel's page faults.")
    a(f"- n = {d['st']['fn-4k']['alloc_touch']['n']} samples per 4 KiB contender, "
      f"{d['st']['fn-thp']['alloc_touch']['n']} per THP contender.")


def render(a, exp, facts, knobs):
    d = stats(exp, knobs)
    a(f"## 1. Experiment cost: {knobs.iterations} x {knobs.chunk_mb} MiB allocate + touch "
      f"({knobs.iterations * knobs.chunk_mb} MiB)")
    a("")
    a(f"{exp['rounds']} rounds ({exp['seconds']:.0f} s); median (min-max) in seconds. Every contender runs under `numactl --membind 0`. "
      "`alloc+touch` is timed inside the process (mapping every chunk, then writing every page); "
      "`process wall` is exec to exit as seen by the driver (includes start-up and returning the "
      "memory at exit). The function's server was started as:")
    a("")
    a(f"    {exp['server']}")
    a("")
    render_table(a, exp, d)
    render_notes(a, exp, d, knobs)
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


def write_plot_data(out_dir, exp, knobs):
    st = stats(exp, knobs)["st"]
    rows = [
        ["test-numa-function"] + three(st["fn-4k"]["alloc_touch"]) + three(st["fn-thp"]["alloc_touch"]),
        ["bare loop (C)"] + three(st["bare-4k"]["alloc_touch"]) + three(st["bare-thp"]["alloc_touch"]),
        ["memhog (wall)"] + three(st["memhog-4k"]["wall"]) + [None, None, None],
        ["Python handler"] + three(st["py-4k"]["alloc_touch"]) + [None, None, None],
    ]
    write_dat(os.path.join(out_dir, "experiment.dat"),
              "name median4k min4k max4k medianthp minthp maxthp (seconds)", rows)
