//! The endpoint under load, as a benchmark (not a timed test): many concurrent keep-alive
//! scrapes, slow clients sending their headers one byte at a time, garbage requests, and
//! connections opened and abandoned, all at once for a while. It reports
//! - every well-formed request answered (it exits non-zero otherwise),
//! - the process's resident memory before, through and after the load,
//! - the hot path (`Counter::inc`, beside a bare atomic add, in the same run) without and
//!   with the load: nanoseconds per call over the recording thread's CPU time (what the load
//!   can change through caches and memory, not through time-sharing the two CPUs) and over
//!   wall time.
//!
//! `cargo bench -p metered-exporter --bench load` (`-- SECONDS` for another load duration).
#![allow(
    missing_docs,
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    reason = "a benchmark binary; counts and nanoseconds as f64 for ratios; short names"
)]

use metered_exporter::{Config, Exporter};
use metered_runtime_core::{HistogramConfig, Registry};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`), `None` elsewhere.
fn thread_cpu_nanos() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// The process's resident memory in KiB (`VmRSS`), 0 where unknown.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Nanoseconds per call of `f` over `n` calls: (CPU time, wall time), the median of 5 rounds.
fn per_call(n: u64, f: &dyn Fn()) -> (f64, f64) {
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    for _ in 0..5 {
        let (c0, w0) = (thread_cpu_nanos(), Instant::now());
        for _ in 0..n {
            f();
        }
        let w = w0.elapsed().as_nanos() as f64 / n as f64;
        let c = match (c0, thread_cpu_nanos()) {
            (Some(a), Some(b)) => (b - a) as f64 / n as f64,
            _ => w,
        };
        cpu.push(c);
        wall.push(w);
    }
    cpu.sort_by(f64::total_cmp);
    wall.sort_by(f64::total_cmp);
    (cpu[2], wall[2])
}

/// The hot path and its baseline: `(Counter::inc, bare atomic add)`, each `(cpu, wall)`.
fn hot_path(counter: &metered_runtime_core::Counter) -> ((f64, f64), (f64, f64)) {
    let atomic = AtomicU64::new(0);
    let n = 20_000_000;
    let inc = per_call(n, &|| black_box(counter).inc());
    let bare = per_call(n, &|| {
        black_box(&atomic).fetch_add(1, Ordering::Relaxed);
    });
    (inc, bare)
}

/// Reads one HTTP/1.1 response with a `Content-Length` body: its status code.
fn read_response(r: &mut BufReader<TcpStream>) -> Option<u16> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let code = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(code)
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    answered: AtomicU64,
}

impl Tally {
    fn report(&self, what: &str) -> bool {
        let (s, a) = (
            self.sent.load(Ordering::Relaxed),
            self.answered.load(Ordering::Relaxed),
        );
        println!("{what}: {s} sent, {a} answered with 200");
        s == a
    }
}

/// Scrapes `/metrics` over one keep-alive connection until `stop` (reconnecting if the server
/// closes it, which it does not while under its connection cap).
fn keep_alive_scraper(addr: SocketAddr, stop: &AtomicBool, t: &Tally) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(conn) = TcpStream::connect(addr) else {
            continue;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
        let mut w = conn.try_clone().expect("a clone of the socket");
        let mut r = BufReader::new(conn);
        while !stop.load(Ordering::Relaxed) {
            t.sent.fetch_add(1, Ordering::Relaxed);
            if w.write_all(b"GET /metrics HTTP/1.1\r\nHost: load\r\n\r\n")
                .is_err()
            {
                break;
            }
            match read_response(&mut r) {
                Some(200) => {
                    t.answered.fetch_add(1, Ordering::Relaxed);
                }
                _ => break,
            }
        }
    }
}

/// Sends a whole request one byte every `pause`, then reads the answer; again until `stop`.
fn slow_client(addr: SocketAddr, pause: Duration, stop: &AtomicBool, t: &Tally) {
    let request = b"GET /metrics HTTP/1.1\r\nHost: slow\r\nConnection: close\r\n\r\n";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut conn) = TcpStream::connect(addr) else {
            continue;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
        t.sent.fetch_add(1, Ordering::Relaxed);
        for b in request {
            let _ = conn.write_all(&[*b]);
            thread::sleep(pause);
        }
        if read_response(&mut BufReader::new(conn)) == Some(200) {
            t.answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sends bytes that are no HTTP request and reads whatever comes back; again until `stop`.
fn garbage_client(addr: SocketAddr, stop: &AtomicBool, count: &AtomicU64) {
    let junk: [&[u8]; 3] = [
        b"\x00\xff\xfe GARBAGE \x01\r\n\r\n",
        b"GET /metrics HTTP/9.9\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ];
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut conn) = TcpStream::connect(addr) {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = conn.write_all(junk[i % junk.len()]);
            let mut sink = Vec::new();
            let _ = conn.read_to_end(&mut sink);
            count.fetch_add(1, Ordering::Relaxed);
        }
        i += 1;
    }
}

/// Opens connections, sends part of a request and leaves them: the last 20 stay open and
/// silent, older ones are dropped; again until `stop`.
fn abandoner(addr: SocketAddr, stop: &AtomicBool, count: &AtomicU64) {
    let mut open = std::collections::VecDeque::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut conn) = TcpStream::connect(addr) {
            let _ = conn.write_all(b"GET /metr");
            count.fetch_add(1, Ordering::Relaxed);
            open.push_back(conn);
            if open.len() > 20 {
                open.pop_front();
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    // A registry of 1,000 counter series, 100 histograms and the hot path's counter.
    let r: &'static Registry = Box::leak(Box::new(Registry::new()));
    let f = r.counter_family("load.requests", &["id"]).unwrap();
    for i in 0..1000u64 {
        f.get(&[&i.to_string()]).unwrap().add(i);
    }
    for i in 0..100 {
        let h = r
            .histogram_with(
                &format!("load.latency{i}"),
                HistogramConfig::new().bounds(&[0.01, 0.1, 1.0]),
            )
            .unwrap();
        h.record(0.05).unwrap();
    }
    let counter = r.counter("load.hot").unwrap();
    let exporter = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(r)
            .max_connections(256)
            .header_read_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let addr = exporter.local_addr();

    let rss_before = rss_kib();
    let (inc0, bare0) = hot_path(&counter);

    let stop = Arc::new(AtomicBool::new(false));
    let scrapes = Arc::new(Tally::default());
    let slow = Arc::new(Tally::default());
    let garbage = Arc::new(AtomicU64::new(0));
    let abandoned = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for _ in 0..16 {
        let (stop, t) = (Arc::clone(&stop), Arc::clone(&scrapes));
        threads.push(thread::spawn(move || keep_alive_scraper(addr, &stop, &t)));
    }
    for _ in 0..8 {
        let (stop, t) = (Arc::clone(&stop), Arc::clone(&slow));
        threads.push(thread::spawn(move || {
            slow_client(addr, Duration::from_millis(20), &stop, &t);
        }));
    }
    for _ in 0..2 {
        let (stop, n) = (Arc::clone(&stop), Arc::clone(&garbage));
        threads.push(thread::spawn(move || garbage_client(addr, &stop, &n)));
    }
    for _ in 0..2 {
        let (stop, n) = (Arc::clone(&stop), Arc::clone(&abandoned));
        threads.push(thread::spawn(move || abandoner(addr, &stop, &n)));
    }
    let start = Instant::now();
    // The hot path while the load runs (after it has ramped up).
    thread::sleep(Duration::from_secs(1));
    let (inc1, bare1) = hot_path(&counter);
    // Resident memory through the load: it levels off (bounded), it does not keep growing.
    let mut rss_during = Vec::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        thread::sleep(
            Duration::from_secs(1)
                .min(Duration::from_secs(seconds).saturating_sub(start.elapsed())),
        );
        rss_during.push(rss_kib());
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let rss_after = rss_kib();
    exporter.shutdown();

    println!("load for {:.1} s on {addr}", start.elapsed().as_secs_f64());
    let all_scrapes = scrapes.report("keep-alive scrapes (16 connections)");
    let all_slow = slow.report("slow clients (8, one header byte per 20 ms)");
    println!(
        "garbage requests: {}; connections abandoned mid-request: {}",
        garbage.load(Ordering::Relaxed),
        abandoned.load(Ordering::Relaxed)
    );
    println!(
        "resident memory: {rss_before} KiB before, {rss_during:?} KiB each second of the load \
         after the first hot-path run, {rss_after} KiB after"
    );
    println!("hot path, ns per call (CPU time / wall time), in this run:");
    println!(
        "  without load: Counter::inc {:.2} / {:.2}, bare atomic add {:.2} / {:.2}, ratio {:.2}x",
        inc0.0,
        inc0.1,
        bare0.0,
        bare0.1,
        inc0.0 / bare0.0
    );
    println!(
        "  under load:   Counter::inc {:.2} / {:.2}, bare atomic add {:.2} / {:.2}, ratio {:.2}x",
        inc1.0,
        inc1.1,
        bare1.0,
        bare1.1,
        inc1.0 / bare1.0
    );
    if !(all_scrapes && all_slow) {
        eprintln!("a well-formed request went unanswered");
        std::process::exit(1);
    }
}
