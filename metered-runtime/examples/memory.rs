//! Prints the sizes and heap use of single metrics quoted in the docs. It asserts nothing. For
//! bytes per labelled series beside prometheus-client, run the memory benchmark instead:
//! `cargo bench -p metered-runtime --bench memory`.
//!
//! `cargo run --release -p metered-runtime --example memory`

use metered_runtime::{Counter, Gauge, Histogram, Meter, Timer, UpDownCounter};
use std::mem::size_of;
use std::time::Duration;

/// 100 000 durations from 10 µs to 100 ms, log-uniform (a fixed pseudo-random sequence).
fn spread(timer: &Timer) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        #[allow(clippy::cast_precision_loss, reason = "a uniform draw in [0, 1)")]
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "the value lies in 1e4..1e8"
        )]
        let ns = (1e4 * (unit * 1e4f64.ln()).exp()) as u64;
        timer.record(Duration::from_nanos(ns));
    }
}

fn main() {
    println!(
        "CPUs available: {}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "size_of: Counter {} B, UpDownCounter {} B, Gauge {} B, Meter {} B, Histogram {} B, Timer {} B",
        size_of::<Counter>(),
        size_of::<UpDownCounter>(),
        size_of::<Gauge>(),
        size_of::<Meter>(),
        size_of::<Histogram>(),
        size_of::<Timer>()
    );

    let timer = Timer::new();
    println!("idle timer heap: {} B", timer.heap_bytes());
    timer.record(Duration::from_micros(50));
    let single = timer.heap_bytes();
    println!("timer heap, one thread recorded one 50 us duration: {single} B");
    spread(&timer);
    let one = timer.heap_bytes();
    println!("  after the same thread recorded 10 us..100 ms: {one} B");
    std::thread::scope(|s| {
        s.spawn(|| spread(&timer));
    });
    let two = timer.heap_bytes();
    println!(
        "  + a second thread recording the same spread: +{} B (total {two} B)",
        two - one
    );

    let counter = Counter::new();
    println!("idle counter heap: {} B", counter.heap_bytes());
    counter.inc();
    println!(
        "counter cells after one recording thread: {} B",
        counter.heap_bytes()
    );
    std::thread::scope(|s| {
        s.spawn(|| counter.inc());
    });
    println!(
        "counter cells after two recording threads: {} B",
        counter.heap_bytes()
    );
}
