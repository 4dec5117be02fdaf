//! The statvent web service (feature `statvent`): every process's pipe in a directory, summed,
//! as JSON (what `python -m statvent.web` serves) and on `/metrics`.
//!
//! ```
//! # extern crate metered_exporter;
//! use metered_exporter::statvent::{Web, WebConfig};
//! use metered_push::statvent::{Config, Pipe};
//! use std::io::{Read, Write};
//!
//! let dir = std::env::temp_dir().join(format!("statvent-web-doc-{}", std::process::id()));
//! let registry: &'static metered_runtime_core::Registry =
//!     Box::leak(Box::new(metered_runtime_core::Registry::new()));
//! registry.counter("jobs.done").unwrap().add(2);
//! let pipe = Pipe::start(Config::new().dir(&dir).registry(registry))?;
//! let web = Web::start(WebConfig::new().dir(&dir).address("127.0.0.1:0".parse().unwrap()))?;
//!
//! let mut conn = std::net::TcpStream::connect(web.local_addr())?;
//! conn.write_all(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! conn.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.contains(r#"{"processes":1,"stats":{"jobs.done":2},"timestamp":"#));
//! web.shutdown();
//! drop(pipe);
//! # std::fs::remove_dir(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//! - Binds `127.0.0.1:7828` (statvent's port, on loopback) unless told otherwise.
//! - `GET` (and `HEAD`) of the stats path (`/stats`) answers
//!   `{"processes":N,"stats":{...},"timestamp":T}` (`application/json`): every process's
//!   stats combined by the [`Combine`] rule (quantiles and maxima by the largest, minima by the
//!   smallest, means weighted by counts, the rest summed; [`Combine::Sum`] sums everything as
//!   statvent does), read with [`read_dir`] on a blocking thread, so stale pipes cost at most the
//!   read timeout and are removed when their process is gone.
//! - `GET /metrics` serves the same view in Prometheus text or OpenMetrics (negotiated, gzip on
//!   request) through a registry holding a [`HostCollector`], each stat a gauge, plus the
//!   reader's own `metered.statvent.*` gauges.
//! - Any other path is a 404 with a JSON body naming it; other methods a 405. The header-read
//!   timeout, write timeout and connection cap are those of the [`Exporter`](crate::Exporter).
//! - A directory that cannot be listed answers 500 with the error in JSON.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use metered_push::statvent::{DEFAULT_DIR, HostCollector, ReadOptions, read_dir};
use metered_runtime_core::Registry;
use metered_runtime_core::export::{Options, Scrape, render};
use metered_runtime_core::snapshot::Node;
pub use metered_runtime_core::statvent::Combine;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The address [`WebConfig::new`] binds: loopback, statvent's port 7828.
pub const DEFAULT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 7828);

/// The host view as JSON, read now: [`read_dir`] of `dir`, combined by `rule` (the library
/// function behind the service's stats path).
///
/// ```
/// # extern crate metered_exporter;
/// use metered_exporter::statvent::{Combine, host_json};
/// let json = host_json("/nonexistent/stats-pipe".as_ref(), &Default::default(), Combine::Sum)?;
/// assert!(json.starts_with(r#"{"processes":0,"stats":{},"timestamp":"#));
/// # Ok::<(), metered_runtime_core::Error>(())
/// ```
///
/// # Errors
/// As [`read_dir`].
pub fn host_json(
    dir: &Path,
    options: &ReadOptions,
    rule: Combine,
) -> metered_runtime_core::Result<String> {
    Ok(read_dir(dir, options)?.to_json(rule))
}

/// The service's settings.
///
/// ```
/// # extern crate metered_exporter;
/// use metered_exporter::statvent::{Combine, WebConfig};
/// let config = WebConfig::new().dir("/run/app/stats").path("/host").rule(Combine::Sum);
/// assert_eq!(config.address_of().port(), 7828);
/// ```
#[derive(Debug, Clone)]
pub struct WebConfig {
    address: SocketAddr,
    path: String,
    dir: PathBuf,
    read: ReadOptions,
    rule: Combine,
    options: Options,
    header_read_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig::new()
    }
}

impl WebConfig {
    /// [`DEFAULT_ADDRESS`], path `/stats`, directory
    /// [`DEFAULT_DIR`], default [`ReadOptions`] and
    /// [`Combine`] rule, the [`Exporter`](crate::Exporter)'s timeouts (5 s header read, 10 s
    /// write) and 64 connections.
    #[must_use]
    pub fn new() -> Self {
        WebConfig {
            address: DEFAULT_ADDRESS,
            path: "/stats".into(),
            dir: PathBuf::from(DEFAULT_DIR),
            read: ReadOptions::default(),
            rule: Combine::default(),
            options: Options::default(),
            header_read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
            max_connections: 64,
        }
    }

    /// The address to bind (port 0: any free port).
    #[must_use]
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// The address configured.
    #[must_use]
    pub fn address_of(&self) -> SocketAddr {
        self.address
    }

    /// The HTTP path of the JSON view (`/stats`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The directory of the pipes.
    #[must_use]
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// How the pipes are read (timeout, stale removal).
    #[must_use]
    pub fn read_options(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }

    /// How the processes' stats are combined.
    #[must_use]
    pub fn rule(mut self, rule: Combine) -> Self {
        self.rule = rule;
        self
    }

    /// Exposition options for `/metrics`.
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// How long a client may take to send a request's headers.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a response write may make no progress.
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How many connections are served at once (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
}

/// A running service; stop it with [`shutdown`](Web::shutdown) or by dropping it.
#[derive(Debug)]
pub struct Web {
    running: crate::server::Running,
}

impl Web {
    /// Binds the address and starts serving (on the current tokio runtime if there is one,
    /// else on a thread of its own).
    ///
    /// # Errors
    /// [`Error::Bind`](crate::Error::Bind) when the address cannot be bound,
    /// [`Error::Runtime`](crate::Error::Runtime) when the thread or runtime cannot start.
    pub fn start(config: WebConfig) -> Result<Web, crate::Error> {
        let limits = crate::server::Limits {
            header_read_timeout: config.header_read_timeout,
            write_timeout: config.write_timeout,
            max_connections: config.max_connections,
            max_header_bytes: None,
        };
        let address = config.address;
        let running =
            crate::server::Running::start(address, "metered-statvent-web", limits, move || {
                Handler::new(&config)
            })?;
        Ok(Web { running })
    }

    /// The address bound.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.running.local_addr()
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s) and returns when stopped.
    /// Inside a tokio runtime, call it from a blocking context, or just drop the `Web`.
    pub fn shutdown(self) {
        self.running.shutdown();
    }
}

struct Handler {
    path: String,
    dir: PathBuf,
    read: ReadOptions,
    rule: Combine,
    options: Options,
    registry: Arc<Registry>,
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_json(fields: &[(&str, &str)]) -> String {
    let node = Node::Object(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Node::Str((*v).to_owned())))
            .collect::<BTreeMap<_, _>>(),
    );
    let mut out = String::new();
    node.write_json(&mut out);
    out
}

impl Handler {
    async fn handle<B>(&self, req: &Request<B>) -> Response<Full<Bytes>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = json(
                StatusCode::METHOD_NOT_ALLOWED,
                error_json(&[("error", "only GET and HEAD")]),
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let path = req.uri().path();
        if path == self.path {
            let (dir, read, rule) = (self.dir.clone(), self.read, self.rule);
            return match tokio::task::spawn_blocking(move || host_json(&dir, &read, rule)).await {
                Ok(Ok(body)) => json(StatusCode::OK, body),
                Ok(Err(e)) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_json(&[("error", &e.to_string())]),
                ),
                Err(_) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_json(&[("error", "reading the pipes failed")]),
                ),
            };
        }
        if path == "/metrics" {
            let header_str = |name| {
                req.headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            let accept = header_str(header::ACCEPT);
            let encoding = header_str(header::ACCEPT_ENCODING);
            let registry = Arc::clone(&self.registry);
            let options = self.options;
            let Ok(rendered) = tokio::task::spawn_blocking(move || {
                let scrape = Scrape::of(&registry);
                render::render_with(&scrape, &options, accept.as_deref(), encoding.as_deref())
            })
            .await
            else {
                return json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_json(&[("error", "rendering failed")]),
                );
            };
            let mut r = Response::new(Full::new(Bytes::from(rendered.body)));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(rendered.content_type),
            );
            if let Some(enc) = rendered.content_encoding {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
            }
            h.insert(
                header::VARY,
                HeaderValue::from_static("Accept, Accept-Encoding"),
            );
            return r;
        }
        let hint = format!("try {} or /metrics", self.path);
        json(
            StatusCode::NOT_FOUND,
            error_json(&[("error", "not found"), ("path", path), ("hint", &hint)]),
        )
    }
}

impl Handler {
    /// The handler of `config`, with a registry of its own holding the host collector.
    fn new(config: &WebConfig) -> Handler {
        let registry = Registry::new();
        let collector = HostCollector::new(config.dir.clone())
            .options(config.read)
            .rule(config.rule);
        // The registry is new: the name is free.
        let _ = registry.register_collector("statvent", collector);
        Handler {
            path: config.path.clone(),
            dir: config.dir.clone(),
            read: config.read,
            rule: config.rule,
            options: config.options,
            registry: Arc::new(registry),
        }
    }
}

impl crate::server::Handle for Handler {
    async fn respond(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        self.handle(&req).await
    }
}
