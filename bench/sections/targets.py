"""targets.py: the report's Targets (verdicts on ratios measured in this run) and What limits these
figures, from sections 1-4 (and 5 when it ran)."""
from . import experiment, httprt, watchdog
from .stats import best, fmt, fmt_s, ratio


def verdict(ok):
    return "met" if ok else "MISSED"


def render_experiment_rows(a, d):
    r4, rh = ratio(d["fn4"], d["bare4"]), ratio(d["fnh"], d["bareh"])
    pr4, prh = d["pr4"], d["prh"]
    fn4, fnh, memhog, py4 = d["fn4"], d["fnh"], d["memhog"], d["py4"]
    a(f"| function within 1.10x of the bare loop, 4 KiB | {fmt(r4, 3)}x (paired {fmt_s(pr4, 2)}) | {fmt(best(fn4, d['bare4']), 3)}x | {verdict(r4 <= 1.10)} |")
    a(f"| function within 1.10x of the bare loop, THP | {fmt(rh, 3)}x (paired {fmt_s(prh, 2)}) | {fmt(best(fnh, d['bareh']), 3)}x | {verdict(rh <= 1.10)} |")
    rm = ratio(fn4, memhog)
    a(f"| function faster than memhog (4 KiB, function in-process vs memhog wall) | {fmt(rm, 3)}x | {fmt(best(fn4, memhog), 3)}x | {verdict(rm < 1)} |")
    bare_wall = d["st"]["bare-4k"]["wall"]
    a(f"| (like for like: bare loop process wall vs memhog wall) | {fmt(ratio(bare_wall, memhog), 3)}x | {fmt(best(bare_wall, memhog), 3)}x | for reference |")
    rp = ratio(fn4, py4)
    a(f"| function faster than the Python handler (4 KiB) | {fmt(rp, 3)}x | {fmt(best(fn4, py4), 3)}x | {verdict(rp < 1)} |")
    rph = ratio(fnh, py4)
    a(f"| function with THP vs the Python handler (which cannot get THP) | {fmt(rph, 3)}x | {fmt(best(fnh, py4), 3)}x | {verdict(rph < 1)} |")


def render_http_rows(a, http, cold):
    hs = {name: httprt.summaries(runs) for name, runs in http["results"].items()}
    c, go = hs["sample-function"], hs["go-net-http"]
    rr = c[0]["median"] / go[0]["median"]
    a(f"| HTTP throughput >= Go net/http | {rr:.3f}x ({c[0]['median']:.0f} vs {go[0]['median']:.0f} req/s) | - | {verdict(rr >= 1)} |")
    pr = c[2]["median"] / go[2]["median"]
    a(f"| HTTP p99 no worse than Go net/http | {pr:.3f}x ({c[2]['median']:.2f} vs {go[2]['median']:.2f} ms) | - | {verdict(pr <= 1)} |")
    cs = list(cold.values())
    a(f"| cold start (reported, no target) | C {cs[0]['ms']['median']:.1f} ms, Go {cs[1]['ms']['median']:.1f} ms, "
      f"Python {cs[2]['ms']['median']:.1f} ms | - | - |")


def render(a, data, knobs):
    d = experiment.stats(data["exp"], knobs)
    a("## Targets")
    a("")
    a("Verdicts use the ratio of medians; the best-of-n ratio (fastest run / fastest run) is the "
      "least disturbed by other work and by the host.")
    a("")
    a("| target | measured (ratio of medians) | best-of-n ratio | verdict |")
    a("|---|---|---|---|")
    render_experiment_rows(a, d)
    render_http_rows(a, data["http"], data["cold"])
    if data.get("watchdog"):
        watchdog.render_target_rows(a, data["watchdog"])
    a("")
    render_limits(a, data, d, knobs)


def overlap(x, y):
    return x is not None and y is not None and x["min"] <= y["max"] and y["min"] <= x["max"]


def render_limits(a, data, d, knobs):
    facts, exp, http = data["facts"], data["exp"], data["http"]
    a("## What limits these figures")
    a("")
    ld = float(facts["load_start"]["loadavg"].split()[0])
    le = float(facts["load_end"]["loadavg"].split()[0])
    a(f"- Other work on the machine: 1-minute load {ld:.2f} at the start, {le:.2f} at the end, on "
      f"{facts['nproc']} CPUs. " + ("Above the CPU count, the spreads (min-max) include that "
                                    "interference; only contenders measured in the same rounds are "
                                    "compared." if max(ld, le) > float(facts["nproc"]) else
                                    "The machine was otherwise quiet."))
    ov = [n for n, v in (("the bare loop", d["bare4"]), ("memhog (wall)", d["memhog"]),
                         ("the Python handler", d["py4"])) if overlap(d["fn4"], v)]
    a(f"- 4 KiB pages: every contender takes the same {d['bare_pages']} first-touch page faults, "
      f"{d['per_fault']:.1f} us each on this VM, which is the whole cost. The function's range "
      + (f"overlaps those of {', '.join(ov)}: the differences are inside the run-to-run spread, "
         "and no user-space change can beat a contender that pays the same faults by a margin "
         "larger than that spread. " if ov else "overlaps no other contender's. ")
      + "Fewer faults (THP) is the only large win, and memhog and the Python handler cannot ask for it.")
    a(f"- THP: {knobs.iterations} faults of 2 MiB instead of {d['bare_pages']}; each zeroes 2 MiB, and the run "
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
    if data.get("watchdog"):
        watchdog.render_limits(a, data["watchdog"])
    a("")
