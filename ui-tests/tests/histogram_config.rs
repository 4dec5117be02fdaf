//! `buckets`, `window` and `cumulative` given to the macros reach the runtime: exact classic
//! buckets at the configured bounds (a timer's in seconds), in a derive, a set and per
//! instantiation.

use metered_runtime::snapshot::Value;
use metered_runtime::{HasMetrics, Metered, metric_set, registry};
use std::time::Duration;

/// The cumulative counts of 0.5, 2, 2, 10 and 400 at the bounds 1, 3, 7, 14, 30, 90, 365.
const EXPECTED: [(f64, u64); 8] = [
    (1.0, 1),
    (3.0, 3),
    (7.0, 3),
    (14.0, 4),
    (30.0, 4),
    (90.0, 4),
    (365.0, 4),
    (f64::INFINITY, 5),
];

fn record_days(h: &metered_runtime::Histogram) {
    for v in [0.5, 2.0, 2.0, 10.0, 400.0] {
        h.record(v).unwrap();
    }
}

#[derive(Metered)]
#[metrics(
    age: Histogram = "test.config.{}.age_days" (buckets = [1, 3, 7, 14, 30, 90, 365], window = "1h"),
    latency: Timer = "test.config.{}.latency" (buckets = [0.01, 0.1, 1.0], cumulative),
)]
struct Account;

metric_set! {
    /// Ages of records, in days.
    pub Retention {
        age: Histogram = "test.config.set.{}.age_days" (buckets = [1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0]),
    }
}

#[derive(Metered)]
#[metrics(set = Retention)]
struct Orders;

#[derive(Metered)]
#[metrics(per_instantiation, age: Histogram = "test.config.per.{}.age_days" (buckets = [1, 3, 7, 14, 30, 90, 365]))]
struct Store<T>(T);

#[test]
fn derive_buckets_are_exact_cumulative_counts() {
    record_days(Account::age());
    assert_eq!(Account::age().snapshot().buckets, EXPECTED);
    assert_eq!(
        Account::age().config().quantile_window(),
        Duration::from_hours(1)
    );
    // Through the registry as well.
    let s = registry().snapshot();
    let Value::Histogram(h) = &s.get("test.config.Account.age_days").unwrap().value else {
        panic!("not a histogram");
    };
    assert_eq!(h.buckets, EXPECTED);
}

#[test]
fn timer_bounds_are_in_seconds() {
    let t = Account::latency();
    for ms in [5, 50, 500, 2_000] {
        t.record(Duration::from_millis(ms));
    }
    // A duration equal to a bound counts in that bucket: 100 ms is `<= 0.1`.
    t.record(Duration::from_millis(100));
    assert_eq!(
        t.snapshot().histogram.buckets,
        [(0.01, 1), (0.1, 3), (1.0, 4), (f64::INFINITY, 5)]
    );
    assert_eq!(t.config().quantile_window(), Duration::ZERO);
}

#[test]
fn set_and_per_instantiation_buckets() {
    record_days(&Orders::metric_set().age);
    assert_eq!(Orders.metrics().age.snapshot().buckets, EXPECTED);
    record_days(Store::<u8>::age());
    assert_eq!(Store::<u8>::age().snapshot().buckets, EXPECTED);
    assert!(
        Store::<String>::age()
            .snapshot()
            .buckets
            .iter()
            .all(|&(_, n)| n == 0)
    );
    let _ = Store(0).0;
}
