#!/usr/bin/env bash
# Compile-time footprint: builds, clean and in release mode, a crate using `#[derive(Metered)]` on
# 100 types and `#[metered]` on 100 methods, and two baselines in the same run: a crate using only
# `inventory` (200 `submit!`s), and the floor for any syn-based macro toolkit: `inventory` plus a
# minimal attribute macro built on the same syn features as metered-macros, applied to 100 types
# and 100 fns, each submitting one name. Prints wall time and the number of crates compiled.
#
#   bash examples/footprint/footprint.sh
#
# A benchmark, not a test: the figures depend on the machine and its load.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
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

# --- the floor: inventory plus a minimal syn-based attribute macro ---------------------------
syn_features=$(grep -m1 '^syn' "$repo/Cargo.toml" | sed -E 's/.*(features = \[[^]]*\]).*/\1/')
mkdir -p "$work/minimal_macro/src" "$work/with_minimal/src"
cat > "$work/minimal_macro/Cargo.toml" <<TOML
[package]
name = "minimal_macro"
version = "0.0.0"
edition = "2024"
publish = false
[lib]
proc-macro = true
[dependencies]
syn = { version = "2", default-features = false, $syn_features }
quote = { version = "1", default-features = false, features = ["proc-macro"] }
proc-macro2 = { version = "1", default-features = false, features = ["proc-macro"] }
[workspace]
TOML
cat > "$work/minimal_macro/src/lib.rs" <<'RS'
use proc_macro::TokenStream;
#[proc_macro_attribute]
pub fn register(_args: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::Item);
    let name = match &item {
        syn::Item::Struct(s) => s.ident.to_string(),
        syn::Item::Fn(f) => f.sig.ident.to_string(),
        _ => String::from("other"),
    };
    quote::quote!(#item inventory::submit! { crate::Name(#name) }).into()
}
RS
cat > "$work/with_minimal/Cargo.toml" <<TOML
[package]
name = "with_minimal"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
inventory = "=$inventory_version"
minimal_macro = { path = "../minimal_macro" }
[workspace]
TOML
{
  echo 'pub struct Name(pub &'"'"'static str);'
  echo 'inventory::collect!(Name);'
  for i in $(seq 1 100); do
    echo "#[minimal_macro::register] pub struct Handler$i;"
    echo "#[minimal_macro::register] pub fn method_$i(x: u64) -> Result<u64, String> { if x == $i { Err(\"no\".into()) } else { Ok(x + $i) } }"
  done
} > "$work/with_minimal/src/lib.rs"

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
  printf '| %-41s | %6.1f s | %3d crates |\n' "$2" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$crates"
}

echo "| crate (release, clean build)              | wall     | compiled   |"
echo "|-------------------------------------------|----------|------------|"
measure "$work/inventory_only" "baseline: inventory only, 200 submit!s"
measure "$work/with_minimal" "floor: inventory + minimal syn macro"
measure "$work/with_metered" "metered: 100 derives + 100 #[metered] fns"
