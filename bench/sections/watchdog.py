"""watchdog.py: section 5, through the real of-watchdog in a container: wrk against the sample function,
a Go net/http and a Flask-on-waitress upstream; the default experiment, test-numa-function (C) vs the
python3-debian-numa handler; container start to the first 200; the images' sizes (images.py builds them)."""
import json
import os
import subprocess
import time

from . import accounting, httprt, images
from .proc import get_status, log, port_free_or_die, run, show
from .stats import best, fmt, fmt_s, ratio, summary, three, write_dat

READY_WAIT = 60            # seconds from docker run to the first 200
# An experiment on a busy machine can outlast the image's exec_timeout (120 s, then a 504): the
# experiment containers get longer watchdog timeouts, shown in their commands.
EXP_TIMEOUT = 600
EXP_ENV = {"exec_timeout": f"{EXP_TIMEOUT}s", "write_timeout": f"{EXP_TIMEOUT + 5}s"}
POLL = 0.005               # seconds between readiness polls
UPSTREAMS = ("sample-function", "go-http", "python-flask")     # wrk's targets, the trivial answer
EXPERIMENT = (("test-numa-function", "test-numa-function (C)"), ("python-flask", "python3-debian-numa handler (Python)"))
START = (("sample-function", "/"), ("test-numa-function", "/_/ready"), ("go-http", "/"), ("python-flask", "/"))
IMAGES = {"sample-function": "C, libmicrohttpd: the template's sample function",
          "test-numa-function": "C, libmicrohttpd: test-numa-function",
          "go-http": "Go net/http (golang-http's shape)",
          "python-flask": "Python, Flask on waitress (python3-http's shape): the python3-debian-numa handler"}
SHORT = {"sample-function": "C sample", "test-numa-function": "C test-numa", "go-http": "Go",
         "python-flask": "Python"}


class Container:
    """One `docker run -d` of an image, its port published on 127.0.0.1; removed by stop()."""

    def __init__(self, ctx, image, label, port, env=None, cmd=None):
        self.ctx, self.image, self.port, self.env = ctx, image, port, dict(env or {})
        self.cmd = list(cmd or [])      # the image's command replaced (the watchdog not started)
        self.name = f"c-debian-numa-bench-{os.getpid()}-{label}"
        self.url = f"http://127.0.0.1:{port}"

    def argv(self, name=None):
        envs = [x for k, v in self.env.items() for x in ("-e", f"{k}={v}")]
        return (["docker", "run", "-d", "--name", name or self.name, "--cap-add", "SYS_NICE",
                 "-p", f"127.0.0.1:{self.port}:8080"] + envs + [self.image] + self.cmd)

    def command(self):
        return show(self.argv("NAME"))

    def start(self):
        """Runs the container; returns seconds until docker run returned."""
        port_free_or_die(self.port)
        self.ctx.registry.containers.append(self.name)
        return run(self.argv(), timeout=READY_WAIT)[1]

    def wait_200(self, path, started):
        """Polls GET path until 200; seconds from `started` (a perf_counter value)."""
        deadline = time.perf_counter() + READY_WAIT
        while time.perf_counter() < deadline:
            if get_status(self.url + path, 2) == 200:
                return time.perf_counter() - started
            time.sleep(POLL)
        raise RuntimeError(f"{self.name}: no 200 on {path} within {READY_WAIT} s")

    def stop(self):
        subprocess.run(["docker", "rm", "-f", self.name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, check=False)
        if self.name in self.ctx.registry.containers:
            self.ctx.registry.containers.remove(self.name)


def http_part(ctx, imgs, base):
    """wrk through the watchdog against each upstream's trivial answer."""
    sample = Container(ctx, imgs["sample-function"], "sample-function", base)
    sample.start()
    sample.wait_200("/", time.perf_counter())
    body = httprt.fetch(sample.url + "/").decode()
    conts = [sample] + [Container(ctx, imgs[name], name, base + 1 + i, {"BENCH_BODY": body})
                        for i, name in enumerate(("go-http", "python-flask"))]
    for c in conts[1:]:
        c.start()
        c.wait_200("/", time.perf_counter())
    labels = list(UPSTREAMS)
    bodies = {label: len(httprt.fetch(c.url + "/")) for label, c in zip(labels, conts)}
    res, cmds = httprt.wrk_rounds(ctx, [(label, c.url, None) for label, c in zip(labels, conts)],
                                  "watchdog-")
    commands = {label: c.command() for label, c in zip(labels, conts)}
    for c in conts:
        c.stop()
    return {"results": res, "wrk_cmds": cmds, "container_cmds": commands, "bodies": bodies, "body": body}


def experiment_request(argv):
    """One experiment request: (in-process alloc+touch seconds, curl's time_total)."""
    out, _ = run(argv, timeout=EXP_TIMEOUT + 30)
    text, _, total = out.rpartition("\n")
    doc = json.loads(text)
    at = doc["timings"]["alloc_touch_s"] if "timings" in doc else doc["alloc_touch_s"]
    return at, float(total)


def experiment_part(ctx, imgs, base):
    k = ctx.knobs
    query = f"iterations={k.iterations}&chunk_mb={k.chunk_mb}"
    conts = {label: Container(ctx, imgs[label], label, base + i, EXP_ENV)
             for i, (label, _) in enumerate(EXPERIMENT)}
    argvs = {}
    for label, c in conts.items():
        c.start()
        c.wait_200(dict(START)[label], time.perf_counter())
        run(["curl", "-sS", "--fail-with-body", "--max-time", "60", f"{c.url}/?iterations=10&chunk_mb={k.chunk_mb}"])
        argvs[label] = ["curl", "-sS", "--fail-with-body", "--max-time", str(EXP_TIMEOUT + 10),
                        "-w", r"\n%{time_total}", f"{c.url}/?{query}"]
    samples = {label: [] for label in conts}
    labels = list(conts)
    for r in range(k.ct_reps):
        for label in labels[r % 2:] + labels[:r % 2]:
            at, total = experiment_request(argvs[label])
            samples[label].append({"alloc_touch_s": at, "request_s": total})
            log(f"watchdog experiment {r + 1}/{k.ct_reps} {label}: alloc+touch {at:.3f} s, request {total:.3f} s")
    commands = {label: {"container": conts[label].command(), "request": show(argvs[label])} for label in conts}
    for c in conts.values():
        c.stop()
    return {"samples": samples, "commands": commands}


def accounting_part(ctx, imgs, base):
    """Section 2's container rows: the test-numa-function image behind the watchdog, and its server
    alone (fprocess as the container's command, listening on the published port)."""
    img = imgs["test-numa-function"]
    wd = Container(ctx, img, "acct-watchdog", base, EXP_ENV)
    alone = Container(ctx, img, "acct-alone", base + 1, {"FN_ADDR": "0.0.0.0", "FN_PORT": "8080"},
                      cmd=["numactl", "--membind", "0", "/home/app/server"])
    out = {"containers": {}}
    for where, c in (("watchdog", wd), ("alone", alone)):
        c.start()
        try:
            c.wait_200("/_/ready", time.perf_counter())
            run(["curl", "-sS", "--fail-with-body", "--max-time", "60",
                 f"{c.url}/?iterations=10&chunk_mb={ctx.knobs.chunk_mb}"])
            out[where] = accounting.measure(ctx, c.url, where)
            out["containers"][where] = c.command()
        finally:
            c.stop()
    return out


def start_part(ctx, imgs, base):
    """Container start to the first 200, images in rotated order."""
    res = {label: {"run_ms": [], "first_ms": [], "path": path} for label, path in START}
    port = {label: base + i for i, (label, _) in enumerate(START)}
    for r in range(ctx.knobs.ct_reps):
        for label, path in START[r % 4:] + START[:r % 4]:
            c = Container(ctx, imgs[label], f"start-{label}", port[label])
            t0 = time.perf_counter()
            try:
                res[label]["run_ms"].append(c.start() * 1e3)
                res[label]["first_ms"].append(c.wait_200(path, t0) * 1e3)
            finally:
                c.stop()
            res[label]["cmd"] = c.command()
            log(f"container start {label}: first 200 after {res[label]['first_ms'][-1]:.0f} ms")
    return res


def measure(ctx):
    imgs, how, tl = images.build_all(ctx)
    sizes = {label: images.size_bytes(img) for label, img in imgs.items()}
    sizes[images.BASE_IMAGE] = images.size_bytes(images.BASE_IMAGE)
    sizes[images.WATCHDOG_IMAGE] = images.size_bytes(images.WATCHDOG_IMAGE)
    base = ctx.knobs.port_base + 1000
    http = http_part(ctx, imgs, base)
    exp = experiment_part(ctx, imgs, base + 10)
    acct = accounting_part(ctx, imgs, base + 15)
    start = start_part(ctx, imgs, base + 20)
    return {"images": imgs, "how": how, "openfaas": tl, "sizes": sizes, "http": http, "exp": exp,
            "acct": acct, "start": start}


def mb(n):
    return f"{n / 1e6:.1f} MB"


def render_images(a, wd):
    tl = wd["openfaas"]
    a(f"of-watchdog and faas-cli built from their release sources by `{tl['build_cmd']}`: "
      f"`fwatchdog --version`: {tl['fwatchdog_version']}; `faas-cli version --warn-update=false`: "
      f"{tl['faas_cli_version']}. Docker engine {tl['docker_version']}. Every container runs as "
      "`docker run -d --cap-add SYS_NICE -p 127.0.0.1:PORT:8080 IMAGE`: the watchdog starts the upstream "
      "(fprocess) and proxies each request to it (mode=http), and each request also crosses Docker's "
      "port mapping on 127.0.0.1. Sizes as `docker image inspect -f '{{.Size}}'` gives them (MB = 10^6 "
      "bytes, base image included).")
    a("")
    a("| image | upstream | size | built by |")
    a("|---|---|---|---|")
    for label, img in wd["images"].items():
        a(f"| `{img}` | {IMAGES[label]} | {mb(wd['sizes'][label])} | {wd['how'][label]} |")
    a(f"| `{images.BASE_IMAGE}` | (base of all four) | {mb(wd['sizes'][images.BASE_IMAGE])} | "
      "`tests/image/base-images.sh` (debootstrap) |")
    a(f"| `{images.WATCHDOG_IMAGE}` | (the watchdog, FROM scratch) | {mb(wd['sizes'][images.WATCHDOG_IMAGE])} | "
      f"`{wd['openfaas']['build_cmd']}` |")
    a("")


def render_http(a, wd, knobs, loopback):
    http = wd["http"]
    a(f"**wrk through the watchdog.** {knobs.wrk_rounds} rounds of {knobs.wrk_duration} s per upstream "
      "(after a 1 s warm-up), order rotated; median (min-max). Every upstream answers the same "
      f"{len(http['body'])}-byte JSON on GET / (the Go and Python upstreams get it as `BENCH_BODY`). "
      "The last column is the same server on loopback without watchdog or container (section 3), "
      "measured in this run.")
    a("")
    a("| upstream behind of-watchdog | requests/s | p50 ms | p99 ms | errors | without the watchdog, requests/s | container command | wrk command |")
    a("|---|---|---|---|---|---|---|---|")
    same = {"sample-function": "sample-function", "go-http": "go-net-http"}
    for label, runs in http["results"].items():
        rps, p50, p99 = httprt.summaries(runs)
        bare = loopback.get(same.get(label, ""))
        if bare:
            bare_text = fmt_s(httprt.summaries(bare)[0], 0)
        else:
            bare_text = "n/a (section 3 did not run)" if label in same else "n/a (section 3's Python server is http.server)"
        a(f"| {label} | {fmt_s(rps, 0)} | {fmt_s(p50, 2)} | {fmt_s(p99, 2)} | {httprt.errors_text(runs)} | "
          f"{bare_text} | `{http['container_cmds'][label]}` | `{http['wrk_cmds'][label]}` |")
    a("")


def exp_summaries(wd):
    return {label: (summary([s["alloc_touch_s"] for s in recs]), summary([s["request_s"] for s in recs]))
            for label, recs in wd["exp"]["samples"].items()}


def render_experiment(a, wd, knobs):
    sm = exp_summaries(wd)
    c_req = sm["test-numa-function"][1]
    n = len(wd["exp"]["samples"]["test-numa-function"])
    a(f"**The default experiment through the watchdog: {knobs.iterations} x {knobs.chunk_mb} MiB, C vs Python.** "
      f"{n} requests each after one warm-up request (`iterations=10`), order alternating; seconds, median "
      "(min-max). `alloc+touch` is timed inside the upstream; `request` is curl's `time_total` (the whole "
      "request through Docker's port mapping and the watchdog: allocation, touch, the function's "
      "accounting, release and the answer). Both upstreams run under `numactl --membind 0` (fprocess); "
      f"their containers get the watchdog timeouts `exec_timeout={EXP_ENV['exec_timeout']}`, "
      f"`write_timeout={EXP_ENV['write_timeout']}`, so that a slow run on a busy machine is measured "
      "rather than cut at the image's 120 s.")
    a("")
    a("| upstream | alloc+touch s | request s | request vs C | container command | request command |")
    a("|---|---|---|---|---|---|")
    for label, title in EXPERIMENT:
        at, req = sm[label]
        cmds = wd["exp"]["commands"][label]
        a(f"| {title} | {fmt_s(at)} | {fmt_s(req)} | {fmt(ratio(req, c_req), 2)} | `{cmds['container']}` | "
          f"`{cmds['request']}` |")
    a("")


def render_start(a, wd):
    st = wd["start"]
    n = len(next(iter(st.values()))["first_ms"])
    a(f"**Container start to the first 200.** {n} starts per image, images in rotated order; milliseconds, "
      "median (min-max). The clock starts when the driver launches `docker run -d` and stops at the first "
      f"200 on the path, polled every {POLL * 1e3:.0f} ms through the published port (before the upstream "
      "listens the watchdog answers 502 or the connection is reset). test-numa-function is polled on "
      "`/_/ready`, which the watchdog relays to the upstream (its `/` runs the experiment).")
    a("")
    a("| image | `docker run -d` returned, ms | first 200, ms | path | command |")
    a("|---|---|---|---|---|")
    for label, v in st.items():
        a(f"| {label} | {fmt_s(summary(v['run_ms']), 0)} | {fmt_s(summary(v['first_ms']), 0)} | "
          f"`{v['path']}` | `{v['cmd']}` |")
    a("")


def render(a, wd, knobs, loopback):
    a("## 5. Through the real watchdog in a container")
    a("")
    render_images(a, wd)
    render_http(a, wd, knobs, loopback)
    render_experiment(a, wd, knobs)
    render_start(a, wd)


def render_target_rows(a, wd):
    hs = {label: httprt.summaries(runs)[0] for label, runs in wd["http"]["results"].items()}
    c = hs["sample-function"]
    a(f"| through the watchdog: requests/s, C / Go, C / Python (reported, no target) | "
      f"{fmt(ratio(c, hs['go-http']), 3)}x, {fmt(ratio(c, hs['python-flask']), 3)}x | - | - |")
    sm = exp_summaries(wd)
    c_req, py_req = sm["test-numa-function"][1], sm["python-flask"][1]
    a(f"| through the watchdog: default experiment request, C / Python (reported, no target) | "
      f"{fmt(ratio(c_req, py_req), 3)}x ({fmt(c_req['median'])} vs {fmt(py_req['median'])} s) | "
      f"{fmt(best(c_req, py_req), 3)}x | - |")
    first = {label: summary(v["first_ms"])["median"] for label, v in wd["start"].items()}
    a("| container start to first 200 (reported, no target) | "
      + ", ".join(f"{label} {ms:.0f} ms" for label, ms in first.items()) + " | - | - |")


def render_limits(a, wd):
    a("- Through the watchdog: each request crosses Docker's port mapping (docker-proxy, a user-space "
      "copy) and the watchdog's reverse proxy before the upstream, and all of them share the 2 CPUs "
      "with wrk: the upstream's own speed is mostly hidden behind those hops. Container start adds "
      "the container's namespaces, cgroup, network and port mapping, then the image's entrypoint (the "
      "C images check with numactl that a memory policy may be set) before the watchdog forks the "
      "upstream.")


def write_plot_data(out_dir, wd):
    rows = httprt.plot_rows({SHORT[label]: runs for label, runs in wd["http"]["results"].items()})
    write_dat(os.path.join(out_dir, "watchdog_http.dat"),
              "name rps(med min max) p50_ms(med min max) p99_ms(med min max)", rows)
    sm = exp_summaries(wd)
    write_dat(os.path.join(out_dir, "watchdog_exp.dat"),
              "name alloc_touch_s(med min max) request_s(med min max)",
              [[SHORT[label]] + three(sm[label][0]) + three(sm[label][1]) for label, _ in EXPERIMENT])
    write_dat(os.path.join(out_dir, "watchdog_start.dat"), "name first_200_ms(med min max) image_MB",
              [[SHORT[label]] + three(summary(v["first_ms"])) + [wd["sizes"][label] / 1e6]
               for label, v in wd["start"].items()])
