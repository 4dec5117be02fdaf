#!/usr/bin/env bash
# Compile-time footprint: builds, clean and in release mode, a crate using `#[derive(Metered)]` on
# 100 types and `#[metered]` on 100 methods, and a baseline crate using only `inventory` (200
# `submit!`s), in the same run. Prints wall time and the number of crates compiled for each.
#
#   bash examples/footprint/footprint.sh
#
# A benchmark, not a test: the figures depend on the machine and its load.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inventory_version=$(grep -m1 '^inventory' "$repo/Cargo.toml" | sed -E 's/.*version = "([^"]+)".*/\1/')

# --- the crate under test -------------------------------------------------------------------
mkdir -p "$work/with_metered/src"
cat > "$work/with_metered/Cargo.toml" <<TOML
[package]
name = "with_metered"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
metered-runtime = { path = "$repo/metered-runtime" }
[workspace]
TOML
{
  echo 'use metered_runtime::{Metered, Timer, Meter, Counter};'
  for i in $(seq 1 100); do
    cat <<RS
#[derive(Metered)]
#[metrics(latency: Timer = "app.handlers.{}.latency", errors: Meter = "app.handlers.{}.errors", calls: Counter = "app.handlers.{}.calls")]
pub struct Handler$i;
RS
  done
  echo 'pub struct Service;'
  echo '#[metered_runtime::metered]'
  echo 'impl Service {'
  for i in $(seq 1 100); do
    echo "    pub fn method_$i(&self, x: u64) -> Result<u64, String> { if x == $i { Err(\"no\".into()) } else { Ok(x + $i) } }"
  done
  echo '}'
} > "$work/with_metered/src/lib.rs"

# --- the baseline: inventory alone ------------------------------------------------------------
mkdir -p "$work/inventory_only/src"
cat > "$work/inventory_only/Cargo.toml" <<TOML
[package]
name = "inventory_only"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
inventory = "=$inventory_version"
[workspace]
TOML
{
  echo 'pub struct Item(pub &'"'"'static str);'
  echo 'inventory::collect!(Item);'
  for i in $(seq 1 200); do echo "inventory::submit! { Item(\"item.$i\") }"; done
} > "$work/inventory_only/src/lib.rs"

measure() {
  local dir=$1
  local target="$work/target-$(basename "$dir")"
  # Fetch first, so that the timing covers compilation only.
  (cd "$dir" && cargo fetch --quiet)
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --release --offline 2> "$work/log-$(basename "$dir")")
  end=$(date +%s.%N)
  local crates
  crates=$(grep -c '^ *Compiling ' "$work/log-$(basename "$dir")" || true)
  printf '| %-40s | %6.1f s | %3d crates |\n' "$2" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$crates"
}

echo "| crate (release, clean build)             | wall     | compiled   |"
echo "|------------------------------------------|----------|------------|"
measure "$work/inventory_only" "baseline: inventory only, 200 submit!s"
measure "$work/with_metered" "metered: 100 derives + 100 #[metered] fns"
