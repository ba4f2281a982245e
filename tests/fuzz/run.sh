#!/usr/bin/env bash
# run.sh: runs the parsers' libFuzzer target from the committed seed corpus (tests/fuzz/corpus, left
# unchanged: new inputs go to a scratch corpus) for a time budget or a number of executions, and
# prints the number of executions. A crash, a sanitizer finding, a broken invariant, a leak or a
# timeout fails it and keeps the input; so does a count run that stops short of its executions.
# Usage: run.sh FUZZER SECONDS [SCRATCH_DIR]
#        run.sh FUZZER --runs N TIMEOUT_SECONDS [SCRATCH_DIR]
set -euo pipefail
FUZZER=$1
shift
RUNS=""
if [ "${1:-}" = --runs ]; then
    RUNS=$2
    BUDGET=$3
    shift 3
    limit=(-runs="$RUNS")
    what="$RUNS executions (at most ${BUDGET}s)"
else
    BUDGET=$1
    shift
    limit=(-max_total_time="$BUDGET")
    what="${BUDGET}s"
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
scratch=${1:-}
keep=""
[ -z "$scratch" ] || keep=1
[ -n "$scratch" ] || scratch=$(mktemp -d)
# The target rewrites its tree of stand-in kernel files (fuzz_trees.c) for every input: on tmpfs
# when there is one (on ext4 a file truncated and rewritten is flushed at close: 10x slower here).
tree=$(mktemp -d /dev/shm/cdn-fuzz.XXXXXX 2>/dev/null) || tree=$(mktemp -d "$scratch/tree.XXXXXX")
# The scratch folder is kept only when the run failed (see below) or was named.
trap 'rm -rf "$tree"; [ -n "$keep" ] || rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts"
out="$scratch/fuzz.out"
rc=0
# timeout: a count run bounded in time too (-k: a fuzzer that ignores SIGTERM still stops).
TMPDIR="$tree" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
timeout -k 30 "$((BUDGET + 60))" "$FUZZER" "${limit[@]}" -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" \
    "$scratch/corpus" "$here/corpus" >"$out" 2>&1 || rc=$?
execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$out")
rate=$(awk '/stat::average_exec_per_sec/ {print $NF}' "$out")
short=0
if [ -n "$RUNS" ] && [ -n "$execs" ] && [ "$execs" -lt "$RUNS" ]; then short=1; fi
if [ "$rc" -ne 0 ] || [ -z "$execs" ] || [ "$short" = 1 ]; then
    grep -E -B2 -A25 'ERROR|runtime error|deadly signal|invariant broken|Test unit written' "$out" |
        head -n 40 || tail -n 30 "$out"
    keep=1
    fail "fuzzing the parsers for $what: exit $rc, ${execs:-no} executions; inputs kept in $scratch/artifacts"
    exit 1
fi
ok "fuzzing the parsers for $what: $execs executions ($rate/s), $(ls "$scratch/corpus" | wc -l) inputs in the scratch corpus, no finding"
