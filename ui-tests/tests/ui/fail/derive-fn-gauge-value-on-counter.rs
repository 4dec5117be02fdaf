// `value` names the function of an `FnGauge`: on any other kind the error is on the key.
use metered_runtime::{Metered, metric_set};

fn depth() -> f64 {
    1.0
}

#[derive(Metered)]
#[metrics(
    hits: Counter = "app.{}.hits" (value = depth),
    latency: Timer = "app.{}.latency" (buckets = [1.0], value = depth),
)]
struct Handler;

metric_set! {
    pub Endpoint {
        load: FloatGauge = "app.{}.load" (value = depth),
    }
}

fn main() {
    Handler::hits().inc();
    let _t = Handler::latency().time();
}
