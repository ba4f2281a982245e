"""knobs.py: the settings of a `make bench` run, read once from the environment.

BENCH_QUICK=1 is the quick loop: small defaults, and the report and plots go to OUT_DIR instead of
bench/. BENCH_SECTIONS (a comma list of experiment,http,cold,watchdog) runs only those sections; a
partial run also writes to OUT_DIR, so bench/results.md always holds a whole run.
"""
SECTIONS = ("experiment", "http", "cold", "watchdog")

# name: (default, quick default, lowest, highest)
TABLE = {
    "BENCH_REPS": (5, 1, 1, 50),
    "BENCH_MIN_REPS": (3, 1, 1, 50),
    "BENCH_EXP_BUDGET": (360, 60, 10, 3600),
    "BENCH_ITERATIONS": (1000, 50, 1, 100000),
    "BENCH_CHUNK_MB": (2, 2, 1, 1024),
    "BENCH_WRK_DURATION": (10, 2, 1, 120),
    "BENCH_WRK_ROUNDS": (2, 1, 1, 10),
    "BENCH_COLD_REPS": (20, 3, 1, 200),
    "BENCH_CT_REPS": (5, 2, 1, 50),
    "BENCH_ACCT_REPS": (3, 1, 1, 50),
    "BENCH_PORT_BASE": (18080, 18080, 1024, 60000),
}


class Knobs:
    """Read-only settings: reps, iterations, chunk_mb, ... (see TABLE), quick, sections."""

    def __init__(self, environ):
        self.quick = environ.get("BENCH_QUICK", "") == "1"
        for name, (default, quick, lo, hi) in TABLE.items():
            text = environ.get(name, "")
            value = int(text) if text else (quick if self.quick else default)
            if not lo <= value <= hi:
                raise SystemExit(f"run.py: {name}={value} outside {lo}-{hi}")
            setattr(self, name[len("BENCH_"):].lower(), value)
        wanted = environ.get("BENCH_SECTIONS", "")
        self.sections = tuple(s for s in wanted.split(",") if s) if wanted else SECTIONS
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise SystemExit(f"run.py: BENCH_SECTIONS: unknown {', '.join(unknown)} "
                             f"(known: {', '.join(SECTIONS)})")

    @property
    def whole(self):
        """True when this run may replace bench/results.md: every section, full settings."""
        return not self.quick and self.sections == SECTIONS
