//! The Graphite sink: reports as plaintext lines
//! ([encoder](metered_runtime_core::push::graphite)) over TCP to carbon.
//!
//! One connection, opened on the first send and reopened after any failure (a connect or write
//! timeout of 5 s each). Before each write the sink checks that carbon has not closed the
//! connection (carbon never writes, so a readable end of stream means it went away), so a
//! restarted carbon costs a reconnect, not a lost report. A report that fails halfway is sent
//! again whole; carbon keeps one value per path and second, so the repeat is harmless.
//!
//! ```no_run
//! use metered_push::{Reporter, graphite::{Config, GraphiteSink}};
//! let sink = GraphiteSink::new("127.0.0.1:2003", Config::default())?;
//! let _reporter = Reporter::builder(metered_runtime_core::registry(), sink).start()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::delta::Report;
use crate::{Encoded, SendError, Sink};
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

pub use metered_runtime_core::push::graphite::{Config, Labels, encode};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Sends reports to carbon's plaintext receiver over TCP.
#[derive(Debug)]
pub struct GraphiteSink {
    addr: SocketAddr,
    conn: Option<TcpStream>,
    config: Config,
}

impl GraphiteSink {
    /// A sink sending to `addr` (the first address it resolves to). Connects on first use.
    ///
    /// # Errors
    /// If `addr` does not resolve.
    pub fn new(addr: impl ToSocketAddrs, config: Config) -> std::io::Result<Self> {
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the Graphite address resolves to nothing",
            )
        })?;
        Ok(GraphiteSink {
            addr,
            conn: None,
            config,
        })
    }

    /// Whether carbon closed (or broke) the connection: a non-blocking read that finds an end
    /// of stream, data or an error.
    fn closed(conn: &TcpStream) -> bool {
        if conn.set_nonblocking(true).is_err() {
            return true;
        }
        let mut b = [0u8; 1];
        let closed =
            !matches!(conn.peek(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        let _ = conn.set_nonblocking(false);
        closed
    }

    fn connection(&mut self) -> std::io::Result<&mut TcpStream> {
        if self.conn.as_ref().is_some_and(Self::closed) {
            self.conn = None;
        }
        if self.conn.is_none() {
            let c = TcpStream::connect_timeout(&self.addr, TIMEOUT)?;
            c.set_write_timeout(Some(TIMEOUT))?;
            c.set_nodelay(true)?;
            self.conn = Some(c);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no connection"))
    }
}

impl Sink for GraphiteSink {
    fn name(&self) -> &'static str {
        "graphite"
    }

    fn encode(&mut self, report: &Report) -> Encoded {
        let text = encode(report, &self.config);
        Encoded {
            payloads: if text.is_empty() {
                Vec::new()
            } else {
                vec![text.into_bytes()]
            },
            dropped: 0,
        }
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let addr = self.addr;
        let result = self
            .connection()
            .and_then(|c| c.write_all(payload).and_then(|()| c.flush()));
        result.map_err(|e| {
            self.conn = None;
            SendError::retry(format!("carbon at {addr}: {e}"))
        })
    }
}
