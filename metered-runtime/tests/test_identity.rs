//! Exported identity: exposition names computed once, families labelled by type as one family,
//! and every clash refused with both sides named.

use metered_runtime::__private::{Registration, submit};
use metered_runtime::snapshot::{FamilyHeader, Series, Visit};
use metered_runtime::{
    Counter, Descriptor, Error, HistogramSnapshot, MeterSnapshot, Registry, StaticMetric, Timer,
    TimerSnapshot, TypeLabel, Unit, registry,
};

// Two statics whose names map to one exposition name, declared in two modules: the clash is a
// problem of `self_check()` with both source locations.
macro_rules! counter_declared_in {
    ($module:ident, $name:literal) => {
        mod $module {
            pub static C: metered_runtime::Counter = metered_runtime::Counter::new();
            pub static D: metered_runtime::Descriptor =
                metered_runtime::Descriptor::new($name, metered_runtime::StaticMetric::Counter(&C))
                    .location(module_path!(), file!(), line!());
            metered_runtime::__private::submit! { metered_runtime::__private::Registration(&D) }
        }
    };
}
counter_declared_in!(dots, "test_identity.a.b_c");
counter_declared_in!(underscores, "test_identity.a_b.c");

static PLAIN: Counter = Counter::new();
static PLAIN_DESC: Descriptor =
    Descriptor::new("test_identity.plain", StaticMetric::Counter(&PLAIN)).help("Plain.");
submit! { Registration(&PLAIN_DESC) }

#[test]
fn names_that_map_to_one_exposition_name_are_a_problem_with_both_locations() {
    let problem = metered_runtime::self_check()
        .problems
        .into_iter()
        .find(|p| matches!(p, Error::ExpositionClash { .. }))
        .expect("the clash is reported");
    let Error::ExpositionClash {
        name,
        origin,
        existing,
        existing_origin,
        reason,
    } = &problem
    else {
        unreachable!()
    };
    let mut names = [name.as_str(), existing.as_str()];
    names.sort_unstable();
    assert_eq!(names, ["test_identity.a.b_c", "test_identity.a_b.c"]);
    let both = format!("{origin} {existing_origin}");
    assert!(
        both.contains("test_identity::dots") && both.contains("test_identity::underscores"),
        "{both}"
    );
    assert_eq!(
        reason, r#"both are exported as "test_identity_a_b_c""#,
        "{problem}"
    );
    // The metrics that do not clash are registered with their exposition names.
    assert_eq!(
        registry()
            .get("test_identity.plain")
            .unwrap()
            .exposition_name(),
        "test_identity_plain"
    );
}

#[test]
fn dynamic_names_clash_the_same_way() {
    let r = Registry::new();
    r.gauge("a.b_c").unwrap();
    let err = r.gauge("a_b.c").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"metric "a_b.c" (created at run time) clashes with "a.b_c" (created at run time) in the exposition: both are exported as "a_b_c""#
    );
    assert!(r.get("a_b.c").is_none());
    assert_eq!(r.names(), ["a.b_c"]);
}

#[test]
fn a_sample_cannot_take_another_family_name() {
    let r = Registry::new();
    r.counter("jobs.done").unwrap();
    let Err(Error::ExpositionClash { reason, .. }) = r.gauge("jobs.done_total") else {
        panic!("a gauge named like the counter's sample is refused")
    };
    assert_eq!(
        reason,
        r#""jobs_done_total" exports the name "jobs_done_total", which the family "jobs_done" exports too"#
    );
    // The counter's own suffix is written once: `.total` on a counter names the same family.
    assert!(matches!(
        r.counter("jobs.done.total"),
        Err(Error::NameOverlap { .. })
    ));
    assert!(matches!(
        r.meter("jobs.done_total"),
        Err(Error::ExpositionClash { .. })
    ));

    r.timer("req.latency").unwrap();
    assert_eq!(
        r.get("req.latency").unwrap().exposition_name(),
        "req_latency_seconds"
    );
    assert_eq!(r.get("req.latency").unwrap().unit(), Unit::Seconds);
    assert!(matches!(
        r.counter("req.latency_seconds_count"),
        Err(Error::ExpositionClash { .. })
    ));
    // Unrelated names still register.
    r.gauge("req.depth").unwrap();
    assert_eq!(r.names(), ["jobs.done", "req.depth", "req.latency"]);
}

const fn member(name: &'static str, metric: &'static Timer, ty: &'static str) -> Descriptor {
    Descriptor::new(name, StaticMetric::Timer(metric))
        .help("Time per call.")
        .type_label(TypeLabel {
            family: "svc.latency",
            key: "type",
            value: ty,
        })
}

#[test]
fn members_labelled_by_type_are_one_family_and_must_agree() {
    static A: Timer = Timer::new();
    static B: Timer = Timer::new();
    static C: Timer = Timer::new();
    static D: Timer = Timer::new();
    static E: Timer = Timer::new();
    static A_DESC: Descriptor = member("svc.A.latency", &A, "A");
    static B_DESC: Descriptor = member("svc.B.latency", &B, "B");
    static OTHER_HELP: Descriptor = member("svc.C.latency", &C, "C").help("Something else.");
    static SAME_TYPE: Descriptor = member("svc.A2.latency", &D, "A");
    static PLAIN: Descriptor = Descriptor::new("svc.latency", StaticMetric::Timer(&E));

    let r = Registry::new();
    r.register(&A_DESC).unwrap();
    r.register(&B_DESC).unwrap();
    for name in ["svc.A.latency", "svc.B.latency"] {
        assert_eq!(
            r.get(name).unwrap().exposition_name(),
            "svc_latency_seconds"
        );
    }
    let reason = |d: &'static Descriptor| match r.register(d) {
        Err(Error::ExpositionClash { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        reason(&OTHER_HELP),
        r#"both are exported in the family "svc_latency_seconds", but their help texts differ ("Time per call.", "Something else.")"#
    );
    assert_eq!(
        reason(&SAME_TYPE),
        r#"both are exported in the family "svc_latency_seconds" with the type "A""#
    );
    assert_eq!(
        reason(&PLAIN),
        r#"both are exported in the family "svc_latency_seconds", but only one of them is a member of a family labelled by type"#
    );
    assert!(
        matches!(
            r.counter("svc.latency_seconds"),
            Err(Error::ExpositionClash { .. })
        ),
        "a counter family of that name would give a second TYPE line"
    );
    assert_eq!(r.names(), ["svc.A.latency", "svc.B.latency"]);
}

#[test]
fn label_keys_are_checked_in_exposition_form() {
    static M: Counter = Counter::new();
    static TWO_KEYS: Descriptor = Descriptor::new("jobs.keys", StaticMetric::Counter(&M))
        .labels(&[("task-type", "a"), ("task_type", "b")]);
    let r = Registry::new();
    assert_eq!(
        r.register(&TWO_KEYS).unwrap_err(),
        Error::InvalidLabel {
            family: "jobs.keys".into(),
            reason: r#"two label keys export as "task_type""#.into(),
        }
    );
    assert_eq!(
        r.histogram_family("db.rows", &["le"]).unwrap_err(),
        Error::InvalidLabel {
            family: "db.rows".into(),
            reason: r#"label key "le" is reserved for the samples of a histogram"#.into(),
        }
    );
    // `le` is an ordinary key elsewhere.
    r.counter_family("db.reads", &["le"]).unwrap();
}

/// Writes one line per call, so the test sees the order and the arguments of the walk.
#[derive(Default)]
struct Trace(Vec<String>);

impl Trace {
    fn series(&mut self, s: &Series<'_>, what: &str) -> Result<(), String> {
        let labels: Vec<String> = s.labels().map(|(k, v)| format!("{k}={v}")).collect();
        let line = format!("  {} [{}] {what}", s.metric.name, labels.join(","));
        self.0.push(line);
        if what.is_empty() {
            return Err("a series without a value".into());
        }
        Ok(())
    }
}

impl Visit for Trace {
    type Error = String;
    fn family(&mut self, f: &FamilyHeader<'_>) -> Result<(), String> {
        self.0.push(format!(
            "{} ({}, {}, {:?}, {:?}, [{}])",
            f.exposition_name,
            f.name,
            f.kind,
            f.help,
            f.unit.as_str(),
            f.label_keys.join(",")
        ));
        Ok(())
    }
    fn counter(&mut self, s: &Series<'_>, n: u64) -> Result<(), String> {
        self.series(s, &format!("counter {n}"))
    }
    fn float_counter(&mut self, s: &Series<'_>, n: f64) -> Result<(), String> {
        self.series(s, &format!("float counter {n}"))
    }
    fn gauge(&mut self, s: &Series<'_>, v: i64) -> Result<(), String> {
        self.series(s, &format!("gauge {v}"))
    }
    fn up_down_counter(&mut self, s: &Series<'_>, v: i64) -> Result<(), String> {
        self.series(s, &format!("up-down {v}"))
    }
    fn float_gauge(&mut self, s: &Series<'_>, v: f64) -> Result<(), String> {
        self.series(s, &format!("float {v}"))
    }
    fn meter(&mut self, s: &Series<'_>, m: &MeterSnapshot) -> Result<(), String> {
        self.series(s, &format!("meter {}", m.count))
    }
    fn histogram(&mut self, s: &Series<'_>, h: &HistogramSnapshot) -> Result<(), String> {
        self.series(s, &format!("histogram {} {}", h.count, h.sum))
    }
    fn timer(&mut self, s: &Series<'_>, t: &TimerSnapshot) -> Result<(), String> {
        self.series(s, &format!("timer {}", t.rates.count))
    }
    fn error(&mut self, s: &Series<'_>, message: &str) -> Result<(), String> {
        self.series(s, &format!("error {message}"))
    }
    fn end_family(&mut self, f: &FamilyHeader<'_>) -> Result<(), String> {
        if f.name == "stop.here" {
            return Err("stopped".into());
        }
        Ok(())
    }
}

#[test]
fn the_snapshot_is_walked_family_by_family() {
    static A: Timer = Timer::new();
    static B: Timer = Timer::new();
    static A_DESC: Descriptor =
        member("svc.Alpha.latency", &A, "Alpha").labels(&[("region", "eu")]);
    static B_DESC: Descriptor = member("svc.Beta.latency", &B, "Beta").labels(&[("region", "us")]);

    let r = Registry::new();
    // Registered in an order that differs from the exposition order.
    r.register(&B_DESC).unwrap();
    r.register(&A_DESC).unwrap();
    A.record(std::time::Duration::from_millis(2));
    let f = r.gauge_family("svc.pool", &["name"]).unwrap();
    f.get(&["zeta"]).unwrap().set(2);
    f.get(&["alpha"]).unwrap().set(-1);
    r.counter("svc.jobs").unwrap().add(3);
    r.up_down_counter("svc.busy").unwrap().add(4);
    r.float_gauge("svc.load").unwrap().set(0.5);
    r.fn_gauge("svc.sensor", || panic!("gone")).unwrap();
    r.meter("svc.errors").unwrap().mark();
    r.histogram("svc.size").unwrap().record(3.0).unwrap();

    let mut trace = Trace::default();
    r.snapshot().visit(&mut trace).unwrap();
    assert_eq!(
        trace.0,
        [
            r#"svc_busy (svc.busy, up-down counter, "", "", [])"#,
            "  svc.busy [] up-down 4",
            r#"svc_errors (svc.errors, meter, "", "", [])"#,
            "  svc.errors [] meter 1",
            r#"svc_jobs (svc.jobs, counter, "", "", [])"#,
            "  svc.jobs [] counter 3",
            r#"svc_latency_seconds (svc.latency, timer, "Time per call.", "seconds", [region,type])"#,
            "  svc.Alpha.latency [region=eu,type=Alpha] timer 1",
            "  svc.Beta.latency [region=us,type=Beta] timer 0",
            r#"svc_load (svc.load, float gauge, "", "", [])"#,
            "  svc.load [] float 0.5",
            r#"svc_pool (svc.pool, gauge, "", "", [name])"#,
            "  svc.pool [name=alpha] gauge -1",
            "  svc.pool [name=zeta] gauge 2",
            r#"svc_sensor (svc.sensor, function gauge, "", "", [])"#,
            "  svc.sensor [] error gauge function rejects the value (panicked: gone)",
            r#"svc_size (svc.size, histogram, "", "", [])"#,
            "  svc.size [] histogram 1 3",
        ]
    );

    // The visitor's error stops the walk.
    r.counter("stop.here").unwrap();
    let mut trace = Trace::default();
    assert_eq!(r.snapshot().visit(&mut trace), Err("stopped".to_owned()));
    assert_eq!(trace.0.len(), 2);
}

// Types that apply one set with a type label, and two instrumented impls with one: each
// metric is one family across the types, and none of them is a problem.
metered_runtime::metric_set! {
    /// What every endpoint records.
    #[metrics(type_label)]
    pub Endpoint {
        /// Time per request.
        latency: Timer = "test_identity.endpoints.{}.latency",
    }
}

#[derive(metered_runtime::Metered)]
#[metrics(set = Endpoint)]
struct Users;

#[derive(metered_runtime::Metered)]
#[metrics(set = Endpoint)]
struct Orders;

struct Cache(u8);
struct Store(Option<u8>);

#[metered_runtime::metered(name = "test_identity.backend.{type}.{fn}", type_label)]
impl Cache {
    fn fetch(&self) -> Result<u8, ()> {
        Ok(self.0)
    }
}

#[metered_runtime::metered(name = "test_identity.backend.{type}.{fn}", type_label)]
impl Store {
    fn fetch(&self) -> Result<u8, ()> {
        self.0.ok_or(())
    }
}

#[test]
fn macro_declared_members_form_one_family_per_metric() {
    use metered_runtime::HasMetrics;
    Users
        .metrics()
        .latency
        .record(std::time::Duration::from_millis(1));
    assert_eq!(Orders::metric_set().latency.count(), 0);
    assert_eq!(Cache(1).fetch(), Ok(1));
    assert_eq!(Store(None).fetch(), Err(()));
    let problems: Vec<_> = metered_runtime::self_check()
        .problems
        .into_iter()
        .filter(|p| !p.to_string().contains("test_identity.a"))
        .collect();
    assert_eq!(problems, []);

    let snapshot = registry().snapshot();
    let families = snapshot.families();
    let members = |exposition: &str| -> Vec<(String, Vec<(String, String)>)> {
        let f = families
            .iter()
            .find(|f| f.header.exposition_name == exposition)
            .unwrap_or_else(|| panic!("{exposition} is exported"));
        f.series
            .iter()
            .map(|s| {
                let labels = s.labels().map(|(k, v)| (k.into(), v.into())).collect();
                (s.metric.name.clone(), labels)
            })
            .collect()
    };
    let ty = |v: &str| vec![("type".to_owned(), v.to_owned())];
    assert_eq!(
        members("test_identity_endpoints_latency_seconds"),
        [
            (
                "test_identity.endpoints.Orders.latency".into(),
                ty("Orders")
            ),
            ("test_identity.endpoints.Users.latency".into(), ty("Users")),
        ]
    );
    for (metric, exposition) in [
        ("latency", "test_identity_backend_fetch_latency_seconds"),
        ("errors", "test_identity_backend_fetch_errors"),
        ("in_flight", "test_identity_backend_fetch_in_flight"),
    ] {
        assert_eq!(
            members(exposition),
            [
                (
                    format!("test_identity.backend.Cache.fetch.{metric}"),
                    ty("Cache")
                ),
                (
                    format!("test_identity.backend.Store.fetch.{metric}"),
                    ty("Store")
                ),
            ]
        );
    }
}
