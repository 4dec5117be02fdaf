//! The endpoint over real TCP connections: routes, methods, auth, negotiation, gzip, timeouts,
//! the connection cap, slow and abandoned clients, bind errors and shutdown.

use metered_exporter::{Auth, Config, Error, Exporter};
use metered_runtime_core::Registry;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn registry() -> &'static Registry {
    let r: &'static Registry = Box::leak(Box::new(Registry::new()));
    r.counter("jobs.done").unwrap().add(2);
    r.gauge("queue.depth").unwrap().set(5);
    r
}

fn start(config: Config) -> Exporter {
    Exporter::start(
        config
            .address("127.0.0.1:0".parse().unwrap())
            .registry(registry()),
    )
    .unwrap()
}

/// Sends `request` on a fresh connection and reads the whole response (the server closes).
fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn get(addr: SocketAddr, path: &str, headers: &str) -> String {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n"),
    )
}

fn status(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

#[test]
fn routes_methods_and_content_types() {
    let e = start(Config::new());
    let addr = e.local_addr();
    let metrics = get(addr, "/metrics", "");
    assert_eq!(status(&metrics), "HTTP/1.1 200 OK");
    assert!(metrics.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert!(metrics.contains("\r\n\r\n# HELP jobs_done_total jobs.done (counter)\n"));
    assert!(metrics.contains("\njobs_done_total 2\n"));

    let om = get(
        addr,
        "/metrics",
        "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n",
    );
    assert!(
        om.contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n")
    );
    assert!(om.ends_with("# EOF\n"));

    let stats = get(addr, "/stats", "");
    assert!(stats.contains("content-type: application/json\r\n"));
    assert!(stats.ends_with(r#"{"jobs":{"done":{"value":2}},"queue":{"depth":{"value":5}}}"#));
    let flat = get(addr, "/stats?form=flat", "");
    assert!(flat.contains("content-type: application/json\r\n"));
    assert!(flat.ends_with(r#"{"jobs.done":{"value":2},"queue.depth":{"value":5}}"#));

    assert_eq!(status(&get(addr, "/nope", "")), "HTTP/1.1 404 Not Found");
    let post = exchange(
        addr,
        "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status(&post), "HTTP/1.1 405 Method Not Allowed");
    assert!(post.contains("allow: GET, HEAD\r\n"));

    let head = exchange(
        addr,
        "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, metrics.split("\r\n\r\n").nth(1).unwrap().len());
    assert!(head.ends_with("\r\n\r\n"), "no body after HEAD: {head:?}");
    e.shutdown();
}

#[test]
fn gzip_on_request() {
    let e = start(Config::new());
    let mut conn = TcpStream::connect(e.local_addr()).unwrap();
    conn.write_all(
        b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n",
    )
    .unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]);
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: Accept, Accept-Encoding"), "{head}");
    assert_eq!(&out[split + 4..split + 6], [0x1f, 0x8b]); // the gzip magic number
    e.shutdown();
}

#[test]
fn bearer_and_basic_auth() {
    let e = start(Config::new().auth(Auth::Bearer("s3cret".into())));
    let addr = e.local_addr();
    let refused = get(addr, "/metrics", "");
    assert_eq!(status(&refused), "HTTP/1.1 401 Unauthorized");
    assert!(refused.contains("www-authenticate: Bearer realm=\"metrics\"\r\n"));
    assert_eq!(
        status(&get(addr, "/metrics", "Authorization: Bearer s3cre\r\n")),
        "HTTP/1.1 401 Unauthorized"
    );
    assert_eq!(
        status(&get(addr, "/metrics", "Authorization: Bearer s3cret\r\n")),
        "HTTP/1.1 200 OK"
    );
    e.shutdown();

    let e = start(Config::new().auth(Auth::Basic {
        user: "prom".into(),
        password: "pw".into(),
    }));
    let addr = e.local_addr();
    // base64("prom:pw") = "cHJvbTpwdw=="
    assert_eq!(
        status(&get(
            addr,
            "/stats",
            "Authorization: Basic cHJvbTpwdw==\r\n"
        )),
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        status(&get(
            addr,
            "/stats",
            "Authorization: Basic cHJvbTpwdx==\r\n"
        )),
        "HTTP/1.1 401 Unauthorized"
    );
    e.shutdown();
}

#[test]
fn slow_and_abandoned_clients_hold_up_nobody() {
    let e = start(Config::new().header_read_timeout(Duration::from_millis(500)));
    let addr = e.local_addr();
    // Clients that send part of a request and stall, or connect and send nothing.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost:").unwrap();
    let _silent: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let started = Instant::now();
    assert_eq!(status(&get(addr, "/metrics", "")), "HTTP/1.1 200 OK");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    // The stalled client is cut off by the header-read timeout.
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let cut = started.elapsed();
    assert!(
        cut >= Duration::from_millis(400) && cut < Duration::from_secs(4),
        "{cut:?}"
    );
    e.shutdown();
}

#[test]
fn oversized_headers_are_refused() {
    let e = start(Config::new().max_header_bytes(8192));
    let big = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let mut conn = TcpStream::connect(e.local_addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: t\r\n{big}\r\n");
    let _ = conn.write_all(request.as_bytes());
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "{text}"
    );
    assert!(!text.contains("jobs_done_total"));
    // The endpoint still answers others.
    assert_eq!(
        status(&get(e.local_addr(), "/metrics", "")),
        "HTTP/1.1 200 OK"
    );
    e.shutdown();
}

#[test]
fn connections_beyond_the_cap_are_closed() {
    let e = start(Config::new().max_connections(2));
    let addr = e.local_addr();
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = third.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let mut out = Vec::new();
    let _ = third.read_to_end(&mut out);
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(status(&get(addr, "/metrics", "")), "HTTP/1.1 200 OK");
    e.shutdown();
}

#[test]
fn bind_errors_are_errors_and_shutdown_frees_the_port() {
    let e = start(Config::new());
    let addr = e.local_addr();
    match Exporter::start(Config::new().address(addr)) {
        Err(err @ Error::Bind { .. }) => {
            assert!(
                err.to_string()
                    .starts_with(&format!("cannot bind the metrics endpoint to {addr}: ")),
                "{err}"
            );
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
    e.shutdown();
    assert!(TcpStream::connect(addr).is_err());
    let again = Exporter::start(Config::new().address(addr).registry(registry())).unwrap();
    assert_eq!(status(&get(addr, "/metrics", "")), "HTTP/1.1 200 OK");
    again.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_the_programs_runtime() {
    let e = start(Config::new());
    let addr = e.local_addr();
    let response = tokio::task::spawn_blocking(move || get(addr, "/metrics", ""))
        .await
        .unwrap();
    assert_eq!(status(&response), "HTTP/1.1 200 OK");
    tokio::task::spawn_blocking(move || e.shutdown())
        .await
        .unwrap();
}

#[test]
fn the_registry_s_collectors_are_served() {
    use metered_runtime_core::collector::Collection;
    let registry = std::sync::Arc::new(Registry::new());
    registry
        .register_collector("pools", |out: &mut Collection| {
            out.gauge("workers", "Workers.", &["state"])?
                .set(&[("state", "idle")], 2)?;
            Ok(())
        })
        .unwrap();
    registry
        .register_collector("db", |_: &mut Collection| Err("database away".into()))
        .unwrap();
    let e = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .shared_registry(registry),
    )
    .unwrap();
    let metrics = get(e.local_addr(), "/metrics", "");
    for line in [
        "\nworkers{state=\"idle\"} 2\n",
        "\nmetered_collector_errors_total{collector=\"db\"} 1\n",
        "\nmetered_collector_errors_total{collector=\"pools\"} 0\n",
        "\nmetered_export_problems{reason=\"collector_failed\"} 1\n",
    ] {
        assert!(metrics.contains(line), "{line:?} in {metrics}");
    }
    let stats = get(e.local_addr(), "/stats", "");
    assert!(
        stats.contains(r#""failure":{"collector=db":{"error":"database away"}}"#),
        "{stats}"
    );
    e.shutdown();
}

/// Reads one HTTP/1.1 response with a `content-length` from a keep-alive connection.
fn read_response(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))?
        .trim()
        .parse()
        .ok()?;
    let mut body = vec![0; len];
    conn.read_exact(&mut body).ok()?;
    Some((head, body))
}

#[test]
fn under_load_every_well_formed_request_is_answered() {
    let e = start(Config::new().header_read_timeout(Duration::from_millis(300)));
    let addr = e.local_addr();
    // Hostile clients: garbage, headers one byte at a time, connections opened and abandoned.
    let hostile: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let Ok(mut c) = TcpStream::connect(addr) else {
                    return;
                };
                match i % 3 {
                    0 => {
                        let _ = c.write_all(b"\x16\x03\x01 not http at all\r\n\r\n");
                    }
                    1 => {
                        for b in b"GET /metrics HTTP/1.1\r\nHost: t\r\n" {
                            let _ = c.write_all(&[*b]);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    _ => std::thread::sleep(Duration::from_millis(500)),
                }
            })
        })
        .collect();
    // Keep-alive scrapers: 8 connections, 25 requests each.
    let scrapers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut ok = 0;
                for _ in 0..25 {
                    c.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
                        .unwrap();
                    let (head, body) = read_response(&mut c).unwrap();
                    if head.starts_with("HTTP/1.1 200 OK")
                        && String::from_utf8_lossy(&body).contains("\njobs_done_total 2\n")
                    {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let answered: usize = scrapers.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(answered, 8 * 25);
    for t in hostile {
        t.join().unwrap();
    }
    e.shutdown();
}

#[test]
fn whole_responses_are_reused_for_the_configured_time() {
    let r: &'static Registry = Box::leak(Box::new(Registry::new()));
    let jobs = r.counter("jobs.done").unwrap();
    jobs.add(2);
    let cached = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(r)
            .cache_responses(Duration::from_hours(1)),
    )
    .unwrap();
    let fresh = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(r),
    )
    .unwrap();
    let om = "Accept: application/openmetrics-text\r\n";
    assert!(get(cached.local_addr(), "/metrics", "").contains("\njobs_done_total 2\n"));
    jobs.add(1);
    // Kept: the same text as the first scrape, for the same format...
    let again = get(cached.local_addr(), "/metrics", "");
    assert!(again.contains("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert!(again.contains("\njobs_done_total 2\n"), "{again}");
    // ... while another format is rendered now, and then kept too.
    assert!(get(cached.local_addr(), "/metrics", om).contains("\njobs_done_total 3\n"));
    jobs.add(1);
    assert!(get(cached.local_addr(), "/metrics", om).contains("\njobs_done_total 3\n"));
    // Without the cache every scrape reads the registry.
    assert!(get(fresh.local_addr(), "/metrics", "").contains("\njobs_done_total 4\n"));
    cached.shutdown();
    fresh.shutdown();
}
