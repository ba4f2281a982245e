"""stats.py: medians with their spread, the report's number formats, and gnuplot data files."""
import statistics


def summary(values):
    """median, min, max and n of the values that are not None; None when there are none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def mib_text(n):
    return "n/a" if n is None or n < 0 else f"{n / 1048576:.0f} MiB"


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def fmt_s(s, digits=3):
    """A summary as 'median (min-max)'."""
    return "n/a" if s is None else f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def ratio(a, b):
    """Ratio of two summaries' medians, or None."""
    if a is None or b is None or b["median"] == 0:
        return None
    return a["median"] / b["median"]


def best(x, y):
    """Ratio of two summaries' fastest runs, or None."""
    return None if x is None or y is None or y["min"] == 0 else x["min"] / y["min"]


def three(s, scale=1.0):
    """median, min, max of a summary (scaled) for a data file row; None x 3 for no summary."""
    return [None, None, None] if s is None else [s["median"] * scale, s["min"] * scale, s["max"] * scale]


def paired(samples, a, b, key="alloc_touch_s"):
    """a / b for the samples taken in the same round and slot."""
    by_slot = {(r["round"], r["slot"]): r for r in samples[b]}
    vals = [x[key] / by_slot[(x["round"], x["slot"])][key] for x in samples[a]
            if (x["round"], x["slot"]) in by_slot and x.get(key) and by_slot[(x["round"], x["slot"])].get(key)]
    return summary(vals)


def write_dat(path, header, rows):
    """A gnuplot data file: a comment line, then one row per line (strings quoted, None as NaN)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("# " + header + "\n")
        for row in rows:
            f.write(" ".join(f'"{c}"' if isinstance(c, str) else ("NaN" if c is None else f"{c:.6g}")
                             for c in row) + "\n")
