//! Whole rendered responses kept for a configurable time: for a service whose scrapes are
//! frequent (several scrapers, dashboards polling) and whose registry is large or whose
//! collectors are expensive, so that a burst of scrapes costs one render.

use super::model::Options;
use super::render::{Format, Rendered, Source, accepts_gzip, negotiate, render_with};
use crate::clock::{Clock, SystemClock};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One response kept: what it answers (format, compression, options) and when it was made.
#[derive(Debug)]
struct Kept {
    format: Format,
    gzip: bool,
    opts: Options,
    at: u64,
    rendered: Arc<Rendered>,
}

/// Rendered responses reused for `ttl`, one per negotiated format, compression and
/// [`Options`]: within `ttl` of a render, a request that negotiates the same answer gets the
/// same body (the same `Arc`) without reading the registry. Concurrent requests for an answer
/// that has expired wait for one render.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// # #[cfg(feature = "prometheus")] {
/// use metered_runtime::{ManualClock, Registry, export::{Options, cache::ResponseCache}};
/// use std::{sync::Arc, time::Duration};
/// let clock = Arc::new(ManualClock::new());
/// let cache = ResponseCache::with_clock(Duration::from_secs(5), clock.clone());
/// let r = Registry::new();
/// let jobs = r.counter("jobs.done").unwrap();
/// jobs.add(2);
/// let first = cache.render(&r, &Options::new(), None, None);
/// jobs.add(1);
/// // Within 5 s: the same response.
/// let again = cache.render(&r, &Options::new(), None, None);
/// assert!(Arc::ptr_eq(&first, &again));
/// clock.advance(Duration::from_secs(5));
/// let fresh = cache.render(&r, &Options::new(), None, None);
/// assert!(String::from_utf8_lossy(&fresh.body).contains("\njobs_done_total 3\n"));
/// # }
/// ```
#[derive(Debug)]
pub struct ResponseCache {
    ttl_nanos: u64,
    clock: Arc<dyn Clock>,
    kept: Mutex<Vec<Kept>>,
}

impl ResponseCache {
    /// Responses reused for `ttl` on the system clock (`Duration::ZERO`: never reused).
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        SystemClock::start();
        Self::with_clock(ttl, Arc::new(SystemClock))
    }

    /// Responses reused for `ttl` on `clock` (a [`ManualClock`](crate::ManualClock) in tests).
    #[must_use]
    pub fn with_clock(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        ResponseCache {
            ttl_nanos: u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX),
            clock,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// How long a response is reused.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        Duration::from_nanos(self.ttl_nanos)
    }

    /// The response [`render_with`] gives for these request headers: the one kept for the same
    /// format, compression and `opts` if it is younger than the time to live, or rendered now
    /// (and kept).
    pub fn render(
        &self,
        source: impl Source,
        opts: &Options,
        accept: Option<&str>,
        accept_encoding: Option<&str>,
    ) -> Arc<Rendered> {
        let format = negotiate(accept);
        let gzip = cfg!(feature = "gzip") && accepts_gzip(accept_encoding);
        let same = |k: &Kept| k.format == format && k.gzip == gzip && k.opts == *opts;
        // Held while rendering: concurrent requests for the same answer wait for this one.
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_nanos();
        if let Some(k) = kept
            .iter()
            .find(|k| same(k) && now.saturating_sub(k.at) < self.ttl_nanos)
        {
            return Arc::clone(&k.rendered);
        }
        let rendered = Arc::new(render_with(source, opts, accept, accept_encoding));
        kept.retain(|k| !same(k));
        kept.push(Kept {
            format,
            gzip,
            opts: *opts,
            at: now,
            rendered: Arc::clone(&rendered),
        });
        rendered
    }
}

#[cfg(all(test, feature = "prometheus", feature = "openmetrics"))]
mod tests {
    use super::*;
    use crate::{ManualClock, Registry};

    fn body(r: &Rendered) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[test]
    fn kept_per_format_options_and_time() {
        let clock = Arc::new(ManualClock::new());
        let cache = ResponseCache::with_clock(Duration::from_secs(10), clock.clone());
        assert_eq!(cache.ttl(), Duration::from_secs(10));
        let r = Registry::new();
        let c = r.counter("jobs.done").unwrap();
        c.add(1);
        let om = Some("application/openmetrics-text");
        let text = cache.render(&r, &Options::new(), None, None);
        let open = cache.render(&r, &Options::new(), om, None);
        assert_eq!(text.format, Format::Prometheus);
        assert_eq!(open.format, Format::OpenMetrics);
        c.add(1);
        clock.advance(Duration::from_secs(9));
        // Each answer kept apart, still young: the values of the first render.
        assert!(Arc::ptr_eq(
            &text,
            &cache.render(&r, &Options::new(), None, None)
        ));
        assert!(Arc::ptr_eq(
            &open,
            &cache.render(&r, &Options::new(), om, None)
        ));
        assert!(body(&open).contains("\njobs_done_total 1\n"));
        // Other options are another answer.
        let rates = cache.render(&r, &Options::new().meter_rates(true), None, None);
        assert!(body(&rates).contains("\njobs_done_total 2\n"));
        clock.advance(Duration::from_secs(1));
        let fresh = cache.render(&r, &Options::new(), None, None);
        assert!(!Arc::ptr_eq(&text, &fresh));
        assert!(body(&fresh).contains("\njobs_done_total 2\n"));
        // A zero time to live reuses nothing.
        let never = ResponseCache::with_clock(Duration::ZERO, clock);
        let a = never.render(&r, &Options::new(), None, None);
        assert!(!Arc::ptr_eq(
            &a,
            &never.render(&r, &Options::new(), None, None)
        ));
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn compressed_and_plain_are_kept_apart() {
        let cache = ResponseCache::new(Duration::from_mins(1));
        let r = Registry::new();
        r.counter("jobs.done").unwrap().inc();
        let plain = cache.render(&r, &Options::new(), None, None);
        let zipped = cache.render(&r, &Options::new(), None, Some("gzip"));
        assert_eq!(plain.content_encoding, None);
        assert_eq!(zipped.content_encoding, Some("gzip"));
        assert!(Arc::ptr_eq(
            &zipped,
            &cache.render(&r, &Options::new(), None, Some("gzip, br"))
        ));
    }
}
