//! Prints the memory figures quoted in the README's "Performance" section. It asserts nothing.
//!
//! `cargo run --release -p metered-runtime --example memory`

use metered_runtime::{Counter, Timer};
use std::time::Duration;

/// 100 000 durations from 10 µs to 100 ms, log-uniform (a fixed pseudo-random sequence).
fn spread(timer: &Timer) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        #[allow(clippy::cast_precision_loss)] // a uniform draw in [0, 1)
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1e4..1e8
        let ns = (1e4 * (unit * 1e4f64.ln()).exp()) as u64;
        timer.record(Duration::from_nanos(ns));
    }
}

fn main() {
    println!(
        "CPUs available: {}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let timer = Timer::new();
    println!("size_of::<Timer>(): {} B", std::mem::size_of::<Timer>());
    println!("idle timer heap: {} B", timer.heap_bytes());
    spread(&timer);
    let one = timer.heap_bytes();
    println!("active timer heap, one thread recorded 10 us..100 ms: {one} B");
    std::thread::scope(|s| {
        s.spawn(|| spread(&timer));
    });
    let two = timer.heap_bytes();
    println!(
        "  + a second thread recording the same spread: +{} B (total {two} B)",
        two - one
    );
    std::thread::scope(|s| {
        s.spawn(|| timer.record(Duration::from_micros(50)));
    });
    println!(
        "  + a third thread recording one 50 us duration: +{} B",
        timer.heap_bytes() - two
    );

    let counter = Counter::new();
    println!("size_of::<Counter>(): {} B", std::mem::size_of::<Counter>());
    println!("idle counter heap: {} B", counter.heap_bytes());
    counter.inc();
    let one = counter.heap_bytes();
    println!("counter heap after one recording thread: {one} B");
    std::thread::scope(|s| {
        s.spawn(|| counter.inc());
    });
    let two = counter.heap_bytes();
    println!(
        "counter heap after two recording threads: {two} B (+{} B)",
        two - one
    );
}
