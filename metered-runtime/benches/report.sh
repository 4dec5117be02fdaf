#!/usr/bin/env bash
# Runs the hot-path benchmark in the default build (`tsc` on) and with `--no-default-features`
# (timers read `Instant`) and prints the README's Performance table: criterion's medians, with
# each row's ratio to its baseline from the same run.
#
#   bash metered-runtime/benches/report.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for features in tsc instant; do
  args=()
  [ "$features" = instant ] && args=(--no-default-features)
  cargo bench -q -p metered-runtime "${args[@]}" --bench hot_path -- --noplot > /dev/null 2>&1
  cp -r target/criterion "$out/$features"
done
python3 - "$out" <<'PY'
import json, os, sys
root = sys.argv[1]
def find(features, group, bench):
    base = os.path.join(root, features)
    # criterion stores each benchmark under a mangled directory name; match on its metadata
    for dirpath, _, files in os.walk(base):
        if dirpath.endswith(os.sep + "new") and "benchmark.json" in files:
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                meta = json.load(f)
            if meta["group_id"] == group and meta["function_id"] == bench:
                with open(os.path.join(dirpath, "estimates.json")) as f:
                    return json.load(f)["median"]["point_estimate"]
    raise SystemExit(f"no result for {group}/{bench} ({features})")
rows = [
    ("1 thread", "baseline: AtomicU64::fetch_add", None),
    ("1 thread", "baseline: Instant::now() pair", None),
    ("1 thread", "baseline: TSC read pair (quanta raw)", None),
    ("1 thread", "baseline: Instant pair + hand-written 8-bound histogram", None),
    ("1 thread", "Counter::inc", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Meter::mark", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Histogram::record", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Histogram::record, not inlined", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Histogram::record, 8 bounds, not inlined", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Timer::record(Duration), not inlined", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Timer::record(Duration), 8 bounds, not inlined", "baseline: AtomicU64::fetch_add"),
    ("1 thread", "Timer::time (guard start + drop)", "baseline: Instant::now() pair"),
    ("1 thread", "Timer::time (guard start + drop), not inlined", "baseline: Instant pair + hand-written 8-bound histogram"),
    ("1 thread", "Timer::time, 8 bounds, not inlined", "baseline: Instant pair + hand-written 8-bound histogram"),
    ("1 thread", "Timer::time + discard (one clock read)", "baseline: Instant::now() pair"),
    ("1 thread", "#[metered] fn call", "baseline: Instant::now() pair"),
    ("2 threads, one metric", "baseline: shared AtomicU64::fetch_add", None),
    ("2 threads, one metric", "Counter::inc", "baseline: shared AtomicU64::fetch_add"),
    ("2 threads, one metric", "Meter::mark", "baseline: shared AtomicU64::fetch_add"),
    ("2 threads, one metric", "Histogram::record", "baseline: shared AtomicU64::fetch_add"),
    ("2 threads, one metric", "Timer::time (guard start + drop)", "baseline: shared AtomicU64::fetch_add"),
    ("2 threads, one metric", "#[metered] fn call", "baseline: shared AtomicU64::fetch_add"),
]
PEERS = "peers, timed call, 8 bounds, not inlined"
peer_rows = [
    "prometheus-client 0.25: Instant pair + observe",
    "prometheus 0.14: start_timer + drop",
    "metrics 0.24 + metrics-util atomic storage: Instant pair + record",
]
# Timed rows: also how far above the pair of clock reads the build's timers take (TSC in the
# default build, `Instant` without it).
timed = {"Timer::time (guard start + drop)", "Timer::time (guard start + drop), not inlined",
         "Timer::time, 8 bounds, not inlined"}
pair = {"tsc": "baseline: TSC read pair (quanta raw)", "instant": "baseline: Instant::now() pair"}
print("| group | benchmark | default (`tsc`) | `--no-default-features` (`Instant`) |")
print("|---|---|---|---|")
for group, bench, base in rows:
    cells = []
    for features in ("tsc", "instant"):
        v = find(features, group, bench)
        cell = f"{v:.2f} ns"
        if base:
            cell += f" = {v / find(features, group, base):.2f}x"
        if group == "1 thread" and bench in timed:
            cell += f", {v - find(features, group, pair[features]):+.1f} ns over the read pair"
        cells.append(cell)
    print(f"| {group} | {bench} | {cells[0]} | {cells[1]} |")
for features in ("tsc", "instant"):
    best = min(find(features, PEERS, b) for b in peer_rows)
    for b in peer_rows:
        v = find(features, PEERS, b)
        print(f"| {PEERS} ({features}) | {b} | {v:.2f} ns | |")
    v = find(features, PEERS, "metered: Timer::time (guard start + drop)")
    print(f"| {PEERS} ({features}) | metered: Timer::time (guard start + drop) | {v:.2f} ns = {v / best:.2f}x the best peer | |")
PY
