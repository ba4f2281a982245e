"""machine.py: the report's Machine section: what this machine is, its THP settings, versions and load."""
import datetime
import os
import re

from .proc import PYTHON, ROOT, capture, read_text


def load_facts():
    """Load average and the busiest processes: what else ran on the machine meanwhile."""
    top = capture(["ps", "-eo", "pcpu,etimes,comm", "--sort=-pcpu", "--no-headers"])
    return {"loadavg": read_text("/proc/loadavg"), "top": "\n".join(top.splitlines()[:6])}


def free_page_reporting():
    """True when a virtio-balloon device offers free page reporting (feature bit 5)."""
    balloon = []
    vdir = "/sys/bus/virtio/devices"
    try:
        for d in sorted(os.listdir(vdir)):
            if read_text(os.path.join(vdir, d, "device")) == "0x0005":
                feats = read_text(os.path.join(vdir, d, "features"))
                balloon.append(len(feats) > 5 and feats[5] == "1")
    except OSError:
        pass
    return any(balloon)


def versions(go):
    def pkg_version(pkg):
        return capture(["dpkg-query", "-W", "-f=${Version}", pkg])

    return {
        "gcc": capture(["gcc", "-dumpfullversion"]),
        "go (Debian golang-go)": capture([go, "version"]),
        "python3 (Debian)": capture([PYTHON, "--version"]),
        "wrk": pkg_version("wrk"),
        "numactl/memhog": pkg_version("numactl"),
        "libmicrohttpd": pkg_version("libmicrohttpd12"),
        "gnuplot": capture(["gnuplot", "--version"]),
    }


def machine_facts(go):
    lscpu = capture(["lscpu"])
    keep = ("Architecture", "Model name", "CPU(s):", "Thread(s) per core", "Core(s) per socket",
            "Socket(s)", "NUMA node(s)", "NUMA node0 CPU(s)", "Hypervisor vendor", "L3 cache")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": capture(["nproc"]),
        "lscpu": "\n".join(line for line in lscpu.splitlines() if line.startswith(keep)),
        "uname": capture(["uname", "-a"]),
        "free": capture(["free", "-m"]),
        "thp_enabled": read_text("/sys/kernel/mm/transparent_hugepage/enabled"),
        "thp_defrag": read_text("/sys/kernel/mm/transparent_hugepage/defrag"),
        "mthp": mthp_sizes(),
        "numactl_h": capture(["numactl", "-H"]),
        "free_page_reporting": free_page_reporting(),
        "commit": capture(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
        "versions": versions(go),
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


def render(a, facts):
    """## Machine: a is the report's line appender."""
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
    for title, text in (("`lscpu` (excerpt):", facts["lscpu"]), ("`free -m`:", facts["free"])):
        a(title)
        a("```")
        a(text)
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
