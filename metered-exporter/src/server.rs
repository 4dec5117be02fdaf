//! The serving machinery every endpoint of this crate shares: binding, a runtime thread of its
//! own when the program has none, the accept loop with its connection cap and timeouts, and
//! graceful shutdown. An endpoint supplies only its request handler.

use crate::Error;
use crate::io::WriteTimeout;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// How long requests in flight may take to finish after a shutdown.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// What the accept loop enforces on every connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub write_timeout: Duration,
    pub max_connections: usize,
    /// hyper's read buffer cap (the most header bytes), or hyper's default.
    pub max_header_bytes: Option<usize>,
}

/// A request handler: one shared instance answers every request of every connection.
pub(crate) trait Handle: Send + Sync + 'static {
    /// The response to `req`.
    fn respond(&self, req: Request<Incoming>)
    -> impl Future<Output = Response<Full<Bytes>>> + Send;
}

/// A running server: stopped by [`shutdown`](Running::shutdown) or by dropping it.
#[derive(Debug)]
pub(crate) struct Running {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: Option<std::sync::mpsc::Receiver<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Binds `address` and serves with the handler `make` builds (on the current tokio runtime
    /// if there is one, else on a thread named `thread_name` with a runtime of its own).
    pub(crate) fn start<H: Handle>(
        address: SocketAddr,
        thread_name: &str,
        limits: Limits,
        make: impl FnOnce() -> H + Send + 'static,
    ) -> Result<Running, Error> {
        let bind_err = |source| Error::Bind { address, source };
        let listener = std::net::TcpListener::bind(address).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let local_addr = listener.local_addr().map_err(bind_err)?;
        let (stop, stopped) = watch::channel(false);
        let (done_tx, done) = std::sync::mpsc::channel();
        let serve = async move {
            // Converting needs a runtime context, which this future always runs in.
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                serve(listener, limits, Arc::new(make()), stopped).await;
            }
            let _ = done_tx.send(());
        };
        let thread = if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(serve);
            None
        } else {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Error::Runtime)?;
            let thread = std::thread::Builder::new()
                .name(thread_name.into())
                .spawn(move || rt.block_on(serve))
                .map_err(Error::Runtime)?;
            Some(thread)
        };
        Ok(Running {
            local_addr,
            stop,
            done: Some(done),
            thread,
        })
    }

    /// The address bound (with the actual port when port 0 was asked for).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish (up to [`GRACE`]) and returns when
    /// stopped.
    pub(crate) fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.recv_timeout(GRACE + Duration::from_secs(1));
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve<H: Handle>(
    listener: tokio::net::TcpListener,
    limits: Limits,
    handler: Arc<H>,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    if let Some(n) = limits.max_header_bytes {
        http.max_buf_size(n);
    }
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: wait a little instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream); // at the connection cap: closed at once
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(WriteTimeout::new(stream, limits.write_timeout));
        let handler = Arc::clone(&handler);
        let conn = http.serve_connection(
            io,
            hyper::service::service_fn(move |req| {
                let handler = Arc::clone(&handler);
                async move { Ok::<_, Infallible>(handler.respond(req).await) }
            }),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}
