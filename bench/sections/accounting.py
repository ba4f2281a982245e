"""accounting.py: section 2, what the function's own accounting (placement query, cross-check, MemFree
snapshots) costs as a share of timings.total_s, from section 1's samples."""
import os
import statistics

from .stats import fmt_s, summary, write_dat

KINDS = (("fn-4k", "4 KiB"), ("fn-thp", "THP"))


def medians(recs, keys):
    return {k: statistics.median([r[k] for r in recs]) for k in keys}


def render(a, exp):
    a("## 2. Accounting overhead (test-numa-function)")
    a("")
    a("Medians over the rounds above, seconds and share of `timings.total_s` (same commands as section 1).")
    a("")
    a("| pages | total_s | alloc_touch_s | placement_s + cross_check_s | share | meminfo_s | share | placement source |")
    a("|---|---|---|---|---|---|---|---|")
    for key, label in KINDS:
        recs = exp["samples"][key]
        med = medians(recs, ("total_s", "alloc_touch_s", "meminfo_s"))
        pl = statistics.median([r["placement_s"] + r["cross_check_s"] for r in recs])
        sh_pl = summary([(r["placement_s"] + r["cross_check_s"]) / r["total_s"] * 100 for r in recs])
        sh_mi = summary([r["meminfo_s"] / r["total_s"] * 100 for r in recs])
        src = sorted({r["placement_source"] for r in recs})
        a(f"| {label} | {med['total_s']:.3f} | {med['alloc_touch_s']:.3f} | {pl:.4f} | {fmt_s(sh_pl, 2)} % | "
          f"{med['meminfo_s']:.5f} | {fmt_s(sh_mi, 3)} % | {', '.join(src)} |")
    a("")


def write_plot_data(out_dir, exp):
    rows = []
    for key, label in (("fn-4k", "4 KiB pages"), ("fn-thp", "THP")):
        med = medians(exp["samples"][key],
                      ("alloc_touch_s", "placement_s", "cross_check_s", "meminfo_s", "total_s"))
        other = max(0.0, med["total_s"] - med["alloc_touch_s"] - med["placement_s"]
                    - med["cross_check_s"] - med["meminfo_s"])
        rows.append([label, med["alloc_touch_s"], med["placement_s"], med["cross_check_s"],
                     med["meminfo_s"], other])
    write_dat(os.path.join(out_dir, "accounting.dat"),
              "name alloc_touch placement cross_check meminfo other (seconds, medians)", rows)
