//! The generated code under the strictest lints a user may set. `cargo clippy --all-targets`
//! checks this file with clippy's pedantic group denied (trybuild does not run clippy).
#![deny(
    warnings,
    clippy::pedantic,
    missing_docs,
    unreachable_pub,
    rust_2018_idioms
)]

use metered_runtime::{HasMetrics, Metered, Point, metered, metric_set};

metric_set! {
    /// The metrics of an endpoint.
    #[metrics(type_label)]
    pub Endpoint {
        /// Time spent handling a request.
        latency: Timer = "lints.{}.latency",
        /// Requests that failed.
        errors: Meter = "lints.{}.errors",
        /// Bytes returned.
        body: Histogram = "lints.{}.body" (unit = "bytes", buckets = [100, 1_000, 86_400.5, 1e6], window = "2h"),
        /// Time spent in the database.
        db: Timer = "lints.{}.db" (buckets = [0.000_5, 0.25], cumulative),
    }
}

/// A handler with a set.
#[derive(Metered, Debug)]
#[metrics(set = Endpoint)]
pub struct Users;

/// A handler with inline metrics.
#[derive(Metered)]
#[metrics(
    hits: Counter = "lints.{}.hits",
    queue: Gauge = "lints.{type_snake}.queue",
    load: FloatGauge = "{module}.{}.load",
    sizes: Histogram = "lints.{}.sizes" (buckets = [1, 10_000_000], window = "86400000ms"),
)]
pub struct Inline;

/// A generic handler with metrics per instantiation.
#[derive(Metered)]
#[metrics(per_instantiation, hits: Counter = "lints.{}.hits")]
pub struct PerType<T>(pub T);

/// A failure.
#[derive(Debug)]
pub struct Failure;

/// A database.
pub struct Db {
    rows: Vec<u32>,
}

#[metered(type_label = "db")]
impl Db {
    /// Gets a row.
    ///
    /// # Errors
    /// [`Failure`] if the row is missing.
    pub fn get(&self, i: usize) -> Result<u32, Failure> {
        let v = self.rows.get(i).ok_or(Failure)?;
        Ok(*v)
    }

    /// Adds a row.
    pub fn push(&mut self, v: u32) {
        self.rows.push(v);
    }

    /// Every row.
    pub fn iter(&self) -> impl Iterator<Item = &u32> + '_ {
        self.rows.iter()
    }

    /// Loads.
    pub async fn load(&self) -> Option<u32> {
        self.rows.first().copied()
    }

    /// Converts the first row.
    #[must_use]
    pub fn first<T: From<u32>>(&self) -> Option<T> {
        self.rows.first().map(|&r| T::from(r))
    }
}

/// A free fn.
#[metered]
#[must_use]
pub fn double(x: u32) -> u32 {
    x * 2
}

/// An event point with every member kind.
#[derive(Point, Debug)]
#[point(series = "lints_requests")]
pub struct Request<'a, T: metered_runtime::push::points::TagValue> {
    /// A tag.
    #[point(tag)]
    pub service: &'a str,
    /// A generic tag.
    #[point(tag, name = "status_code")]
    pub status: T,
    /// An optional tag.
    #[point(tag)]
    pub route: Option<String>,
    /// A field.
    pub execution_time: std::time::Duration,
    /// An optional field.
    pub retries: Option<u32>,
    /// Not in the point.
    #[point(skip)]
    pub scratch: u8,
    /// The event time.
    #[point(timestamp)]
    pub at: Option<u64>,
}

/// A private point (the derive adds no dead-code warning of its own).
#[derive(Point)]
#[point(series = "lints_private")]
struct Private {
    n: i64,
}

#[test]
fn points_under_strict_lints() {
    let r = Request {
        service: "api",
        status: 200_u16,
        route: None,
        execution_time: std::time::Duration::from_millis(5),
        retries: Some(1),
        scratch: 0,
        at: Some(3),
    };
    assert_eq!(r.scratch, 0);
    assert_eq!(
        r.to_point().to_line(std::time::SystemTime::UNIX_EPOCH),
        Some(
            "lints_requests,service=api,status_code=200 execution_time=0.005,retries=1i 3"
                .to_owned()
        )
    );
    assert_eq!(Private::SERIES, "lints_private");
    assert_eq!(Private { n: 1 }.n, 1);
}

#[test]
fn strict_lints_hold() {
    let _t = Users.metrics().latency.time();
    Inline::hits().inc();
    PerType::<u8>::hits().inc();
    let mut db = Db { rows: Vec::new() };
    db.push(1);
    assert_eq!(db.get(0).ok(), Some(1));
    assert_eq!(db.iter().count(), 1);
    drop(db.load());
    assert_eq!(db.first::<u64>(), Some(1));
    assert_eq!(double(2), 4);
    assert_eq!(Inline::metric_names().len(), 4);
    assert_eq!(
        Inline::sizes().config().quantile_window(),
        std::time::Duration::from_hours(24)
    );
    assert_eq!(
        Users::metric_set().db.config().bucket_bounds(),
        Some(&[0.000_5, 0.25][..])
    );
    assert_eq!(Inline::queue().get(), 0);
    assert!(Inline::load().get().abs() < f64::EPSILON);
    assert_eq!(PerType(0_u8).0, 0);
}
