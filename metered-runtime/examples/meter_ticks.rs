//! Prints what a tick costs with 10,000 meters: the marks that fold (the first mark of a thread
//! in a new tick), the marks that do not, and one read of every meter. It asserts nothing; the
//! meter module docs quote its output.
//!
//! `cargo run --release -p metered-runtime --example meter_ticks`
//!
//! The meters run on a `ManualClock` so that the example can move them into a new tick at will;
//! a mark then reads that clock (an atomic load through a trait object), where a meter on the
//! system clock reads the ticker's integer instead.

use metered_runtime::{ManualClock, Meter};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const METERS: u32 = 10_000;
const ROUNDS: u32 = 20;

fn per_meter(total: Duration, rounds: u32) -> f64 {
    let ops = f64::from(METERS * rounds);
    total.as_secs_f64() * 1e9 / ops
}

fn main() {
    let clock = Arc::new(ManualClock::new());
    let meters: Vec<Meter> = (0..METERS)
        .map(|_| Meter::with_clock(clock.clone()))
        .collect();
    for m in &meters {
        m.mark(); // allocates the shards: not part of a tick's cost
    }
    let (mut fold, mut plain, mut read) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        clock.advance(Duration::from_secs(5));
        let t = Instant::now();
        for m in &meters {
            black_box(m).mark(); // the first mark in the new tick folds
        }
        fold += t.elapsed();
        let t = Instant::now();
        for m in &meters {
            black_box(m).mark(); // the same tick: one store
        }
        plain += t.elapsed();
        let t = Instant::now();
        for m in &meters {
            black_box(m.snapshot());
        }
        read += t.elapsed();
    }
    println!("{METERS} meters, one marking thread, mean of {ROUNDS} ticks:");
    println!(
        "  first mark in a new tick (folds): {:.1} ns per meter, {:.2} ms per tick",
        per_meter(fold, ROUNDS),
        fold.as_secs_f64() * 1e3 / f64::from(ROUNDS)
    );
    println!(
        "  further marks in the same tick:   {:.1} ns per meter",
        per_meter(plain, ROUNDS)
    );
    println!(
        "  one read of every meter:          {:.1} ns per meter, {:.2} ms per tick",
        per_meter(read, ROUNDS),
        read.as_secs_f64() * 1e3 / f64::from(ROUNDS)
    );
}
