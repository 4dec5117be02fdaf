//! Runs the code `#[derive(Metered)]` and `metric_set!` generate.

use metered_runtime::{HasMetrics, Metered, MetricKind, metric_set, registry};

#[derive(Metered)]
#[metrics(
    /// Time spent handling a request.
    latency: Timer = "test.derive.{}.latency",
    error_rate: Meter = "test.derive.{}.error_rate" (help = "Failed requests."),
    hits: Counter = "test.derive.{type_snake}.hits",
    queue: Gauge = "test.derive.{type}.queue",
    load: FloatGauge = "test.derive.{}.load" (unit = "ratio"),
    sizes: Histogram = "test.derive.{}.sizes" (unit = "bytes"),
    here: Counter = "test.derive.{module}.{}.here",
)]
struct MyImplHandler;

impl MyImplHandler {
    // Called on a value: the accessors work from `&self` through `Self::`.
    #[allow(
        clippy::unused_self,
        reason = "shows `Self::` accessors used from a method"
    )]
    fn handle(&self) {
        let _t = Self::latency().time();
        Self::hits().inc();
    }
}

metric_set! {
    /// The metrics every HTTP endpoint has.
    #[metrics(type_label)]
    pub HttpEndpoint {
        /// Time spent handling a request.
        latency: Timer = "test.set.{}.latency",
        error_rate: Meter = "test.set.{}.error_rate",
    }
}

trait Endpoint: HasMetrics<HttpEndpoint> {
    fn get(&self) -> u32 {
        let _t = self.metrics().latency.time();
        self.get_impl()
    }
    fn get_impl(&self) -> u32;
}

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
struct Users;
impl Endpoint for Users {
    fn get_impl(&self) -> u32 {
        1
    }
}

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
enum Orders {
    #[allow(
        dead_code,
        reason = "the variant exists to be named by the derive, never built"
    )]
    One,
}
impl Endpoint for Orders {
    fn get_impl(&self) -> u32 {
        2
    }
}

#[derive(Metered)]
#[metrics(requests: Counter = "test.generic.{}.requests")]
struct Shared<T>(T);

#[derive(Metered)]
#[metrics(per_instantiation, type_label = "handler", requests: Counter = "test.per_inst.{}.requests")]
struct PerInst<T>(T);

#[test]
fn derive_names_and_registry() {
    // Registered before anything ran.
    assert!(
        registry()
            .get("test.derive.MyImplHandler.latency")
            .is_some()
    );
    assert!(registry().get("test.set.Users.latency").is_some());
    assert!(registry().get("test.set.Orders.error_rate").is_some());
    assert_eq!(
        MyImplHandler::metric_names(),
        [
            "test.derive.MyImplHandler.latency",
            "test.derive.MyImplHandler.error_rate",
            "test.derive.my_impl_handler.hits",
            "test.derive.MyImplHandler.queue",
            "test.derive.MyImplHandler.load",
            "test.derive.MyImplHandler.sizes",
            "test.derive.derive.MyImplHandler.here",
        ]
    );
    MyImplHandler.handle();
    MyImplHandler.handle();
    assert_eq!(MyImplHandler::hits().get(), 2);
    assert_eq!(MyImplHandler::latency().count(), 2);
    let e = registry().get("test.derive.MyImplHandler.latency").unwrap();
    assert_eq!(e.kind(), MetricKind::Timer);
    assert_eq!(e.help(), "Time spent handling a request.");
    let e = registry()
        .get("test.derive.MyImplHandler.error_rate")
        .unwrap();
    assert_eq!(e.help(), "Failed requests.");
}

#[test]
fn sets_per_type() {
    assert_eq!(Users.get() + Orders::One.get(), 3);
    assert_eq!(Users::metric_set().latency.count(), 1);
    assert_eq!(Orders::metric_set().latency.count(), 1);
    assert_eq!(
        Users::metric_names(),
        ["test.set.Users.latency", "test.set.Users.error_rate"]
    );
    let tl = registry()
        .get("test.set.Users.latency")
        .unwrap()
        .type_label()
        .unwrap();
    assert_eq!(
        (tl.family, tl.key, tl.value),
        ("test.set.latency", "type", "Users")
    );
}

#[test]
fn generics() {
    Shared::<u8>::requests().inc();
    Shared::<String>::requests().inc();
    assert_eq!(Shared::<()>::requests().get(), 2);
    PerInst::<u8>::requests().inc();
    PerInst::<String>::requests().add(2);
    assert_eq!(PerInst::<u8>::requests().get(), 1);
    assert_eq!(
        PerInst::<String>::metric_names(),
        ["test.per_inst.PerInst<String>.requests"]
    );
    let e = registry()
        .get("test.per_inst.PerInst<String>.requests")
        .unwrap();
    let tl = e.type_label().unwrap();
    assert_eq!(
        (tl.family, tl.key, tl.value),
        ("test.per_inst.requests", "handler", "PerInst<String>")
    );
    let _ = (Shared(1).0, PerInst(1).0);
}

// A per-instantiation name that another metric already holds: the clash is reported by the
// self-check, and the instance still records on its own.
#[derive(Metered)]
#[metrics(per_instantiation, requests: Counter = "test.per_inst_clash.{}")]
struct Clashing<T>(T);

#[derive(Metered)]
#[metrics(taken: Counter = "test.per_inst_clash.Clashing<u8>")]
struct Holder;

#[test]
fn per_instantiation_clash_is_reported() {
    Clashing::<u8>::requests().inc();
    assert_eq!(Clashing::<u8>::requests().get(), 1);
    let problems = metered_runtime::self_check().problems;
    assert!(
        problems.iter().any(|p| matches!(p,
            metered_runtime::Error::Duplicate { name, .. } if name == "test.per_inst_clash.Clashing<u8>")),
        "{problems:?}"
    );
    let _ = (Clashing(1).0, Holder);
    assert_eq!(Holder::taken().get(), 0);
}

// `{type_snake}` is computed twice: by the macro for declared types, and by the runtime for
// per-instantiation names. The two must agree.
#[derive(Metered)]
#[metrics(n: Counter = "test.snake.{type_snake}")]
struct HTTPServer2Go;

#[derive(Metered)]
#[metrics(n: Counter = "test.snake.{type_snake}")]
struct MyImplHandlerV2;

#[test]
fn snake_case_agrees_between_macro_and_runtime() {
    let _ = (HTTPServer2Go, MyImplHandlerV2);
    for (names, ty) in [
        (HTTPServer2Go::metric_names(), "HTTPServer2Go"),
        (MyImplHandlerV2::metric_names(), "MyImplHandlerV2"),
    ] {
        let runtime = metered_runtime::__private::snake_case(ty);
        assert_eq!(names, [format!("test.snake.{runtime}")], "{ty}");
    }
    assert_eq!(
        HTTPServer2Go::metric_names(),
        ["test.snake.http_server2_go"]
    );
}

// `FnGauge`: a function evaluated when a snapshot is taken. A panicking (or NaN) function is an
// error value of its own metric; the rest of the snapshot is read as usual.
static QUEUE_DEPTH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn queue_depth() -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "small test values")]
    let depth = QUEUE_DEPTH.load(std::sync::atomic::Ordering::Relaxed) as f64;
    depth
}

fn broken_sensor() -> f64 {
    panic!("sensor gone")
}

#[derive(Metered)]
#[metrics(
    queue: FnGauge = "test.fn_gauge.{}.queue" (value = queue_depth),
    broken: FnGauge = "test.fn_gauge.{}.broken" (value = broken_sensor),
    hits: Counter = "test.fn_gauge.{}.hits",
)]
struct Worker;

metric_set! {
    /// A pool's metrics.
    pub Pool {
        depth: FnGauge = "test.fn_gauge.set.{}.depth" (value = queue_depth),
    }
}

#[derive(Metered)]
#[metrics(set = Pool)]
struct PoolA;

#[derive(Metered)]
#[metrics(set = Pool)]
struct PoolB;

#[test]
fn fn_gauge_is_evaluated_at_snapshot_time() {
    use metered_runtime::snapshot::Value;
    let _ = (Worker, PoolA, PoolB);
    let value = |name: &str| registry().snapshot().get(name).unwrap().value.clone();

    QUEUE_DEPTH.store(3, std::sync::atomic::Ordering::Relaxed);
    Worker::hits().inc();
    assert_eq!(value("test.fn_gauge.Worker.queue"), Value::FloatGauge(3.0));
    QUEUE_DEPTH.store(5, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(value("test.fn_gauge.Worker.queue"), Value::FloatGauge(5.0));
    assert_eq!(Worker::queue().get(), Ok(5.0));

    let snapshot = registry().snapshot();
    let broken = snapshot.get("test.fn_gauge.Worker.broken").unwrap();
    assert_eq!(broken.kind, MetricKind::FnGauge);
    let Value::Error(msg) = &broken.value else {
        panic!("expected an error value, got {:?}", broken.value);
    };
    assert!(msg.contains("sensor gone"), "{msg}");
    // The same snapshot still holds the other metrics.
    assert_eq!(
        snapshot.get("test.fn_gauge.Worker.queue").unwrap().value,
        Value::FloatGauge(5.0)
    );
    assert_eq!(
        snapshot.get("test.fn_gauge.Worker.hits").unwrap().value,
        Value::Counter(1)
    );

    // In a set the function is the same for every type applying it.
    assert_eq!(
        value("test.fn_gauge.set.PoolA.depth"),
        Value::FloatGauge(5.0)
    );
    assert_eq!(
        value("test.fn_gauge.set.PoolB.depth"),
        Value::FloatGauge(5.0)
    );
}
