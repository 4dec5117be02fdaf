//! Registry integration: inventory collection in this test crate, get-or-create, conflicts,
//! the explicit registration path, the global one-liners, typed look-ups.
#![allow(clippy::float_cmp, reason = "the expected values are exact")]

use metered_runtime::__private::{Registration, submit};
use metered_runtime::{
    Counter, Descriptor, Error, MetricKind, Registry, StaticMetric, Timer, Unit, registry,
};
use std::sync::Arc;

static DECLARED: Counter = Counter::new();
static DECLARED_DESC: Descriptor = Descriptor::new(
    "test_registry.declared.jobs",
    StaticMetric::Counter(&DECLARED),
)
.help("Jobs seen.")
.location(module_path!(), file!(), line!());
submit! { Registration(&DECLARED_DESC) }

// Two statics rendering one name, as two types in different modules could.
mod first {
    pub static T: metered_runtime::Timer = metered_runtime::Timer::new();
    pub static D: metered_runtime::Descriptor = metered_runtime::Descriptor::new(
        "test_registry.clash.latency",
        metered_runtime::StaticMetric::Timer(&T),
    )
    .location(module_path!(), file!(), line!());
    metered_runtime::__private::submit! { metered_runtime::__private::Registration(&D) }
}
mod second {
    pub static T: metered_runtime::Timer = metered_runtime::Timer::new();
    pub static D: metered_runtime::Descriptor = metered_runtime::Descriptor::new(
        "test_registry.clash.latency",
        metered_runtime::StaticMetric::Timer(&T),
    )
    .location(module_path!(), file!(), line!());
    metered_runtime::__private::submit! { metered_runtime::__private::Registration(&D) }
}

#[test]
fn static_metrics_of_this_crate_are_listed_before_use() {
    // Nothing has touched DECLARED yet, and the global registry lists it with its metadata.
    let e = registry()
        .get("test_registry.declared.jobs")
        .expect("collected through inventory");
    assert_eq!(e.kind(), MetricKind::Counter);
    assert_eq!(e.help(), "Jobs seen.");
    assert_eq!(e.unit(), Unit::None);
    assert!(
        e.origin().to_string().contains("test_registry.rs"),
        "{}",
        e.origin()
    );
    // By-name access reaches the very static.
    DECLARED.add(4);
    assert_eq!(
        registry()
            .counter("test_registry.declared.jobs")
            .unwrap()
            .get(),
        4
    );
}

#[test]
fn self_check_tells_inventory_works_and_reports_the_clash_with_both_locations() {
    let check = metered_runtime::self_check();
    assert!(check.inventory_works);
    assert!(check.static_metrics >= 3);
    let clash = check
        .problems
        .iter()
        .find_map(|p| match p {
            Error::Duplicate {
                name,
                first,
                second,
            } if name == "test_registry.clash.latency" => Some((first, second)),
            _ => None,
        })
        .expect("the clash is reported");
    let both = format!("{} {}", clash.0, clash.1);
    assert!(
        both.contains("test_registry::first") && both.contains("test_registry::second"),
        "{both}"
    );
    // The first one collected stays registered; the other keeps working on its own.
    assert_eq!(
        registry()
            .get("test_registry.clash.latency")
            .unwrap()
            .kind(),
        MetricKind::Timer
    );
}

#[test]
fn explicit_registration_path() {
    static OTHER: Timer = Timer::new();
    static D2: Descriptor = Descriptor::new("explicit.db.latency", StaticMetric::Timer(&OTHER));
    static T: Timer = Timer::new();
    static D: Descriptor =
        Descriptor::new("explicit.db.latency", StaticMetric::Timer(&T)).help("DB time.");
    let r = Registry::new();
    r.register(&D).unwrap();
    r.register(&D).unwrap(); // idempotent for the same static
    let e = r.get("explicit.db.latency").unwrap();
    assert_eq!(
        (e.kind(), e.unit(), e.help()),
        (MetricKind::Timer, Unit::Seconds, "DB time.")
    );
    assert!(matches!(r.register(&D2), Err(Error::Duplicate { .. })));
}

#[test]
fn get_or_create_and_conflicts_name_both_sides() {
    let r = Registry::new();
    let a = r.meter("svc.calls").unwrap();
    assert!(a.ptr_eq(&r.meter("svc.calls").unwrap()));
    assert_eq!(
        r.timer("svc.calls").unwrap_err().to_string(),
        r#"metric "svc.calls" is registered as a meter, not a timer"#
    );
    assert_eq!(
        r.counter("svc.calls.ok").unwrap_err().to_string(),
        r#"metric name "svc.calls.ok" overlaps the registered name "svc.calls": one is a dotted prefix of the other"#
    );
    assert_eq!(
        r.counter("svc").unwrap_err().to_string(),
        r#"metric name "svc" overlaps the registered name "svc.calls": one is a dotted prefix of the other"#
    );
    assert!(
        r.counter("svc.callsx").is_ok(),
        "a prefix must end at a dot to overlap"
    );
    assert!(matches!(
        r.counter("bad..name"),
        Err(Error::InvalidName { .. })
    ));
    assert!(matches!(
        r.counter("tab\tname"),
        Err(Error::InvalidName { .. })
    ));
    // A failed request registers nothing.
    assert_eq!(r.names(), ["svc.calls", "svc.callsx"]);
}

#[test]
fn families_in_the_registry() {
    let r = Registry::new();
    let f = r
        .counter_family("work.requests", &["task_type", "status"])
        .unwrap();
    f.get(&["build", "ok"]).unwrap().inc();
    assert!(Arc::ptr_eq(
        &f,
        &r.counter_family("work.requests", &["task_type", "status"])
            .unwrap()
    ));
    assert!(matches!(
        r.counter_family("work.requests", &["status"]),
        Err(Error::InvalidLabel { .. })
    ));
    assert!(matches!(
        r.counter("work.requests"),
        Err(Error::KindMismatch { .. } | Error::InvalidLabel { .. })
    ));
    assert!(matches!(
        r.timer_family("work.requests", &["task_type", "status"]),
        Err(Error::KindMismatch { .. })
    ));
    assert!(matches!(
        r.counter_family("bad.keys", &["a-b"]),
        Err(Error::InvalidLabel { .. })
    ));
    assert!(
        r.get("bad.keys").is_none(),
        "a rejected family is not registered"
    );
    let s = r.snapshot();
    let child = &s.metrics()[0];
    assert_eq!(
        child.labels,
        vec![
            ("task_type".into(), "build".into()),
            ("status".into(), "ok".into())
        ]
    );
}

#[test]
fn independent_registries_do_not_share() {
    let a = Registry::new();
    let b = Registry::new();
    a.counter("x").unwrap().inc();
    assert_eq!(b.counter("x").unwrap().get(), 0);
}

#[test]
fn one_liners_lose_no_update_across_threads() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..5_000 {
                    metered_runtime::incr("test_registry.oneliner.hits", 1).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        registry()
            .counter("test_registry.oneliner.hits")
            .unwrap()
            .get(),
        20_000
    );
    metered_runtime::set("test_registry.oneliner.temp", 21.5).unwrap();
    assert_eq!(
        registry()
            .float_gauge("test_registry.oneliner.temp")
            .unwrap()
            .get(),
        21.5
    );
    assert!(metered_runtime::set("test_registry.oneliner.temp", f64::NAN).is_err());
    assert_eq!(
        registry()
            .float_gauge("test_registry.oneliner.temp")
            .unwrap()
            .get(),
        21.5
    );
    metered_runtime::record("test_registry.oneliner.size", 3.0).unwrap();
    assert!(metered_runtime::record("test_registry.oneliner.size", -1.0).is_err());
    assert_eq!(
        registry()
            .histogram("test_registry.oneliner.size")
            .unwrap()
            .count(),
        1
    );
    assert!(matches!(
        metered_runtime::incr("test_registry.oneliner.temp", 1),
        Err(Error::KindMismatch { .. })
    ));
}

#[cfg(feature = "serde")]
#[test]
fn serde_serialises_the_nested_view() {
    let r = Registry::new();
    r.counter("a.b").unwrap().add(2);
    r.float_gauge("a.c").unwrap().set(0.5);
    assert_eq!(
        serde_json::to_string(&r.snapshot()).unwrap(),
        r#"{"a":{"b":{"value":2},"c":{"value":0.5}}}"#
    );
    assert_eq!(
        serde_json::to_string(&r.snapshot()).unwrap(),
        r.snapshot().to_json()
    );
}

#[test]
fn find_reads_back_by_kind_and_never_creates() {
    use metered_runtime::{Meter, UpDownCounter};
    // A static collected through inventory is found as the very static.
    let jobs = registry()
        .find::<Counter>("test_registry.declared.jobs")
        .unwrap()
        .expect("collected through inventory");
    assert!(std::ptr::eq(&raw const *jobs, &raw const DECLARED));

    let r = Registry::new();
    r.meter("svc.errors").unwrap().mark();
    assert_eq!(r.find::<Meter>("svc.errors").unwrap().unwrap().count(), 1);
    // Absent, or a typo: nothing, and nothing created.
    assert!(r.find::<Meter>("svc.eror").unwrap().is_none());
    assert!(r.find::<Meter>("svc").unwrap().is_none());
    assert_eq!(r.names(), ["svc.errors"]);
    // Another kind: the error names both.
    assert_eq!(
        r.find::<UpDownCounter>("svc.errors").unwrap_err(),
        Error::KindMismatch {
            name: "svc.errors".into(),
            existing: MetricKind::Meter,
            requested: MetricKind::UpDownCounter,
        }
    );
}

#[test]
fn single_and_family_of_one_kind_are_told_apart() {
    let r = Registry::new();
    r.counter_family("svc.requests", &["path", "status"])
        .unwrap()
        .get(&["/", "200"])
        .unwrap()
        .add(3);
    r.counter("svc.total").unwrap().inc();

    let f = r.find_family::<Counter>("svc.requests").unwrap().unwrap();
    assert_eq!(f.get(&["/", "200"]).unwrap().get(), 3);
    assert!(r.find_family::<Counter>("svc.request").unwrap().is_none());

    let family_as_single = Error::InvalidLabel {
        family: "svc.requests".into(),
        reason: "registered as a counter family with label keys [path, status], asked for as a \
                 single counter"
            .into(),
    };
    assert_eq!(
        r.find::<Counter>("svc.requests").unwrap_err(),
        family_as_single
    );
    assert_eq!(r.counter("svc.requests").unwrap_err(), family_as_single);

    let single_as_family = Error::InvalidLabel {
        family: "svc.total".into(),
        reason: "registered as a single counter without labels, asked for as a family".into(),
    };
    assert_eq!(
        r.find_family::<Counter>("svc.total").unwrap_err(),
        single_as_family
    );
    assert_eq!(
        r.counter_family("svc.total", &["path"]).unwrap_err(),
        single_as_family
    );
    assert_eq!(
        r.find_family::<Timer>("svc.requests").unwrap_err(),
        Error::KindMismatch {
            name: "svc.requests".into(),
            existing: MetricKind::Counter,
            requested: MetricKind::Timer,
        }
    );
}

#[test]
fn up_down_counters_snapshot_as_their_own_kind() {
    use metered_runtime::snapshot::Value;
    let r = Registry::new();
    r.up_down_counter("svc.in_flight").unwrap().add(2);
    r.gauge("svc.depth").unwrap().set(-1);
    let f = r.up_down_counter_family("svc.open", &["pool"]).unwrap();
    f.get(&["db"]).unwrap().add(5);
    f.get(&["db"]).unwrap().add(-1);
    let s = r.snapshot();
    assert_eq!(
        s.get("svc.in_flight").unwrap().value,
        Value::UpDownCounter(2)
    );
    assert_eq!(s.get("svc.depth").unwrap().value, Value::Gauge(-1));
    let open = s.get("svc.open").unwrap();
    assert_eq!(open.value, Value::UpDownCounter(4));
    assert_eq!(open.labels, [("pool".to_owned(), "db".to_owned())]);
    // The nested view is unchanged: one integer value each.
    assert_eq!(
        s.to_json(),
        r#"{"svc":{"depth":{"value":-1},"in_flight":{"value":2},"open":{"pool=db":{"value":4}}}}"#
    );
}
