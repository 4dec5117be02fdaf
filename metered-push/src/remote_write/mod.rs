//! The Prometheus remote write 1.0 sink: every report as `WriteRequest` protobuf, snappy
//! block compressed, `POST`ed to a receiver (Prometheus with
//! `--web.enable-remote-write-receiver`, Grafana Mimir, Thanos Receive, Cortex,
//! VictoriaMetrics' `/api/v1/write`).
//!
//! # What is sent
//! Each report carries the registry's **cumulative** values at the report's time (remote
//! write receivers store counters as running totals, as a scrape would give them), as the
//! series [`export::remote_write`](metered_runtime_core::export::remote_write) lists: named and
//! labelled exactly as the Prometheus text exposition 0.0.4 names them (one mapping, shared
//! with the `/metrics` endpoint), labels sorted by name with `__name__` among them, each name
//! once, plus the [external labels](Config::external_label) (`job`, `instance`, ...) a series
//! does not have itself. Every series has one sample per report, timestamped with the report's
//! time in milliseconds, so the samples of a series come in timestamp order, request after
//! request.
//!
//! Histograms and timers are sent as classic histograms (`_bucket{le}`, `_sum`, `_count`) by
//! default, which every receiver stores; [`Histograms::Native`] sends them as native
//! histograms instead (our exponential buckets as they are: schema 6, the zero bucket, spans
//! and deltas, through the shared conversion
//! [`export::native`](metered_runtime_core::export::native)), which Prometheus stores when started with `--enable-feature=native-histograms`
//! and Mimir stores when native histograms are enabled for the tenant; VictoriaMetrics 1.79
//! answers 204 and drops them, and Prometheus 2.42 without the feature answers 500 ("native
//! histograms are disabled") and stores nothing of the request, which then stays in the
//! buffer and is retried as every 5xx is. Classic is the default because a native histogram
//! sent to a receiver that does not take it is lost (silently) or holds up the queue.
//!
//! A report becomes one request per [`max_samples_per_request`](RemoteWriteSink::max_samples_per_request)
//! samples (2,000 by default; a native histogram counts as one).
//!
//! # Delivery
//! As Prometheus' own remote write queue does it, on the [`Reporter`](crate::Reporter)'s
//! machinery (its bounded buffer, backoff and counters):
//! - a 2xx answer is a success, and the request is never sent again;
//! - a 5xx or 429 answer, a timeout or a refused connection is retried with the reporter's
//!   backoff, the request kept in the reporter's bounded [buffer](crate::ReporterBuilder::buffer);
//!   when the buffer is full the oldest request is dropped and counted in
//!   [`Stats::dropped`](crate::Stats::dropped);
//! - any other answer (a 400 for out-of-order samples, for which the receiver drops the whole
//!   request; a 401) cannot succeed on a retry: the request is dropped, counted (one failure,
//!   one dropped) and the receiver's message logged.
//!
//! HTTPS needs the `tls` feature. Authentication: [`basic_auth`](RemoteWriteSink::basic_auth)
//! or [`bearer_token`](RemoteWriteSink::bearer_token), and any other header (a tenant's
//! `X-Scope-OrgID` for Mimir) with [`header`](RemoteWriteSink::header).
//!
//! ```no_run
//! use metered_push::Reporter;
//! use metered_push::remote_write::{Config, Histograms, RemoteWriteSink};
//! use std::time::Duration;
//! let config = Config::new()
//!     .external_label("job", "checkout")?
//!     .external_label("instance", "10.0.0.7:8080")?
//!     .histograms(Histograms::Native);
//! let sink = RemoteWriteSink::new("https://mimir.example.com/api/v1/push")?
//!     .basic_auth("tenant-1", "secret")
//!     .config(config);
//! let _reporter = Reporter::builder(metered_runtime_core::registry(), sink)
//!     .interval(Duration::from_secs(15))
//!     .start()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod proto;
mod wire;

use crate::delta::Report;
use crate::http::agent;
use crate::{Encoded, SendError, Sink};
use metered_runtime_core::Snapshot;
use metered_runtime_core::export::remote_write::{Point, visit};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use metered_runtime_core::export::remote_write::{Config, Histograms};

/// The `Content-Type` of a remote write 1.0 request.
pub const CONTENT_TYPE: &str = "application/x-protobuf";
/// The protocol version header's value for remote write 1.0.
pub const VERSION: &str = "0.1.0";

/// Sends reports to a remote write 1.0 receiver over HTTP with a blocking client (`ureq`) on
/// the reporter thread. See the [module docs](self).
pub struct RemoteWriteSink {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    config: Config,
    max_samples: usize,
}

impl std::fmt::Debug for RemoteWriteSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteSink")
            .field("url", &self.url)
            .field("config", &self.config)
            .field("max_samples", &self.max_samples)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch (0 before it).
fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl RemoteWriteSink {
    /// A sink posting to the receiver's write URL, e.g.
    /// `http://127.0.0.1:9090/api/v1/write` (Prometheus, VictoriaMetrics),
    /// `https://mimir/api/v1/push` (Mimir, Cortex) or `http://thanos-receive:19291/api/v1/receive`.
    ///
    /// ```
    /// use metered_push::remote_write::RemoteWriteSink;
    /// let sink = RemoteWriteSink::new("http://127.0.0.1:9090/api/v1/write")?;
    /// assert_eq!(sink.url(), "http://127.0.0.1:9090/api/v1/write");
    /// assert!(RemoteWriteSink::new("127.0.0.1:9090").is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// If `url` does not start with `http://` (or `https://` with the `tls` feature).
    pub fn new(url: &str) -> std::io::Result<Self> {
        let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(format!(
                "remote write URL {url:?} does not start with http:// or https://"
            )));
        }
        if url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(invalid(format!(
                "remote write URL {url:?} is HTTPS: enable the `tls` feature"
            )));
        }
        Ok(RemoteWriteSink {
            agent: agent(Duration::from_secs(10)),
            url: url.to_owned(),
            headers: Vec::new(),
            config: Config::new(),
            max_samples: 2000,
        })
    }

    /// Sends `Authorization: Basic base64(user:password)` with every request.
    ///
    /// ```
    /// use metered_push::remote_write::RemoteWriteSink;
    /// let sink = RemoteWriteSink::new("http://h:9090/api/v1/write")?.basic_auth("Aladdin", "open sesame");
    /// assert_eq!(sink.headers()[0], ("Authorization".to_owned(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".to_owned()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let value = metered_runtime_core::auth::basic_authorization(user, password);
        self.header("Authorization", &value)
    }

    /// Sends `Authorization: Bearer TOKEN` with every request.
    #[must_use]
    pub fn bearer_token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// Sends the header `name: value` with every request (e.g. `X-Scope-OrgID` for a Mimir
    /// or Cortex tenant), replacing an earlier one of the same name.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The longest a request may take, connecting included (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.agent = agent(timeout);
        self
    }

    /// What to send: external labels, classic or native histograms, exposition options.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The most samples (and native histograms) one request carries (default 2,000; at least
    /// 1). A report with more is split into several requests, a series never split.
    #[must_use]
    pub fn max_samples_per_request(mut self, n: usize) -> Self {
        self.max_samples = n.max(1);
        self
    }

    /// The write URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The extra headers sent with every request (authentication among them).
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The series of `snapshot` at `time`, as the `WriteRequest`s this sink sends (before
    /// compression), each with at most [`max_samples_per_request`](Self::max_samples_per_request)
    /// samples.
    ///
    /// ```
    /// use metered_push::remote_write::RemoteWriteSink;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let r = metered_runtime_core::Registry::new();
    /// r.counter("jobs.done")?.add(3);
    /// let sink = RemoteWriteSink::new("http://h:9090/api/v1/write")?;
    /// let requests = sink.requests(&r.snapshot(), UNIX_EPOCH + Duration::from_secs(2));
    /// let first = &requests[0].timeseries[0];
    /// assert_eq!((first.labels[0].name.as_str(), first.labels[0].value.as_str()), ("__name__", "jobs_done_total"));
    /// assert_eq!((first.samples[0].value, first.samples[0].timestamp), (3.0, 2000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn requests(&self, snapshot: &Snapshot, time: SystemTime) -> Vec<proto::WriteRequest> {
        let timestamp = millis(time);
        let mut requests = Vec::new();
        let mut current = proto::WriteRequest::default();
        visit(snapshot, &self.config, |s| {
            let labels = s
                .labels
                .iter()
                .map(|&(name, value)| proto::Label {
                    name: name.to_owned(),
                    value: value.to_owned(),
                })
                .collect();
            let series = match s.point {
                Point::Float(value) => proto::TimeSeries {
                    labels,
                    samples: vec![proto::Sample { value, timestamp }],
                    histograms: Vec::new(),
                },
                Point::Histogram(h) => {
                    // A schema Prometheus does not take: left out (counted by `payloads`).
                    let Ok(h) = proto::Histogram::from_snapshot(h, timestamp) else {
                        return;
                    };
                    proto::TimeSeries {
                        labels,
                        samples: Vec::new(),
                        histograms: vec![h],
                    }
                }
            };
            current.timeseries.push(series);
            if current.timeseries.len() >= self.max_samples {
                requests.push(std::mem::take(&mut current));
            }
        });
        if !current.timeseries.is_empty() {
            requests.push(current);
        }
        requests
    }

    /// The request bodies of `snapshot` at `time` before compression: the protobuf encoding
    /// of [`requests`](Self::requests), byte for byte, written straight from the series
    /// without building the structs.
    #[must_use]
    pub fn protobuf(&self, snapshot: &Snapshot, time: SystemTime) -> Vec<Vec<u8>> {
        self.bodies(snapshot, time).0
    }

    /// The protobuf bodies, and how many series were left out (native histograms of a schema
    /// Prometheus does not take).
    fn bodies(&self, snapshot: &Snapshot, time: SystemTime) -> (Vec<Vec<u8>>, u64) {
        let timestamp = millis(time);
        let mut bodies = Vec::new();
        let mut body = Vec::new();
        let mut series = 0;
        let mut left_out = 0;
        visit(snapshot, &self.config, |s| {
            match s.point {
                Point::Float(value) => {
                    wire::put_float_series(&mut body, s.labels, value, timestamp);
                }
                Point::Histogram(h) => {
                    let Ok(h) = proto::Histogram::from_snapshot(h, timestamp) else {
                        left_out += 1;
                        return;
                    };
                    wire::put_histogram_series(&mut body, s.labels, &h);
                }
            }
            series += 1;
            if series >= self.max_samples {
                let capacity = body.len() + body.len() / 8;
                bodies.push(std::mem::replace(&mut body, Vec::with_capacity(capacity)));
                series = 0;
            }
        });
        if series > 0 {
            bodies.push(body);
        }
        (bodies, left_out)
    }

    /// The request bodies of `snapshot` at `time`: each `WriteRequest` protobuf-encoded, then
    /// snappy block compressed (the raw format, not snappy's framed one), as sent; with, as
    /// dropped, the series left out (a native histogram of a schema Prometheus does not take).
    #[must_use]
    pub fn payloads(&self, snapshot: &Snapshot, time: SystemTime) -> Encoded {
        let (bodies, left_out) = self.bodies(snapshot, time);
        let mut out = Encoded {
            payloads: Vec::with_capacity(bodies.len()),
            dropped: left_out,
        };
        let mut snappy = snap::raw::Encoder::new();
        for body in bodies {
            match snappy.compress_vec(&body) {
                Ok(compressed) => out.payloads.push(compressed),
                Err(_) => out.dropped += 1,
            }
        }
        out
    }
}

impl Sink for RemoteWriteSink {
    fn name(&self) -> &'static str {
        "remote_write"
    }

    /// Remote write carries cumulative values, which a [`Report`] (increments) has not: the
    /// reporter calls [`encode_with_snapshot`](Sink::encode_with_snapshot) instead. Called
    /// alone this sends nothing and counts one dropped report.
    fn encode(&mut self, report: &Report) -> Encoded {
        let _ = report;
        Encoded {
            payloads: Vec::new(),
            dropped: 1,
        }
    }

    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        self.payloads(snapshot, report.time)
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", CONTENT_TYPE)
            .header("X-Prometheus-Remote-Write-Version", VERSION)
            .header("User-Agent", concat!("metered/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        let mut resp = req
            .send(payload)
            .map_err(|e| SendError::retry(format!("POST {}: {e}", self.url)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let mut body = resp.body_mut().read_to_string().unwrap_or_default();
        if let Some((cut, _)) = body.char_indices().nth(300) {
            body.truncate(cut);
        }
        let message = format!("POST {}: HTTP {status}: {}", self.url, body.trim());
        if status >= 500 || status == 429 {
            Err(SendError::retry(message))
        } else {
            Err(SendError::permanent(message))
        }
    }
}

#[cfg(test)]
mod tests;
