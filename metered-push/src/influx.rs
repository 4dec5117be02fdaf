//! The InfluxDB sink: reports as line protocol
//! ([encoder](metered_runtime_core::push::influx)) over HTTP, to the 1.x `/write` API or the
//! 2.x `/api/v2/write` API (InfluxDB 2 and 3, VictoriaMetrics, ...).
//!
//! Each report becomes one request per 5,000 points, gzip-compressed unless
//! [`gzip(false)`](InfluxSink::gzip), with nanosecond precision. A 2xx answer is a success; a
//! 5xx, 429 or 408 answer, a timeout or a refused connection is retried with the reporter's
//! backoff; any other answer (a 400 with a parse error, a 401) is a rejection that retrying
//! cannot fix, so the payload is dropped and counted, and the message logged. HTTPS needs the
//! `tls` feature.
//!
//! ```no_run
//! use metered_push::{Reporter, influx::InfluxSink};
//! let v1 = InfluxSink::v1("http://127.0.0.1:8086", "mydb")?;
//! let v2 = InfluxSink::v2("https://eu-central-1-1.aws.cloud2.influxdata.com", "my-org", "my-bucket", "TOKEN")?;
//! let _reporter = Reporter::builder(metered_runtime_core::registry(), v1).start()?;
//! # drop(v2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::delta::Report;
use crate::http::agent;
use crate::{Encoded, SendError, Sink};
use std::io::Write as _;
use std::time::Duration;

pub use metered_runtime_core::push::influx::{Config, encode};

const POINTS_PER_REQUEST: usize = 5000;

/// Sends reports to an InfluxDB write API over HTTP with a blocking client (`ureq`) on the
/// reporter thread.
pub struct InfluxSink {
    agent: ureq::Agent,
    url: String,
    token: Option<String>,
    gzip: bool,
    config: Config,
}

impl std::fmt::Debug for InfluxSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfluxSink")
            .field("url", &self.url)
            .field("gzip", &self.gzip)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
fn query_value(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn check_base(base: &str) -> std::io::Result<String> {
    let ok = base.starts_with("http://") || base.starts_with("https://");
    if !ok {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("InfluxDB URL {base:?} does not start with http:// or https://"),
        ));
    }
    if base.starts_with("https://") && !cfg!(feature = "tls") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("InfluxDB URL {base:?} is HTTPS: enable the `tls` feature"),
        ));
    }
    Ok(base.trim_end_matches('/').to_owned())
}

impl InfluxSink {
    fn new(url: String, token: Option<String>) -> Self {
        InfluxSink {
            agent: agent(Duration::from_secs(10)),
            url,
            token,
            gzip: true,
            config: Config::default(),
        }
    }

    /// A sink writing to database `db` of the InfluxDB 1.x server at `base`
    /// (`http://host:8086`), through `POST /write?db=DB&precision=ns`.
    ///
    /// # Errors
    /// If `base` is not an `http://` URL (or `https://` with the `tls` feature).
    pub fn v1(base: &str, db: &str) -> std::io::Result<Self> {
        let mut url = check_base(base)?;
        url.push_str("/write?db=");
        query_value(&mut url, db);
        url.push_str("&precision=ns");
        Ok(InfluxSink::new(url, None))
    }

    /// A sink writing to `bucket` of `org` through the 2.x API `POST /api/v2/write`, with
    /// `Authorization: Token TOKEN`.
    ///
    /// # Errors
    /// As for [`v1`](Self::v1).
    pub fn v2(base: &str, org: &str, bucket: &str, token: &str) -> std::io::Result<Self> {
        let mut url = check_base(base)?;
        url.push_str("/api/v2/write?org=");
        query_value(&mut url, org);
        url.push_str("&bucket=");
        query_value(&mut url, bucket);
        url.push_str("&precision=ns");
        Ok(InfluxSink::new(url, Some(token.to_owned())))
    }

    /// Compress request bodies with gzip (default `true`; InfluxDB and VictoriaMetrics accept
    /// `Content-Encoding: gzip`).
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

    /// Encoder settings (prefix, extra tags).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Line-protocol lines as request bodies of at most 5,000 lines each, gzip-compressed
    /// when on.
    pub(crate) fn encode_lines(&self, lines: &[String]) -> Encoded {
        let mut out = Encoded::default();
        for chunk in lines.chunks(POINTS_PER_REQUEST) {
            let mut body = chunk.join("\n");
            body.push('\n');
            if self.gzip {
                let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                match z.write_all(body.as_bytes()).and_then(|()| z.finish()) {
                    Ok(b) => out.payloads.push(b),
                    Err(_) => out.dropped += 1,
                }
            } else {
                out.payloads.push(body.into_bytes());
            }
        }
        out
    }

    /// The write URL requests go to.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Sink for InfluxSink {
    fn name(&self) -> &'static str {
        "influx"
    }

    fn encode(&mut self, report: &Report) -> Encoded {
        let lines = encode(report, &self.config);
        self.encode_lines(&lines)
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "text/plain; charset=utf-8");
        if self.gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        let mut resp = req
            .send(payload)
            .map_err(|e| SendError::retry(format!("POST {}: {e}", self.url)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let mut body = resp.body_mut().read_to_string().unwrap_or_default();
        body.truncate(300);
        let message = format!("POST {}: HTTP {status}: {}", self.url, body.trim());
        if status >= 500 || status == 429 || status == 408 {
            Err(SendError::retry(message))
        } else {
            Err(SendError::permanent(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_and_checked() {
        let s = InfluxSink::v1("http://127.0.0.1:8086/", "my db&x").unwrap();
        assert_eq!(
            s.url(),
            "http://127.0.0.1:8086/write?db=my%20db%26x&precision=ns"
        );
        let s = InfluxSink::v2("http://h:1", "o/rg", "b", "t").unwrap();
        assert_eq!(
            s.url(),
            "http://h:1/api/v2/write?org=o%2Frg&bucket=b&precision=ns"
        );
        let e = InfluxSink::v1("127.0.0.1:8086", "db").unwrap_err();
        assert!(e.to_string().contains("does not start with http://"), "{e}");
        if !cfg!(feature = "tls") {
            let e = InfluxSink::v1("https://x", "db").unwrap_err();
            assert!(e.to_string().contains("enable the `tls` feature"), "{e}");
        }
    }
}
