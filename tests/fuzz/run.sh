#!/usr/bin/env bash
# run.sh: runs the parsers' libFuzzer target for a bounded time from the committed seed corpus
# (tests/fuzz/corpus, left unchanged: new inputs go to a scratch corpus) and prints the number
# of executions. A crash, a sanitizer finding, a leak or a timeout fails it and keeps the input.
# Usage: run.sh FUZZER SECONDS [SCRATCH_DIR]
set -euo pipefail
FUZZER=$1
SECONDS_BUDGET=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=${3:-}
if [ -z "$scratch" ]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT   # kept only when the run failed (see below)
fi
mkdir -p "$scratch/corpus" "$scratch/artifacts"
out="$scratch/fuzz.out"
rc=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
"$FUZZER" -max_total_time="$SECONDS_BUDGET" -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" \
    "$scratch/corpus" "$here/corpus" >"$out" 2>&1 || rc=$?
execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$out")
rate=$(awk '/stat::average_exec_per_sec/ {print $NF}' "$out")
if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    grep -E -B2 -A25 'ERROR|runtime error|deadly signal|Test unit written' "$out" | head -n 30 || tail -n 30 "$out"
    trap - EXIT
    echo "not ok - fuzzing the parsers for ${SECONDS_BUDGET}s (exit $rc); inputs kept in $scratch/artifacts"
    exit 1
fi
echo "ok - fuzzing the parsers for ${SECONDS_BUDGET}s: $execs executions ($rate/s), $(ls "$scratch/corpus" | wc -l) inputs in the scratch corpus, no finding"
