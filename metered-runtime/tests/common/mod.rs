//! Helpers shared by the histogram and timer tests.
#![allow(dead_code, reason = "each test file uses a part")]

use metered_runtime::{Histogram, HistogramConfig};

/// splitmix64: a tiny deterministic generator for test data.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    #[allow(
        clippy::cast_precision_loss,
        reason = "53 random bits convert to f64 exactly"
    )]
    pub fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// The exact nearest-rank quantile: the smallest v with at least ceil(q*n) values <= v.
pub fn exact(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len() as u64;
    let rank = metered_runtime::metric::histogram::nearest_rank(q, n);
    sorted[usize::try_from(rank).unwrap() - 1]
}

pub fn cumulative() -> Histogram {
    Histogram::with_config(HistogramConfig::new().cumulative())
}
