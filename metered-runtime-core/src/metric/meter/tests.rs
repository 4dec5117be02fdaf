//! Unit tests of the parent module.
#![allow(clippy::float_cmp, reason = "the expected values are exact")]

use super::*;
use crate::clock::ManualClock;
use std::time::Duration;

fn close(a: f64, b: f64) -> bool {
    if b == 0.0 {
        a == 0.0
    } else {
        ((a - b) / b).abs() <= 1e-9
    }
}

fn meter() -> (Arc<ManualClock>, Meter) {
    let clock = Arc::new(ManualClock::new());
    let m = Meter::with_clock(clock.clone());
    (clock, m)
}

#[test]
fn alphas_match_formula() {
    assert!(close(M1_ALPHA, alpha(1.0)));
    assert!(close(M5_ALPHA, alpha(5.0)));
    assert!(close(M15_ALPHA, alpha(15.0)));
}

#[test]
fn max_ticks_is_dropwizards() {
    assert_eq!(max_ticks(), 9231);
}

#[test]
fn first_tick_initialises_then_decays_per_minute() {
    let (clock, m) = meter();
    m.mark_n(3);
    clock.advance(Duration::from_nanos(TICK_NANOS + 1));
    let s = m.snapshot();
    assert!(
        close(s.m1, 0.6) && close(s.m5, 0.6) && close(s.m15, 0.6),
        "{s:?}"
    );
    for k in 1..=10u32 {
        clock.advance(Duration::from_mins(1));
        let s = m.snapshot();
        let k = f64::from(k);
        assert!(close(s.m1, 0.6 * (-k).exp()), "k={k} m1={}", s.m1);
        assert!(close(s.m5, 0.6 * (-k / 5.0).exp()), "k={k} m5={}", s.m5);
        assert!(close(s.m15, 0.6 * (-k / 15.0).exp()), "k={k} m15={}", s.m15);
    }
}

#[test]
fn no_tick_at_exactly_five_seconds() {
    let (clock, m) = meter();
    m.mark();
    clock.advance(Duration::from_secs(5));
    assert_eq!(m.snapshot().m1, 0.0);
    clock.advance(Duration::from_nanos(1));
    assert!(close(m.snapshot().m1, 0.2));
}

#[test]
fn first_tick_with_zero_events_initialises_to_zero() {
    let (clock, m) = meter();
    clock.advance(Duration::from_secs(6));
    assert_eq!(m.snapshot().m1, 0.0);
    m.mark_n(5);
    clock.advance(Duration::from_secs(5));
    // Second tick: 0 + alpha * (1/s - 0).
    assert!(close(m.snapshot().m1, M1_ALPHA * 1.0));
}

#[test]
fn catch_up_is_aligned_to_the_grid() {
    let (clock, m) = meter();
    m.mark_n(10);
    clock.advance(Duration::from_millis(12_500)); // 2 ticks due, next boundary at 15 s
    let after_two = m.snapshot().m1;
    assert!(close(after_two, 2.0 * (1.0 - M1_ALPHA)));
    clock.advance(Duration::from_millis(2_600)); // 15.1 s: a third tick is due
    assert!(close(m.snapshot().m1, 2.0 * (1.0 - M1_ALPHA).powi(2)));
}

#[test]
fn long_idle_gap_resets() {
    let (clock, m) = meter();
    m.mark_n(100);
    clock.advance(Duration::from_secs(6));
    assert!(m.snapshot().m15 > 0.0);
    clock.advance(Duration::from_nanos(TICK_NANOS * 9231));
    let s = m.snapshot();
    assert_eq!((s.m1, s.m5, s.m15), (0.0, 0.0, 0.0));
    // One tick fewer decays instead of resetting.
    let (clock, m) = meter();
    m.mark_n(100);
    clock.advance(Duration::from_secs(6));
    assert!(close(m.snapshot().m15, 20.0));
    clock.advance(Duration::from_nanos(TICK_NANOS * 9230));
    let s = m.snapshot();
    let expected = 20.0 * (1.0 - M15_ALPHA).powi(9230);
    assert!(
        s.m15 > 0.0 && close(s.m15, expected),
        "{} vs {expected}",
        s.m15
    );
}

#[test]
fn ticks_cover_half_open_intervals_ending_on_the_grid() {
    assert_eq!(tick_of(0), 0);
    assert_eq!(tick_of(TICK_NANOS), 0);
    assert_eq!(tick_of(TICK_NANOS + 1), 1);
    assert_eq!(tick_of(2 * TICK_NANOS), 1);
    assert_eq!(tick_of(2 * TICK_NANOS + 1), 2);
}

#[test]
fn every_event_counts_in_its_own_tick_however_late_the_read() {
    let (clock, m) = meter();
    // 10, 20 and 30 events in the first three ticks, read only after a minute.
    for n in [10, 20, 30] {
        m.mark_n(n);
        clock.advance(Duration::from_secs(5));
        clock.advance(Duration::from_nanos(1));
    }
    clock.advance(Duration::from_secs(45));
    let s = m.snapshot();
    // Ticks done: 12 (0 to 11); instants 2, 4, 6, then zeros.
    let (a, b) = (M1_ALPHA, 1.0 - M1_ALPHA);
    let want = ((2.0 * b + a * 4.0) * b + a * 6.0) * b.powi(9);
    assert!(close(s.m1, want), "{} vs {want}", s.m1);
    assert_eq!(s.count, 60);
}

#[test]
fn shards_of_several_threads_add_up_in_their_ticks() {
    let (clock, m) = meter();
    std::thread::scope(|s| {
        s.spawn(|| m.mark_n(5));
    });
    m.mark_n(5);
    clock.advance(Duration::from_secs(6));
    std::thread::scope(|s| {
        s.spawn(|| m.mark_n(10));
    });
    clock.advance(Duration::from_secs(5));
    // First tick: 10 events -> 2/s; second: 10 events -> 2/s.
    let s = m.snapshot();
    assert!(close(s.m1, 2.0) && close(s.m15, 2.0), "{s:?}");
    assert_eq!(s.count, 20);
}

#[test]
fn a_reset_before_the_first_tick_lets_the_next_tick_initialise() {
    // Dropwizard: marks in tick 0, then the first operation comes 9231 ticks later: the
    // averages are reset without being initialised, so the tick after the gap sets them.
    let (clock, m) = meter();
    m.mark_n(100);
    clock.advance(Duration::from_nanos(TICK_NANOS * 9231 + 1));
    m.mark_n(25);
    clock.advance(Duration::from_secs(5));
    let s = m.snapshot();
    assert!(
        close(s.m1, 5.0) && close(s.m5, 5.0) && close(s.m15, 5.0),
        "{s:?}"
    );
    assert_eq!(s.count, 125);
}

#[test]
fn meter_shards_take_one_cache_line() {
    assert_eq!(std::mem::size_of::<TickShard>(), 64);
    let m = Meter::new();
    assert_eq!(m.heap_bytes(), 0);
    m.mark();
    assert_eq!(m.count(), 1);
    assert!(m.heap_bytes() > 0);
}

#[test]
fn mean_rate_is_count_over_elapsed() {
    let (clock, m) = meter();
    assert_eq!(m.snapshot().mean_rate, 0.0);
    m.mark_n(30);
    clock.advance(Duration::from_secs(10));
    assert!(close(m.snapshot().mean_rate, 3.0));
}
