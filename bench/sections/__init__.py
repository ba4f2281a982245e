"""The sections of `make bench` (bench/run.py): one module per section of bench/results.md.

Each section module measures (measure) and writes its part of the report (render) and its plot data
(write_dat); the shared pieces are knobs.py (settings from the environment), proc.py (commands,
servers, containers and their cleanup) and stats.py (medians, formatting, data files).

    machine.py     Machine: facts, versions, load
    experiment.py  1. Experiment cost
    accounting.py  2. Accounting overhead
    httprt.py      3. HTTP runtime on loopback
    coldstart.py   4. Cold start
    watchdog.py    5. Through the real watchdog in a container (images: images.py)
    targets.py     Targets, What limits these figures
    report.py      the report's head, its sections in order, Plots; plots.gp
"""
