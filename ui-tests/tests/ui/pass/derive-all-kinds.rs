use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    /// Time spent handling a request.
    latency: Timer = "pass.kinds.{}.latency",
    error_rate: Meter = "pass.kinds.{}.error_rate" (help = "Failed requests per second."),
    requests: Counter = "pass.kinds.{}.requests" (unit = "requests"),
    connections: Gauge = "pass.kinds.{}.connections",
    in_flight: UpDownCounter = "pass.kinds.{}.in_flight",
    load: FloatGauge = "pass.kinds.{}.load" (unit = "ratio"),
    body: Histogram = "pass.kinds.{}.body" (unit = "bytes"),
)]
struct MyImplHandler;

fn main() {
    drop(MyImplHandler::latency().time());
    MyImplHandler::error_rate().mark();
    MyImplHandler::requests().inc();
    let _c = MyImplHandler::connections().track();
    let _f = MyImplHandler::in_flight().track();
    assert_eq!(MyImplHandler::in_flight().get(), 1);
    MyImplHandler::load().set(0.5);
    MyImplHandler::body().record(12.0).unwrap();
    assert_eq!(MyImplHandler::requests().get(), 1);
    assert_eq!(MyImplHandler::metric_names().len(), 7);
    let e = metered_runtime::registry().get("pass.kinds.MyImplHandler.error_rate").unwrap();
    assert_eq!(e.help(), "Failed requests per second.");
    let e = metered_runtime::registry().get("pass.kinds.MyImplHandler.latency").unwrap();
    assert_eq!(e.help(), "Time spent handling a request.");
    let e = metered_runtime::registry().get("pass.kinds.MyImplHandler.body").unwrap();
    assert_eq!(e.unit(), metered_runtime::Unit::Bytes);
    let _ = MyImplHandler;
}
