//! The StatsD sink: reports as StatsD lines ([`encoder`](metered_runtime_core::push::statsd))
//! in UDP datagrams.
//!
//! ```no_run
//! use metered_push::{Reporter, statsd::{Config, StatsdSink}};
//! use std::time::Duration;
//! let sink = StatsdSink::new("127.0.0.1:8125", Config { prefix: "myapp.".into(), ..Config::default() })?;
//! let _reporter = Reporter::builder(metered_runtime_core::registry(), sink)
//!     .interval(Duration::from_secs(10))
//!     .start()?;
//! // ... the program runs; dropping `_reporter` at the end of `main` sends the last report.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::delta::Report;
use crate::{Encoded, SendError, Sink};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

pub use metered_runtime_core::push::statsd::{Config, Tags, encode};

/// Sends each report to one StatsD server over UDP (a socket connected to it, so that a
/// refused port shows up as a failed send).
#[derive(Debug)]
pub struct StatsdSink {
    socket: UdpSocket,
    config: Config,
}

impl StatsdSink {
    /// A sink sending to `addr` (the first address it resolves to).
    ///
    /// # Errors
    /// If `addr` does not resolve, or no local UDP socket can be bound and connected.
    pub fn new(addr: impl ToSocketAddrs, config: Config) -> std::io::Result<Self> {
        let target = addr.to_socket_addrs()?.next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the StatsD address resolves to nothing",
            )
        })?;
        let local: SocketAddr = if target.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(target)?;
        socket.set_write_timeout(Some(std::time::Duration::from_secs(1)))?;
        Ok(StatsdSink { socket, config })
    }
}

impl Sink for StatsdSink {
    fn name(&self) -> &'static str {
        "statsd"
    }

    fn encode(&mut self, report: &Report) -> Encoded {
        let e = encode(report, &self.config);
        Encoded {
            payloads: e.datagrams,
            dropped: e.oversized,
        }
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let n = self.socket.send(payload)?;
        if n == payload.len() {
            Ok(())
        } else {
            Err(SendError::retry(format!(
                "sent {n} of {} bytes of a datagram",
                payload.len()
            )))
        }
    }
}
