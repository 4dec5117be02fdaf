// `buckets`, `window` and `cumulative` on histograms and timers: inline, in a set, and per
// instantiation. The metrics are `static`s, so the configuration is built in `const`.
#![deny(warnings, clippy::pedantic)]

use metered_runtime::{HasMetrics, Metered, metric_set};
use std::time::Duration;

#[derive(Metered)]
#[metrics(
    age_days: Histogram = "pass.config.{}.age_days" (buckets = [1, 3, 7, 14, 30, 90, 365]),
    sizes: Histogram = "pass.config.{}.sizes" (unit = "bytes", buckets = [0.5, 1e3, 1_000_000.0], window = "5m"),
    latency: Timer = "pass.config.{}.latency" (buckets = [0.005, 0.05, 0.5], cumulative),
    short: Timer = "pass.config.{}.short" (window = "250ms"),
    long: Histogram = "pass.config.{}.long" (window = "2h"),
    hits: Counter = "pass.config.{}.hits",
)]
struct Inline;

metric_set! {
    pub Endpoint {
        latency: Timer = "pass.config.set.{}.latency" (buckets = [0.1, 1.0], window = "30s"),
    }
}

#[derive(Metered)]
#[metrics(set = Endpoint)]
struct Applied;

#[derive(Metered)]
#[metrics(per_instantiation, sizes: Histogram = "pass.config.{}.sizes" (buckets = [10.0, 100.0], cumulative))]
struct PerType<T>(T);

fn main() {
    let c = Inline::age_days().config();
    assert_eq!(c.bucket_bounds(), Some(&[1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0][..]));
    assert!(c.validate().is_ok());
    assert_eq!(
        Inline::sizes().config().bucket_bounds(),
        Some(&[0.5, 1e3, 1e6][..])
    );
    assert_eq!(
        Inline::sizes().config().quantile_window(),
        Duration::from_secs(300)
    );
    assert_eq!(Inline::latency().config().quantile_window(), Duration::ZERO);
    assert_eq!(
        Inline::short().config().quantile_window(),
        Duration::from_millis(250)
    );
    assert_eq!(
        Inline::long().config().quantile_window(),
        Duration::from_secs(7200)
    );
    Inline::hits().inc();

    let set = Applied::metric_set();
    assert_eq!(set.latency.config().bucket_bounds(), Some(&[0.1, 1.0][..]));
    assert_eq!(set.latency.config().quantile_window(), Duration::from_secs(30));

    let h = PerType::<u8>::sizes();
    assert_eq!(h.config().bucket_bounds(), Some(&[10.0, 100.0][..]));
    assert_eq!(h.config().quantile_window(), Duration::ZERO);
    let _ = PerType(0).0;
}
