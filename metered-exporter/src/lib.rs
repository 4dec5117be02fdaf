//! The built-in HTTP endpoint of metered-runtime (its `http` feature): `/metrics` in
//! Prometheus text 0.0.4 or OpenMetrics (negotiated from `Accept`, gzip on request; with the
//! `protobuf` feature also Prometheus' protobuf exposition with native histograms) and
//! `/stats` (the nested JSON view; `/stats?form=flat` the flat one), served by hyper 1 on tokio.
//!
//! ```
//! # extern crate metered_exporter;
//! use metered_exporter::{Config, Exporter};
//! use std::io::{Read, Write};
//!
//! let registry: &'static metered_runtime_core::Registry =
//!     Box::leak(Box::new(metered_runtime_core::Registry::new()));
//! registry.counter("jobs.done").unwrap().add(2);
//! // Port 0: any free port (the default address is 127.0.0.1:9464).
//! let exporter = Exporter::start(Config::new().address("127.0.0.1:0".parse().unwrap()).registry(registry))?;
//!
//! let mut conn = std::net::TcpStream::connect(exporter.local_addr())?;
//! conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! conn.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
//! assert!(response.contains("\njobs_done_total 2\n"));
//! exporter.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//! - Binds `127.0.0.1:9464` unless told otherwise; a bind failure is an [`Error`], returned by
//!   [`Exporter::start`].
//! - `GET` and `HEAD` only (405 with `Allow` otherwise); `/metrics` and `/stats`, 404 for any
//!   other path; 401 with a challenge when [`Auth`] is set and the request's `Authorization`
//!   differs (compared in constant time).
//! - A request's headers must arrive within the header-read timeout (5 s; this also closes
//!   idle keep-alive connections), a response write that makes no progress for the write
//!   timeout (10 s) closes the connection, headers larger than the header cap (16 KiB; at
//!   least 8 KiB) are refused, and at most `max_connections` (64) connections are served at
//!   once: further ones are closed at once. Rendering runs on a blocking thread, so no client
//!   holds up another, and none can reach the instrumented program.
//! - Inside a tokio runtime, [`Exporter::start`] spawns onto it; elsewhere it starts a small
//!   runtime on a thread of its own (`metered-exporter`).
//! - [`Exporter::shutdown`] stops accepting, lets requests in flight finish (up to 5 s) and
//!   returns; dropping the [`Exporter`] stops it too, without waiting.
#![forbid(unsafe_code)]
#![allow(clippy::doc_markdown, reason = "OpenMetrics is a name, not code")]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod auth;
mod io;
mod server;
mod service;
#[cfg(feature = "statvent")]
pub mod statvent;

pub use auth::Auth;
use metered_runtime_core::Registry;
use metered_runtime_core::export::Options;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The address [`Config::new`] binds: loopback, port 9464.
pub const DEFAULT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// Which registry the endpoint serves.
#[derive(Debug, Clone)]
enum Target {
    Static(&'static Registry),
    Shared(Arc<Registry>),
}

impl std::ops::Deref for Target {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        match self {
            Target::Static(r) => r,
            Target::Shared(r) => r,
        }
    }
}

/// The endpoint's settings.
///
/// ```
/// # extern crate metered_exporter;
/// use metered_exporter::{Auth, Config};
/// use std::time::Duration;
/// let config = Config::new()
///     .address("127.0.0.1:9898".parse().unwrap())
///     .header_read_timeout(Duration::from_secs(2))
///     .max_connections(16)
///     .auth(Auth::Bearer("s3cret".into()));
/// assert_eq!(config.address_of().port(), 9898);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    address: SocketAddr,
    registry: Target,
    options: Options,
    header_read_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
    max_header_bytes: usize,
    auth: Option<Auth>,
    /// How long a rendered `/metrics` response is reused, if at all.
    cache_ttl: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The defaults: [`DEFAULT_ADDRESS`], the global registry, default [`Options`], 5 s
    /// header-read timeout, 10 s write timeout, 64 connections, 16 KiB of headers, no auth.
    #[must_use]
    pub fn new() -> Self {
        Config {
            address: DEFAULT_ADDRESS,
            registry: Target::Static(metered_runtime_core::registry()),
            options: Options::new(),
            header_read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
            max_connections: 64,
            max_header_bytes: 16 * 1024,
            auth: None,
            cache_ttl: None,
        }
    }

    /// The address to bind (port 0 for any free port; see [`Exporter::local_addr`]).
    #[must_use]
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// The address to bind.
    #[must_use]
    pub fn address_of(&self) -> SocketAddr {
        self.address
    }

    /// Serve this registry instead of the global one.
    #[must_use]
    pub fn registry(mut self, registry: &'static Registry) -> Self {
        self.registry = Target::Static(registry);
        self
    }

    /// Serve this shared registry instead of the global one.
    #[must_use]
    pub fn shared_registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = Target::Shared(registry);
        self
    }

    /// What the text formats export beyond the defaults.
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// How long a client has to send a request's headers (and how long an idle keep-alive
    /// connection stays open).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a response write may make no progress before the connection is closed.
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

    /// The most header bytes a request may send (at least 8 KiB, hyper's minimum buffer).
    #[must_use]
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.max_header_bytes = n.max(8192);
        self
    }

    /// Reuse each rendered `/metrics` response for `ttl` (per negotiated format and
    /// compression, see [`ResponseCache`](metered_runtime_core::export::cache::ResponseCache)):
    /// scrapes within `ttl` of a render get its body without reading the registry. Off by
    /// default (every scrape renders).
    #[must_use]
    pub fn cache_responses(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// Require this authentication on every request.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }
}

/// Why the endpoint could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The endpoint's own runtime or thread could not be started.
    Runtime(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Bind { address, source } => {
                write!(f, "cannot bind the metrics endpoint to {address}: {source}")
            }
            Error::Runtime(e) => write!(f, "cannot start the metrics endpoint's runtime: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind { source, .. } | Error::Runtime(source) => Some(source),
        }
    }
}

/// A running endpoint. Stop it with [`shutdown`](Exporter::shutdown) (or by dropping it).
#[derive(Debug)]
pub struct Exporter {
    running: server::Running,
}

impl Exporter {
    /// Binds `config`'s address and starts serving.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address cannot be bound (in use, not local, no permission),
    /// [`Error::Runtime`] when the endpoint's own thread or runtime cannot start.
    pub fn start(config: Config) -> Result<Exporter, Error> {
        let limits = server::Limits {
            header_read_timeout: config.header_read_timeout,
            write_timeout: config.write_timeout,
            max_connections: config.max_connections,
            max_header_bytes: Some(config.max_header_bytes),
        };
        let running =
            server::Running::start(config.address, "metered-exporter", limits, move || {
                service::Handler::new(
                    config.registry.clone(),
                    config.options,
                    config.auth.as_ref(),
                    config
                        .cache_ttl
                        .map(metered_runtime_core::export::cache::ResponseCache::new),
                )
            })?;
        Ok(Exporter { running })
    }

    /// The address bound (with the actual port when port 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.running.local_addr()
    }

    /// Stops accepting connections, lets requests in flight finish (up to 5 s), and returns
    /// when the endpoint has stopped. Inside a tokio runtime, call it from a blocking context
    /// (`spawn_blocking`), or just drop the `Exporter`.
    pub fn shutdown(self) {
        self.running.shutdown();
    }
}
