//! Unit tests of the parent module.

use super::*;
use crate::delta::ReportValue;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Default)]
struct Fake {
    up: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<u64>>>,
    attempts: Arc<Mutex<u64>>,
}

impl Sink for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn encode(&mut self, r: &Report) -> Encoded {
        let n = match r.get("a.c").map(|m| &m.value) {
            Some(ReportValue::Counter(n)) => *n,
            _ => u64::MAX,
        };
        Encoded {
            payloads: vec![n.to_le_bytes().to_vec()],
            dropped: 0,
        }
    }
    fn send(&mut self, p: &[u8]) -> Result<(), SendError> {
        *self.attempts.lock().unwrap() += 1;
        if !self.up.load(Ordering::SeqCst) {
            return Err(SendError::retry("connection refused"));
        }
        self.got
            .lock()
            .unwrap()
            .push(u64::from_le_bytes(p.try_into().unwrap()));
        Ok(())
    }
}

fn setup() -> (Arc<Registry>, Handle<Counter>, Fake) {
    let r = Arc::new(Registry::new());
    let c = r.counter("a.c").unwrap();
    let f = Fake::default();
    f.up.store(true, Ordering::SeqCst);
    (r, c, f)
}

#[test]
fn failures_are_buffered_counted_logged_once_and_resent() {
    let (r, c, f) = setup();
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let rep = Reporter::builder(r.clone(), f.clone())
        .interval(Duration::from_hours(1))
        .buffer(3)
        .backoff(Duration::from_hours(1), Duration::from_hours(1))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .self_metrics(r.clone())
        .start()
        .unwrap();
    c.add(1);
    rep.report_now();
    f.up.store(false, Ordering::SeqCst);
    for n in [2, 3, 4, 5] {
        c.add(n);
        rep.report_now();
    }
    // Four reports while down: buffer of 3 keeps the last three, dropped one.
    assert_eq!(
        rep.stats(),
        Stats {
            reports: 5,
            sent: 1,
            failures: 4,
            dropped: 1
        }
    );
    assert_eq!(logs.lock().unwrap().len(), 1, "{:?}", logs.lock().unwrap());
    assert!(logs.lock().unwrap()[0].starts_with("fake: send failed: connection refused"));
    f.up.store(true, Ordering::SeqCst);
    c.add(6);
    let stats = rep.stop();
    assert_eq!(*f.got.lock().unwrap(), [1, 4, 5, 6]);
    assert_eq!(
        stats,
        Stats {
            reports: 6,
            sent: 4,
            failures: 4,
            // The final report found the buffer full again and dropped `3`.
            dropped: 2
        }
    );
    assert_eq!(logs.lock().unwrap().len(), 2);
    assert_eq!(logs.lock().unwrap()[1], "fake: sending again");
    // The self-metrics live in the named registry.
    assert_eq!(
        r.find::<Counter>("metered.push.fake.failures")
            .unwrap()
            .unwrap()
            .get(),
        4
    );
}

#[test]
fn scheduled_reports_and_backoff_retries_happen_on_their_own() {
    let (r, c, f) = setup();
    f.up.store(false, Ordering::SeqCst);
    let rep = Reporter::builder(r, f.clone())
        .interval(Duration::from_millis(20))
        .backoff(Duration::from_millis(1), Duration::from_millis(4))
        .log(|_| {})
        .start()
        .unwrap();
    c.add(7);
    let until = Instant::now() + Duration::from_secs(10);
    while rep.stats().reports < 5 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(rep.stats().reports >= 5);
    f.up.store(true, Ordering::SeqCst);
    let stats = rep.stop();
    let got = f.got.lock().unwrap().clone();
    // Every increment arrives once: the sum of what was sent is what was counted.
    assert_eq!(got.iter().sum::<u64>(), 7, "{got:?}");
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.sent, stats.reports);
    assert!(stats.failures >= 1);
}

#[test]
fn two_reporters_on_one_registry_each_send_their_own_increments() {
    let (r, c, fast) = setup();
    let slow = Fake::default();
    slow.up.store(true, Ordering::SeqCst);
    let a = Reporter::builder(r.clone(), fast.clone()).start().unwrap();
    let b = Reporter::builder(r.clone(), slow.clone()).start().unwrap();
    c.add(1);
    a.report_now();
    c.add(2);
    a.report_now();
    b.report_now();
    c.add(4);
    let _ = a.stop();
    let _ = b.stop();
    assert_eq!(*fast.got.lock().unwrap(), [1, 2, 4]);
    assert_eq!(*slow.got.lock().unwrap(), [3, 4]);
}

#[test]
fn a_panicking_sink_is_a_failure_not_a_crash() {
    struct Bad;
    impl Sink for Bad {
        fn name(&self) -> &'static str {
            "bad"
        }
        fn encode(&mut self, _: &Report) -> Encoded {
            Encoded {
                payloads: vec![vec![1]],
                dropped: 2,
            }
        }
        fn send(&mut self, _: &[u8]) -> Result<(), SendError> {
            panic!("boom")
        }
    }
    let rep = Reporter::builder(Arc::new(Registry::new()), Bad)
        .log(|_| {})
        .start()
        .unwrap();
    rep.report_now();
    let s = rep.stop();
    // 2 + 2 left out by the encoder, and the two payloads never sent when it stopped.
    assert_eq!(
        (s.reports, s.failures, s.sent, s.dropped),
        (2, 2, 0, 2 + 2 + 2)
    );
}

#[test]
fn a_taken_self_metric_name_is_an_error() {
    let r = Arc::new(Registry::new());
    r.gauge("metered.push.fake.failures").unwrap();
    let err = Reporter::builder(r.clone(), Fake::default())
        .self_metrics(r)
        .start()
        .unwrap_err();
    assert!(
        err.to_string().contains("metered.push.fake.failures"),
        "{err}"
    );
}

/// Fails every send with a `Retry-After` of an hour.
struct Busy {
    attempts: Arc<Mutex<u64>>,
}

impl Sink for Busy {
    fn name(&self) -> &'static str {
        "busy"
    }
    fn encode(&mut self, _: &Report) -> Encoded {
        Encoded {
            payloads: vec![vec![1]],
            dropped: 0,
        }
    }
    fn send(&mut self, _: &[u8]) -> Result<(), SendError> {
        *self.attempts.lock().unwrap() += 1;
        Err(SendError::retry("HTTP 429").with_retry_after(Duration::from_hours(1)))
    }
}

#[test]
fn retry_after_outlasts_a_shorter_backoff() {
    let attempts = Arc::new(Mutex::new(0));
    let counters = Counters::new("busy", None).unwrap();
    let mut out = Outbox::new(
        Busy {
            attempts: attempts.clone(),
        },
        4,
        (Duration::from_millis(1), Duration::from_millis(2)),
        Arc::new(|_| {}),
        counters.clone(),
    );
    let empty = Registry::new().snapshot();
    let report = DeltaState::new().report(&empty, SystemTime::now());
    let encoded = out.sink.encode(&report);
    out.push(encoded);
    out.flush(false);
    assert_eq!(*attempts.lock().unwrap(), 1);
    let far = Instant::now() + Duration::from_hours(2);
    let wake = out.wake(far);
    assert!(
        wake > Instant::now() + Duration::from_mins(59),
        "retry asked in an hour"
    );
    std::thread::sleep(Duration::from_millis(5));
    // The 1 ms backoff has passed, the server's hour has not: no attempt.
    out.flush(false);
    assert_eq!(*attempts.lock().unwrap(), 1);
    assert_eq!(counters.stats().failures, 1);
    // A forced flush (report_now, stop) still tries.
    out.flush(true);
    assert_eq!(*attempts.lock().unwrap(), 2);
}
