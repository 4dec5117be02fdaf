// After a mistake the derive still generates every accessor it understood, `metric_names` and
// `HasMetrics`: the code below using them shows no errors, only the mistakes above do.
use metered_runtime::{HasMetrics, Metered, metric_set};

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.{name}.latency",
    hits: Counter = "app.{}.hits" (halp = "typo"),
    sizes: Histogram = "app.{}.sizes" (unit = "Bytes", buckets = [2.0, 1.0]),
    queue: Gauge = "app.{}.queue" (type_label),
    queue: Gauge = "app.{}.queue2",
    broken: Stopwatch = "app.{}.broken",
)]
struct Handler;

#[derive(Metered)]
#[metrics(per_instantiation, colour = "blue", hits: Counter = "")]
struct Cache<K>(K);

metric_set! {
    pub Endpoint {
        latency: Timer = "app.{}.latency",
    }
}

#[derive(Metered)]
#[metrics(set = Endpoint, type_label)]
struct Users;

fn main() {
    let _t = Handler::latency().time();
    Handler::hits().inc();
    Handler::sizes().record(1.0).unwrap();
    let _g = Handler::queue().track();
    let _names: &[&str] = Handler::metric_names();

    Cache::<u8>::hits().inc();
    let _ = Cache::<u8>::metric_names();
    let _ = Cache(0).0;

    let _t = Users::metric_set().latency.time();
    let _t = Users.metrics().latency.time();
    let _ = Users::metric_names();
}
