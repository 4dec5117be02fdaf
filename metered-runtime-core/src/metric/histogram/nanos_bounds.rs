//! A timer's classic bounds in nanoseconds: its classic bucket found from the duration itself.

use super::config::{FAST_BOUNDS, HistogramConfig, count_prefix};
use super::recorder::{EXACT_NANOS, secs};
use once_cell::race::OnceBox;

/// For each of a timer's first [`FAST_BOUNDS`] bounds (in seconds), the first duration in
/// nanoseconds above it: the smallest `ns` with `secs(ns) > bound`, capped at [`EXACT_NANOS`]
/// (`u64::MAX` past the last bound). `secs` (`ns as f64 / 1e9`) never decreases as `ns` grows, so
/// the durations at or below a bound are exactly those below its threshold, and a duration's
/// classic bucket is the number of thresholds at or below it: a count of compares on the
/// duration itself, as exact as comparing its seconds with every bound.
///
/// That takes the classic bucket off the timed call's chain: it no longer waits for the
/// duration's exponential bucket (as the bound keys of [`HistogramConfig`] do), nor compares the
/// seconds with a bound in a bucket that holds one. It costs 96 bytes, on the heap of a timer
/// with bounds from its first record ([`LazyNanosBounds`]). Durations of [`EXACT_NANOS`] and
/// more (104 days) are compared with the bounds in seconds, as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NanosBounds([u64; FAST_BOUNDS]);

impl NanosBounds {
    /// The thresholds of `config`'s bounds, if it has at most [`FAST_BOUNDS`] valid ones
    /// (otherwise unused: every threshold is `u64::MAX`).
    pub(crate) const fn of(config: &HistogramConfig) -> Self {
        let mut out = [u64::MAX; FAST_BOUNDS];
        if let Some(bounds) = config.bounds
            && config.fast_bounds()
        {
            let mut i = 0;
            while i < bounds.len() {
                out[i] = first_nanos_above(bounds[i]);
                i += 1;
            }
        }
        NanosBounds(out)
    }

    /// The classic bucket of `ns` (below [`EXACT_NANOS`]) for a config with
    /// [`fast_bounds`](HistogramConfig::fast_bounds): the count of thresholds at or below it
    /// ([`count_prefix`], as the bound keys are counted).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "on a timer's record path: measured")]
    pub(super) fn classic_index(&self, ns: u64) -> usize {
        count_prefix(&self.0, |t| t <= ns)
    }
}

/// A timer's [`NanosBounds`], computed on its first record with classic bounds: a pointer in the
/// timer (8 bytes, where the thresholds inline took 96 in every timer, with bounds or not), and
/// 96 bytes on the heap once it records with bounds. On the record path the pointer's load does
/// not depend on the duration, so it runs beside the duration's conversion rather than adding a
/// dependent step to the timed call's chain (A/B runs measured no change beyond the noise).
#[derive(Debug)]
pub(crate) struct LazyNanosBounds(OnceBox<NanosBounds>);

impl LazyNanosBounds {
    /// Not computed yet (const: a timer can be a `static`).
    pub(crate) const fn new() -> Self {
        LazyNanosBounds(OnceBox::new())
    }

    /// The thresholds of `config` (the timer's own configuration), computed on the first call.
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "on a timer's record path: measured")]
    pub(super) fn get(&self, config: &HistogramConfig) -> &NanosBounds {
        match self.0.get() {
            Some(b) => b,
            None => self.init(config),
        }
    }

    #[cold]
    #[inline(never)]
    fn init(&self, config: &HistogramConfig) -> &NanosBounds {
        self.0.get_or_init(|| Box::new(NanosBounds::of(config)))
    }

    /// Heap bytes held: 96 once computed, 0 before.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.0.get().map_or(0, std::mem::size_of_val)
    }
}

/// The smallest `ns` in `0..EXACT_NANOS` with `secs(ns) > bound`, or [`EXACT_NANOS`] if none
/// is. `secs` never decreases, so this is a binary search; it starts in a window of
/// [`WINDOW`] nanoseconds either side of `bound * 1e9`, and searches the whole range only if
/// the answer is not in that window. The guess is off by a few nanoseconds at most: the product
/// and the truncation are each within 1 ns below 2^53 ns, and the `f64` seconds next to a bound
/// are at most 2 ns apart there (the test finds every answer within 2 ns of the guess). So a
/// timer's first record with bounds divides 7 times per bound, not 53.
const fn first_nanos_above(bound: f64) -> u64 {
    match window(bound) {
        Some((lo, hi)) => search(lo, hi, bound),
        None => search(0, EXACT_NANOS, bound),
    }
}

/// The [`WINDOW`] around `bound * 1e9`, if it holds [`first_nanos_above`]'s answer: the
/// predicate is false just below it and true at its end.
const fn window(bound: f64) -> Option<(u64, u64)> {
    // Saturating: negative bounds give 0, bounds past 2^53 ns give `EXACT_NANOS`.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a saturating float-to-int cast, clamped below"
    )]
    let guess = (bound * 1e9) as u64;
    let guess = if guess > EXACT_NANOS {
        EXACT_NANOS
    } else {
        guess
    };
    let lo = guess.saturating_sub(WINDOW);
    let hi = if guess + WINDOW > EXACT_NANOS {
        EXACT_NANOS
    } else {
        guess + WINDOW
    };
    if (lo == 0 || !above(lo - 1, bound)) && above(hi, bound) {
        Some((lo, hi))
    } else {
        None
    }
}

/// Whether `ns` is at or past the answer of [`first_nanos_above`]: above `bound` in seconds, or
/// at the end of the range.
const fn above(ns: u64, bound: f64) -> bool {
    ns >= EXACT_NANOS || secs(ns) > bound
}

/// Half the width of [`first_nanos_above`]'s first window, in nanoseconds.
const WINDOW: u64 = 16;

/// The smallest `ns` in `lo..hi` with `secs(ns) > bound`, or `hi` if none is.
const fn search(mut lo: u64, mut hi: u64, bound: f64) -> u64 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if secs(mid) > bound {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_split_the_durations_at_each_bound() {
        for &b in &[
            -1.0, -0.0, 0.0, 1e-12, 1e-9, 1.5e-9, 0.005, 0.1, 1.0, 2.5, 1e7, 1e9,
        ] {
            let t = first_nanos_above(b);
            if t > 0 {
                assert!(secs(t - 1) <= b, "{b}: {} ns", t - 1);
            }
            if t < EXACT_NANOS {
                assert!(secs(t) > b, "{b}: {t} ns");
            }
        }
        assert_eq!(first_nanos_above(-1.0), 0);
        assert_eq!(first_nanos_above(0.0), 1);
        assert_eq!(first_nanos_above(1.0), 1_000_000_001);
        assert_eq!(first_nanos_above(1e9), EXACT_NANOS);
    }

    /// The first window holds the answer, and the search in it gives what a search of the whole
    /// range gives, for bounds at every scale (and their neighbouring `f64`s), at the
    /// thresholds' own seconds, and outside the range.
    #[test]
    fn the_first_window_finds_what_the_whole_range_does() {
        let mut bounds = vec![
            f64::MIN,
            -1e-300,
            0.0,
            f64::MIN_POSITIVE,
            1e-10,
            secs(EXACT_NANOS - 1),
            secs(EXACT_NANOS),
            1e300,
            f64::MAX,
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Durations from 1 ns to 2^63 ns, as seconds, and random seconds from 1e-12 to 1e8.
            let ns = x >> (x % 64);
            bounds.push(secs(ns));
            #[allow(clippy::cast_precision_loss, reason = "a random exponent")]
            let e = (x % 2001) as f64 / 100.0 - 12.0;
            bounds.push(10f64.powf(e));
        }
        let near: Vec<f64> = bounds
            .iter()
            .flat_map(|&b| {
                [
                    f64::from_bits(b.to_bits().wrapping_sub(1)),
                    b,
                    f64::from_bits(b.to_bits().wrapping_add(1)),
                ]
            })
            .filter(|b| b.is_finite())
            .collect();
        for b in near {
            assert!(window(b).is_some(), "bound {b:e}: not in the first window");
            assert_eq!(
                first_nanos_above(b),
                search(0, EXACT_NANOS, b),
                "bound {b:e}"
            );
        }
    }

    #[test]
    fn classic_index_is_the_count_of_bounds_below_the_seconds() {
        static SETS: &[&[f64]] = &[
            &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
            &[1e-9, 2e-9, 3e-9],
            &[-1.0, -0.0, 1e-13, 1.0, 1.001, 1.002, 1.0025, 1e20],
            &[
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 1e8,
            ],
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for bounds in SETS {
            let config = HistogramConfig::new().bounds(bounds);
            let nb = NanosBounds::of(&config);
            let mut durations = vec![0, 1, 2, 3, 4, EXACT_NANOS - 1];
            for &b in *bounds {
                let t = first_nanos_above(b);
                durations.extend([t.saturating_sub(1), t, t + 1].map(|d| d.min(EXACT_NANOS - 1)));
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                durations.push((x >> (x % 64)) % EXACT_NANOS);
            }
            for ns in durations {
                let v = secs(ns);
                assert_eq!(
                    nb.classic_index(ns),
                    bounds.partition_point(|&b| b < v),
                    "{ns} ns among {bounds:?}"
                );
            }
        }
    }
}
