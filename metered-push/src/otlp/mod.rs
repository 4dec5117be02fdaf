//! The OpenTelemetry sink: reports as OTLP/HTTP protobuf (`ExportMetricsServiceRequest`) to
//! an OpenTelemetry collector, or any OTLP receiver, at `/v1/metrics`.
//!
//! # What is sent
//! Each report becomes one request (more for a report of over 10,000 data points, see
//! [`Config::max_points_per_request`]) carrying one resource (`service.name` and the
//! attributes of [`Config::resource_attribute`]) and one instrumentation scope (`name`
//! [`SCOPE_NAME`], the crate's version):
//!
//! | metric | OTLP |
//! |---|---|
//! | counter, fractional counter | `Sum`, monotonic (integer, or double) |
//! | gauge, float gauge, function gauge | `Gauge` (integer, or double) |
//! | up-down counter | `Sum`, not monotonic, always cumulative |
//! | meter | `Sum`, monotonic, of its count; with [`Config::rates`] also gauges `<name>.m1_rate` ... |
//! | histogram, timer | `ExponentialHistogram` of our buckets as they are (lossless), or `Histogram` at explicit bounds ([`Histograms`]); timers in seconds, with rates as for meters |
//!
//! - **Names** stay dotted as registered (`app.http.requests`): OpenTelemetry's naming
//!   convention is dotted too, and receivers that need another form map it themselves (the
//!   collector's Prometheus exporters turn `app.http.latency` with unit `s` into
//!   `app_http_latency_seconds`). No `_total` or unit suffix is added. A family's children are
//!   the data points of one metric, their labels its attributes.
//! - **Units** are UCUM: `s` (timers and [`Unit::Seconds`](metered_runtime_core::Unit)),
//!   `By` (bytes), `1` (ratios), `{requests}` for a unit of our own, none for a plain count.
//! - **Temporality**: cumulative by default, every series' start time fixed at its first
//!   sight (see [`Encoder`]); [`Temporality::Delta`] sends what happened since this sink's
//!   previous report, from the reporter's own [`DeltaState`](crate::delta::DeltaState).
//! - **Exponential histograms**: scale = our schema (6), `zero_threshold` `2^-40` and its
//!   count, positive buckets as one dense run at `offset` = our first index minus one (OTLP's
//!   bucket `i` is `(base^i, base^(i+1)]`, ours `(base^(i-1), base^i]`), so quantiles read
//!   from the receiver equal ours. `min` and `max` are exact (cumulative; and a series' first
//!   delta), left out otherwise.
//!
//! # Delivery
//! Bodies are gzip-compressed unless [`OtlpSink::gzip`] turns it off. A 2xx answer is a
//! success. 429, 502, 503 and 504 (the answers OTLP calls retryable), a timeout or a refused
//! connection are retried with the reporter's backoff, waiting at least what a `Retry-After`
//! header asks for (seconds or an HTTP date, at most 10 minutes). Any other answer (400 for a
//! malformed request, 401, 413, 500) is a rejection retrying cannot fix: the request is
//! dropped and counted, and the message logged. Meanwhile the reporter's bounded buffer keeps
//! the newest requests and counts what it drops. HTTPS needs the `tls` feature.
//!
//! ```no_run
//! use metered_push::Reporter;
//! use metered_push::otlp::{Config, OtlpSink};
//! use std::time::Duration;
//! let config = Config::new("checkout").resource_attribute("service.instance.id", "pod-7f9c");
//! let sink = OtlpSink::new("http://otel-collector:4318", config)?
//!     .header("Authorization", "Bearer TOKEN");
//! let _reporter = Reporter::builder(metered_runtime_core::registry(), sink)
//!     .interval(Duration::from_secs(60))
//!     .start()?;
//! # Ok::<(), metered_runtime_core::Error>(())
//! ```

mod encode;
pub mod proto;
mod retry_after;

pub use encode::{Config, Encoder, Histograms, SCOPE_NAME, Temporality, ucum};
pub use retry_after::parse_retry_after;

use crate::delta::Report;
use crate::http::agent;
use crate::{Encoded, SendError, Sink};
use metered_runtime_core::{Error, Result, Snapshot};
use prost::Message as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime};

/// Sends reports to an OTLP/HTTP receiver with a blocking client (`ureq`) on the reporter
/// thread.
pub struct OtlpSink {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    gzip: bool,
    encoder: Encoder,
}

impl std::fmt::Debug for OtlpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpSink")
            .field("url", &self.url)
            .field("gzip", &self.gzip)
            .field("config", self.encoder.config())
            .finish_non_exhaustive()
    }
}

fn check_url(url: &str) -> Result<()> {
    let invalid = |reason: String| Err(Error::InvalidConfig { reason });
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return invalid(format!(
            "OTLP URL {url:?} does not start with http:// or https://"
        ));
    }
    if url.starts_with("https://") && !cfg!(feature = "tls") {
        return invalid(format!(
            "OTLP URL {url:?} is HTTPS: enable the `tls` feature"
        ));
    }
    Ok(())
}

impl OtlpSink {
    /// A sink posting to `{base}/v1/metrics`, `base` being the receiver's OTLP/HTTP endpoint
    /// as `OTEL_EXPORTER_OTLP_ENDPOINT` names it (`http://collector:4318`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `base` is not an `http://` URL (or `https://` with the
    /// `tls` feature), or `config` is invalid (see [`Encoder::new`]).
    pub fn new(base: &str, config: Config) -> Result<Self> {
        let url = format!("{}/v1/metrics", base.trim_end_matches('/'));
        OtlpSink::with_url(&url, config)
    }

    /// A sink posting to `url` as it is (as `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` names it).
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn with_url(url: &str, config: Config) -> Result<Self> {
        check_url(url)?;
        Ok(OtlpSink {
            agent: agent(Duration::from_secs(10)),
            url: url.to_owned(),
            headers: Vec::new(),
            gzip: true,
            encoder: Encoder::new(config)?,
        })
    }

    /// Adds a request header (an API key, `Authorization`), as
    /// `OTEL_EXPORTER_OTLP_HEADERS` does.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Compress request bodies with gzip (default `true`; every OTLP/HTTP receiver must
    /// accept `Content-Encoding: gzip`).
    #[must_use]
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// The longest a request may take, connecting included (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.agent = agent(timeout);
        self
    }

    /// The URL requests go to.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request bodies of one report, encoded and compressed as they are sent.
    pub fn bodies(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        let mut out = Encoded::default();
        for request in self.encoder.encode(report, snapshot) {
            let body = request.encode_to_vec();
            if self.gzip {
                let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                match z.write_all(&body).and_then(|()| z.finish()) {
                    Ok(b) => out.payloads.push(b),
                    Err(_) => out.dropped += 1,
                }
            } else {
                out.payloads.push(body);
            }
        }
        out
    }
}

/// The statuses OTLP/HTTP calls retryable.
fn retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_mins(10);

impl Sink for OtlpSink {
    fn name(&self) -> &'static str {
        "otlp"
    }

    /// OTLP needs the snapshot a report came from (units, help, cumulative values): without
    /// it nothing is encoded, and a report with metrics counts as one payload dropped. The
    /// reporter always calls [`encode_with_snapshot`](Sink::encode_with_snapshot).
    fn encode(&mut self, report: &Report) -> Encoded {
        Encoded {
            payloads: Vec::new(),
            dropped: u64::from(!report.metrics.is_empty()),
        }
    }

    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        self.bodies(report, snapshot)
    }

    fn send(&mut self, payload: &[u8]) -> std::result::Result<(), SendError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/x-protobuf");
        if self.gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req
            .send(payload)
            .map_err(|e| SendError::retry(format!("POST {}: {e}", self.url)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = resp.body_mut().read_to_vec().unwrap_or_default();
        let message = format!("POST {}: HTTP {status}: {}", self.url, error_message(&body));
        if retryable(status) {
            let e = SendError::retry(message);
            Err(match retry_after {
                Some(d) => e.with_retry_after(d.min(MAX_RETRY_AFTER)),
                None => e,
            })
        } else {
            Err(SendError::permanent(message))
        }
    }
}

/// The message of an OTLP error answer: a `google.rpc.Status` (its `message`, field 2) when
/// it decodes as one, else the body as text; at most 300 bytes.
fn error_message(body: &[u8]) -> String {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let mut text = match Status::decode(body) {
        Ok(s) if !s.message.is_empty() => s.message,
        _ => String::from_utf8_lossy(body).trim().to_owned(),
    };
    if text.len() > 300 {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests;
