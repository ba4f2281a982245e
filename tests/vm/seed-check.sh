# tests/vm/seed-check.sh (sourced by tests/vm/run.sh, after tests/lib.sh): owns the host-side
# assertions of the seed scenario (tests/vm/guest/seed.sh): from the guest's "VM-SEED unbound|bound
# <json>" lines, checks that node 1 carries the experiment, that its change is explained to within 5% in
# the touch and release phases, that node 0's movement is attributed in every phase, and the difference
# the watchdog's own binding makes; then prints the attribution tables of both runs.
#   seed_check MARKS_FILE LABEL: one result per check ("ok - LABEL: seed-attribution-..."), the tables
#   prefixed with LABEL; fails when a check failed.

# Every check prints one message per failed assertion; none means the check passed.
SEED_COMMON='
def abs: if . < 0 then -. else . end;
def cell($p; $n): .attribution.phases[$p][$n];
def fail($cond; $msg): if $cond then empty else $msg end;
(.bytes / 4096) as $pages
| fail(.guest.watchdog_ppid == 1; "the watchdog is not PID 1 child (PPid \(.guest.watchdog_ppid))"),
  fail(.guest.watchdog_cpus == "0-1"; "the watchdog does not run on node 0 CPUs 0-1: \(.guest.watchdog_cpus)"),
  fail(.guest.server_ppid == .guest.watchdog_pid; "the server (pid \(.guest.server_pid)) is not the watchdog child"),
  fail(.process.policy == "bind" and .process.policy_nodes == [1]; "the function policy is not bind [1]: \(.process)"),
  fail(.placement.pages == $pages and (.placement.per_node["1"] // 0) == $pages;
       "node 1 does not carry every page: \(.placement)"),
  fail(.attribution.parent.readable == true and .attribution.parent.pid == .guest.watchdog_pid
       and .attribution.parent.comm == "fwatchdog"; "the parent is not the watchdog: \(.attribution.parent)"),
  ((["touch", 1], ["release", -1]) as [$p, $sign] | cell($p; "1") as $c
   | fail($c.shares.experiment == $sign * .bytes; "\($p) node 1: experiment share \($c.shares.experiment)"),
     fail(($c.used_change | abs) >= 0.95 * .bytes; "\($p) node 1: used_change \($c.used_change)"),
     fail($c.unexplained_pct != null and $c.unexplained_pct < 5;
          "\($p) node 1: unexplained \($c.unexplained) bytes = \($c.unexplained_pct)% of \($c.used_change)")),
  (("allocate", "touch", "release") as $p | cell($p; "0") as $c
   | fail(($c.used_change | type) == "number" and ($c.counters.AnonPages | type) == "number"
          and ($c.counters.FilePages | type) == "number" and ($c.counters.not_in_counters | type) == "number"
          and ($c.shares.parent | type) == "number" and ($c.shares.process_other | type) == "number"
          and ($c.shares.experiment | type) == "number";
          "\($p) node 0: not attributed: \($c)"),
     fail($c.explained + $c.unexplained == $c.used_change
          and $c.explained == ([$c.shares[] | numbers] | add);
          "\($p) node 0: shares do not add up: \($c)")),
  fail((.attribution.numastat["1"].numa_hit // 0) >= $pages;
       "numastat node 1: numa_hit +\(.attribution.numastat["1"].numa_hit) < \($pages) pages allocated"),
  fail([.diagnosis[] | select(.reason == "unexplained")] == []; "diagnosis: \(.diagnosis | map(.text))"),
  fail([.diagnosis[] | select((.text | length) == 0)] == []; "a diagnosis without text")
'
# The watchdog unbound: default policy, and every node outside [1] holding its anonymous pages named.
SEED_UNBOUND='
def fail($cond; $msg): if $cond then empty else $msg end;
fail(.guest.watchdog_policy == "default" and .attribution.parent.policy == "default";
     "the watchdog policy is not default: \(.guest.watchdog_policy)"),
fail(([.attribution.parent.anon | to_entries[] | select(.key != "1" and .value > 0) | {node: (.key | tonumber), bytes: .value}])
     == [.diagnosis[] | select(.reason == "parent_unbound") | {node, bytes}];
     "parent_unbound does not name every node outside [1] holding the watchdog pages: \(.diagnosis)"),
fail((.guest.watchdog_anon_pages[0] + .guest.watchdog_anon_pages[2]) > 0;
     "the unbound watchdog has no anonymous page outside node 1: \(.guest.watchdog_anon_pages)")
'
SEED_BOUND='
def fail($cond; $msg): if $cond then empty else $msg end;
fail(.guest.watchdog_policy == "bind:1" and .attribution.parent.policy == "bind:1";
     "the watchdog policy is not bind:1: \(.guest.watchdog_policy)"),
fail((.attribution.parent.anon["0"] // 0) == 0 and (.attribution.parent.anon["2"] // 0) == 0
     and .guest.watchdog_anon_pages[0] == 0 and .guest.watchdog_anon_pages[2] == 0;
     "the bound watchdog has anonymous pages outside node 1: \(.attribution.parent.anon) \(.guest.watchdog_anon_pages)"),
fail([.diagnosis[] | select(.reason == "parent_unbound")] == []; "parent_unbound although bound: \(.diagnosis)")
'

# seed_result LABEL NAME MESSAGES: ok when there is no message, else not ok with the messages.
seed_result() {
    if [ -z "$3" ]; then ok "$1: $2"; else
        fail "$1: $2"
        sed "s/^/$1:   /" <<<"$3"
    fi
}

# seed_table LABEL MODE JSON: the attribution of nodes 0 and 1, phase by phase, in KiB.
seed_table() {
    local label=$1
    shift
    echo "$label: seed, watchdog $1 (pid $(jq -r .guest.watchdog_pid <<<"$2"), policy $(jq -r .guest.watchdog_policy <<<"$2")), KiB:"
    jq -r '
        def k: (. // 0) / 1024 | round;
        ["phase", "node", "used", "AnonPages", "FilePages", "PageTables", "KernelStack", "Slab", "uncounted",
         "experiment", "proc_other", "proc_pt", "parent", "unexplained", "pct"],
        (("allocate", "touch", "release") as $p | ("0", "1") as $n | .attribution.phases[$p][$n] as $c
         | [$p, $n, ($c.used_change | k), ($c.counters.AnonPages | k), ($c.counters.FilePages | k),
            ($c.counters.PageTables | k), ($c.counters.KernelStack | k),
            (($c.counters.SReclaimable + $c.counters.SUnreclaim) | k), ($c.counters.not_in_counters | k),
            ($c.shares.experiment | k), ($c.shares.process_other | k), ($c.shares.process_page_tables | k),
            ($c.shares.parent | k), ($c.unexplained | k),
            (if $c.unexplained_pct == null then "-" else ($c.unexplained_pct * 10 | round / 10 | tostring) + "%" end)])
        | @tsv' <<<"$2" | awk -F'\t' -v l="$label" '{ printf l ":   %-8s %4s %9s %9s %9s %10s %11s %6s %9s %10s %10s %7s %6s %11s %6s\n",
                                            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 }'
    jq -r --arg l "$label" '"\($l):   parent (the watchdog) anonymous bytes by node: \(.attribution.parent.anon | tojson)",
           "\($l):   used memory by node (bytes), from before the watchdog started to after the call: " +
           ([.guest.used_before_watchdog, .guest.used_after_call] | transpose | to_entries
            | map("\(.key): \(.value[1] - .value[0] | if . >= 0 then "+" else "" end)\(.value[1] - .value[0])") | join(", ")),
           "\($l):   numastat node 0 \(.attribution.numastat["0"] | tojson)",
           "\($l):   numastat node 1 \(.attribution.numastat["1"] | tojson)",
           (.diagnosis[] | "\($l):   diagnosis \(.reason) node \(.node): \(.text)")' <<<"$2"
}

seed_check() {
    local marks=$1 label=$2 mode extra msgs before=$FAILED
    local -A json=()
    for mode in unbound bound; do
        json[$mode]=$(sed -n "s/^VM-SEED $mode //p" "$marks" | tail -n 1)
        if [ -z "${json[$mode]}" ]; then
            seed_result "$label" "seed-attribution-$mode" "no VM-SEED $mode line in the console"
            continue
        fi
        extra=$SEED_UNBOUND
        [ "$mode" = bound ] && extra=$SEED_BOUND
        msgs=$(jq -r "($SEED_COMMON), ($extra)" <<<"${json[$mode]}" 2>&1) || msgs="jq failed: $msgs"
        seed_result "$label" "seed-attribution-$mode" "$msgs"
    done
    for mode in unbound bound; do
        [ -z "${json[$mode]}" ] || seed_table "$label" "$mode" "${json[$mode]}"
    done
    [ "$FAILED" = "$before" ]
}
