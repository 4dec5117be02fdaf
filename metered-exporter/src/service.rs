//! Request handling: routing, methods, authentication, rendering.

use crate::Target;
use crate::auth::{Auth, constant_time_eq};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use metered_runtime_core::export::cache::ResponseCache;
use metered_runtime_core::export::render::Rendered;
use metered_runtime_core::export::{Options, render};
use std::convert::Infallible;
use std::sync::Arc;

pub(crate) struct Handler {
    registry: Target,
    options: Options,
    auth: Option<(Vec<u8>, &'static str)>,
    /// Whole responses kept for a while, if configured.
    cache: Option<Arc<ResponseCache>>,
}

/// A kept response's body, shared by every response that sends it.
struct SharedBody(Arc<Rendered>);

impl AsRef<[u8]> for SharedBody {
    fn as_ref(&self) -> &[u8] {
        &self.0.body
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl Handler {
    pub(crate) fn new(
        registry: Target,
        options: Options,
        auth: Option<&Auth>,
        cache: Option<ResponseCache>,
    ) -> Self {
        Handler {
            registry,
            options,
            auth: auth.map(|a| (a.expected_header(), a.challenge())),
            cache: cache.map(Arc::new),
        }
    }

    pub(crate) async fn handle<B>(
        &self,
        req: &Request<B>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(r);
        }
        if let Some((expected, challenge)) = &self.auth {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .map_or(&b""[..], HeaderValue::as_bytes);
            if !constant_time_eq(given, expected) {
                let mut r = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
                return Ok(r);
            }
        }
        let header_str = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let response = match req.uri().path() {
            "/metrics" => {
                let accept = header_str(header::ACCEPT);
                let encoding = header_str(header::ACCEPT_ENCODING);
                let registry = self.registry.clone();
                let options = self.options;
                let cache = self.cache.clone();
                let rendered = tokio::task::spawn_blocking(move || {
                    let (accept, encoding) = (accept.as_deref(), encoding.as_deref());
                    // The registry path: values read where they live, no snapshot.
                    if let Some(cache) = cache {
                        let kept = cache.render(&*registry, &options, accept, encoding);
                        let (ty, enc) = (kept.content_type, kept.content_encoding);
                        (ty, enc, Bytes::from_owner(SharedBody(kept)))
                    } else {
                        let r = render::render_with(&*registry, &options, accept, encoding);
                        (r.content_type, r.content_encoding, Bytes::from(r.body))
                    }
                })
                .await;
                let Ok((content_type, content_encoding, body)) = rendered else {
                    return Ok(text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rendering failed\n",
                    ));
                };
                let mut r = Response::new(Full::new(body));
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                if let Some(enc) = content_encoding {
                    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
                }
                h.insert(
                    header::VARY,
                    HeaderValue::from_static("Accept, Accept-Encoding"),
                );
                r
            }
            "/stats" => {
                let registry = self.registry.clone();
                // `?form=flat`: the flat view (one key per dotted name); the nested otherwise.
                let flat = req
                    .uri()
                    .query()
                    .is_some_and(|q| q.split('&').any(|p| p == "form=flat"));
                let Ok(json) = tokio::task::spawn_blocking(move || {
                    let snapshot = registry.snapshot();
                    if flat {
                        snapshot.to_flat_json()
                    } else {
                        snapshot.to_json()
                    }
                })
                .await
                else {
                    return Ok(text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rendering failed\n",
                    ));
                };
                let mut r = Response::new(Full::new(Bytes::from(json)));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r
            }
            _ => text(StatusCode::NOT_FOUND, "not found; try /metrics or /stats\n"),
        };
        // hyper sends no body in answer to HEAD, and keeps the body's Content-Length.
        Ok(response)
    }
}

impl crate::server::Handle for Handler {
    async fn respond(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        match self.handle(&req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}
