//! Runs the code `#[metered]` generates: counts, errors, in-flight on every exit path.
#![allow(
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    reason = "the instrumented methods are shaped to exercise the macro, not to be idiomatic"
)]

use metered_runtime::{metered, registry};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

fn count(name: &str) -> u64 {
    match registry().get(name).map(|e| e.metric().clone()) {
        Some(metered_runtime::MetricRef::Timer(t)) => t.count(),
        Some(metered_runtime::MetricRef::Meter(m)) => m.count(),
        other => panic!("{name}: {other:?}"),
    }
}

fn in_flight(name: &str) -> i64 {
    match registry().get(name).map(|e| e.metric().clone()) {
        Some(metered_runtime::MetricRef::UpDownCounter(g)) => g.get(),
        other => panic!("{name}: {other:?}"),
    }
}

/// Polls a future to completion on this thread (the tests' futures never wait).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[derive(Debug)]
struct Failure;

struct Db {
    rows: Vec<u32>,
}

#[metered(type_label)]
impl Db {
    fn get(&self, i: usize) -> Result<u32, Failure> {
        let v = self.rows.get(i).ok_or(Failure)?;
        Ok(*v)
    }

    fn insert(&mut self, v: u32) {
        self.rows.push(v);
        self.touch();
    }

    fn touch(&mut self) {}

    fn lookup(&self, v: u32) -> Option<usize> {
        self.rows.iter().position(|&r| r == v)
    }

    #[metered(error = Option::is_none)]
    fn find(&self, v: u32) -> Option<usize> {
        self.rows.iter().position(|&r| r == v)
    }

    fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter().copied()
    }

    fn first<T: From<u32>>(&self) -> T {
        T::from(self.rows[0])
    }

    fn explode(&self) -> u32 {
        panic!("boom")
    }

    async fn load(&self, pending: bool) -> Result<u32, Failure> {
        if pending {
            std::future::pending::<()>().await;
        }
        Err(Failure)
    }

    #[metered(skip)]
    fn untracked(&self) -> usize {
        self.rows.len()
    }
}

#[test]
fn sync_methods() {
    assert!(
        registry().get("Db.get.latency").is_some(),
        "registered before any call"
    );
    let mut db = Db { rows: vec![] };
    db.insert(4);
    db.insert(5);
    assert_eq!(count("Db.insert.latency"), 2);
    assert_eq!(count("Db.touch.latency"), 2);
    assert_eq!(db.get(0).unwrap(), 4);
    assert!(db.get(9).is_err()); // `?` path
    assert_eq!(count("Db.get.latency"), 2);
    assert_eq!(count("Db.get.errors"), 1);
    assert_eq!(db.find(7), None);
    assert_eq!(
        count("Db.find.errors"),
        1,
        "`None` is an error where the fn says so"
    );
    assert_eq!(db.lookup(7), None);
    assert_eq!(count("Db.lookup.latency"), 1);
    assert_eq!(
        count("Db.lookup.errors"),
        0,
        "`None` is not an error by default"
    );
    assert_eq!(db.values().sum::<u32>(), 9);
    assert_eq!(db.first::<u64>(), 4);
    assert_eq!(db.untracked(), 2);
    assert!(registry().get("Db.untracked.latency").is_none());
    assert_eq!(in_flight("Db.get.in_flight"), 0);
    let tl = registry()
        .get("Db.get.latency")
        .unwrap()
        .type_label()
        .unwrap();
    assert_eq!((tl.family, tl.value), ("get.latency", "Db"));
}

#[test]
fn panic_is_recorded() {
    let db = Db { rows: vec![1] };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.explode()));
    assert!(r.is_err());
    assert_eq!(count("Db.explode.latency"), 1);
    assert_eq!(count("Db.explode.errors"), 1);
    assert_eq!(in_flight("Db.explode.in_flight"), 0);
}

#[test]
fn async_completed_and_dropped() {
    let db = Db { rows: vec![] };
    assert!(block_on(db.load(false)).is_err());
    assert_eq!(count("Db.load.errors"), 1);
    {
        let mut fut = Box::pin(db.load(true));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(in_flight("Db.load.in_flight"), 1);
    }
    assert_eq!(in_flight("Db.load.in_flight"), 0);
    // The guards start on the first poll, not at the call: a future never polled records
    // nothing, not even when dropped.
    let unpolled = db.load(true);
    assert_eq!(in_flight("Db.load.in_flight"), 0, "starts on first poll");
    drop(unpolled);
    assert_eq!(count("Db.load.latency"), 2);
    assert_eq!(
        count("Db.load.errors"),
        1,
        "a dropped future is not an error"
    );
}

trait Store {
    fn size(&self) -> usize;
}

#[metered(name = "store.{type_snake}.{trait}.{fn}")]
impl Store for Db {
    fn size(&self) -> usize {
        self.rows.len()
    }
}

fn is_negative(v: &i32) -> bool {
    *v < 0
}

#[metered(error = is_negative)]
fn parse_signed(s: &str) -> i32 {
    s.parse().unwrap_or(-1)
}

#[test]
fn trait_impls_and_free_fns() {
    assert_eq!(Db { rows: vec![1] }.size(), 1);
    assert_eq!(count("store.db.Store.size.latency"), 1);
    assert_eq!(parse_signed("x"), -1);
    assert_eq!(parse_signed("3"), 3);
    assert_eq!(count("metered.parse_signed.latency"), 2);
    assert_eq!(count("metered.parse_signed.errors"), 1);
}

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self) -> Result<u8, Failure>;
}

struct Outer;
struct Inner;

// `#[metered]` first: it sees the `async fn` and times the whole future.
#[metered]
#[async_trait::async_trait]
impl Fetch for Outer {
    async fn fetch(&self) -> Result<u8, Failure> {
        Err(Failure)
    }
}

// `#[async_trait]` first: `#[metered]` finds the `Box::pin(async move { .. })` it made.
#[async_trait::async_trait]
#[metered]
impl Fetch for Inner {
    async fn fetch(&self) -> Result<u8, Failure> {
        Ok(1)
    }
}

#[test]
fn async_trait_both_orders() {
    assert!(block_on(Outer.fetch()).is_err());
    assert_eq!(block_on(Inner.fetch()).unwrap(), 1);
    assert_eq!(count("Outer.fetch.latency"), 1);
    assert_eq!(count("Outer.fetch.errors"), 1);
    assert_eq!(count("Inner.fetch.latency"), 1);
    assert_eq!(count("Inner.fetch.errors"), 0);
    let fut = Inner.fetch();
    assert_eq!(
        in_flight("Inner.fetch.in_flight"),
        0,
        "starts on first poll"
    );
    drop(fut);
}
