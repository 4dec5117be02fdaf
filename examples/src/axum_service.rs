//! An axum service whose handler types carry per-type metrics from the macros, and which
//! serves `/metrics` from its own router through `metered_runtime::export::render`.
//!
//! Run with `cargo run -p examples --bin axum_service -- --listen 127.0.0.1:3000`, then
//! `curl 127.0.0.1:3000/users/7` and `curl 127.0.0.1:3000/metrics`. Stops on Ctrl-C.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metered_runtime::export::render;
use metered_runtime::{HasMetrics, Metered, metered, metric_set, registry};

metric_set! {
    /// What every route handler records.
    #[metrics(type_label)]
    pub Route {
        /// Time spent handling a request.
        latency: Timer = "shop.routes.{}.latency",
        /// Requests that failed.
        errors: Counter = "shop.routes.{}.errors",
    }
}

/// A route handler: `handle` records into the implementing type's own metrics.
trait Handler: HasMetrics<Route> {
    fn handle(&self, id: u32) -> Result<String, String> {
        let _t = self.metrics().latency.time();
        self.respond(id)
            .inspect_err(|_| self.metrics().errors.inc())
    }
    fn respond(&self, id: u32) -> Result<String, String>;
}

#[derive(Metered)]
#[metrics(set = Route)]
struct Users;

impl Handler for Users {
    fn respond(&self, id: u32) -> Result<String, String> {
        Ok(format!("user {id}\n"))
    }
}

#[derive(Metered)]
#[metrics(set = Route)]
struct Orders;

impl Handler for Orders {
    fn respond(&self, id: u32) -> Result<String, String> {
        if id.is_multiple_of(3) {
            Err(format!("order {id} not found\n"))
        } else {
            Ok(format!("order {id}\n"))
        }
    }
}

/// A store with call counts, latency, errors and in-flight per method from `#[metered]`.
struct Stock {
    max_id: u32,
}

#[metered(name = "shop.stock.{fn}")]
impl Stock {
    fn reserve(&self, id: u32) -> Result<u32, String> {
        if id > self.max_id {
            return Err(format!("no item {id}"));
        }
        Ok(id % 7)
    }
}

fn reply(r: Result<String, String>) -> Response {
    match r {
        Ok(body) => body.into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e).into_response(),
    }
}

async fn user(Path(id): Path<u32>) -> Response {
    reply(Users.handle(id))
}

async fn order(Path(id): Path<u32>) -> Response {
    let _ = Stock { max_id: 1000 }.reserve(id);
    reply(Orders.handle(id))
}

/// `/metrics` from the service's own router: the format negotiated from `Accept`, gzip when
/// `Accept-Encoding` asks for it.
async fn metrics(headers: HeaderMap) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let out = render(
        registry(),
        header(header::ACCEPT),
        header(header::ACCEPT_ENCODING),
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, out.content_type),
            (header::VARY, "Accept, Accept-Encoding"),
        ],
        out.body,
    )
        .into_response();
    if let Some(enc) = out.content_encoding {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static(enc),
        );
    }
    response
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/orders/{id}", get(order))
        .route("/metrics", get(metrics))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (None, _) => "127.0.0.1:3000".to_owned(),
        (Some("--listen"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: axum_service [--listen 127.0.0.1:PORT]");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {addr}: {e}");
            std::process::exit(1);
        }
    };
    // The process's figures, computed at each scrape beside the handlers' metrics.
    if let Err(e) = registry().register_collector(
        "process",
        metered_runtime::collector::ProcessCollector::new(),
    ) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    println!("listening on http://{addr} (/users/ID, /orders/ID, /metrics)");
    let served = axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    if let Err(e) = served {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
