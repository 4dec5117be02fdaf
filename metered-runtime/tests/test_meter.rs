//! The meter against a direct model of Dropwizard's `Meter` (which ticks inside `mark`), and the
#![allow(
    clippy::float_cmp,
    reason = "exact equality is the first, cheapest check"
)]
//! registry's overlap rule against brute force.

use metered_runtime::{ManualClock, Meter, Registry};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

const TICK: u64 = 5_000_000_000;

/// Dropwizard's algorithm written out plainly: `mark` and reads both call `tick_if_necessary`.
struct Reference {
    last_tick: u64,
    uncounted: u64,
    rates: [(f64, bool, f64); 3], // (rate, initialized, alpha)
}

impl Reference {
    fn new() -> Self {
        let alpha = |m: f64| 1.0 - (-5.0 / 60.0 / m).exp();
        Reference {
            last_tick: 0,
            uncounted: 0,
            rates: [
                (0.0, false, alpha(1.0)),
                (0.0, false, alpha(5.0)),
                (0.0, false, alpha(15.0)),
            ],
        }
    }
    fn tick_if_necessary(&mut self, now: u64) {
        let age = now - self.last_tick;
        if age > TICK {
            self.last_tick = now - age % TICK;
            let required = age / TICK;
            if required >= 9231 {
                for r in &mut self.rates {
                    r.0 = 0.0;
                }
                self.uncounted = 0;
                return;
            }
            for _ in 0..required {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "test event counts are far below 2^53"
                )]
                let instant = self.uncounted as f64 / 5.0;
                self.uncounted = 0;
                for r in &mut self.rates {
                    if r.1 {
                        r.0 += r.2 * (instant - r.0);
                    } else {
                        r.0 = instant;
                        r.1 = true;
                    }
                }
            }
        }
    }
    fn mark(&mut self, now: u64, n: u64) {
        self.tick_if_necessary(now);
        self.uncounted += n;
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || ((a - b) / b.abs().max(f64::MIN_POSITIVE)).abs() <= 1e-9
}

proptest! {
    /// Read at least once per mark (as an exporter scraping every tick does): the rates are
    /// Dropwizard's exactly.
    #[test]
    fn matches_dropwizard_when_read_between_marks(steps in prop::collection::vec((0u64..40_000_000_000, 0u64..1000), 1..60)) {
        let clock = Arc::new(ManualClock::new());
        let meter = Meter::with_clock(clock.clone());
        let mut reference = Reference::new();
        let mut now = 0;
        for (dt, n) in steps {
            now += dt;
            clock.advance(Duration::from_nanos(dt));
            let _ = meter.snapshot();
            meter.mark_n(n);
            reference.mark(now, n);
        }
        now += 7_000_000_000;
        clock.advance(Duration::from_secs(7));
        reference.tick_if_necessary(now);
        let s = meter.snapshot();
        for (got, want) in [s.m1, s.m5, s.m15].into_iter().zip(reference.rates.iter().map(|r| r.0)) {
            prop_assert!(close(got, want), "got {got}, want {want}");
        }
    }

    /// Two names conflict exactly when one is a dotted prefix of the other.
    #[test]
    fn overlap_rule_matches_brute_force(names in prop::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,2}", 1..12)) {
        let r = Registry::new();
        let mut accepted: Vec<String> = Vec::new();
        for n in names {
            let conflict = accepted.iter().any(|a| a != &n && (a.starts_with(&format!("{n}.")) || n.starts_with(&format!("{a}."))));
            let result = r.counter(&n);
            prop_assert_eq!(result.is_err(), conflict, "{} against {:?}", n, accepted);
            if !conflict && !accepted.contains(&n) {
                accepted.push(n);
            }
        }
        accepted.sort();
        prop_assert_eq!(r.names(), accepted);
    }
}
