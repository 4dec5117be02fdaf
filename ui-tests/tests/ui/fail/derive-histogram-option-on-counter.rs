// `buckets`, `window` and `cumulative` configure histograms: errors on the key, naming the kind.
use metered_runtime::{Metered, metric_set};

#[derive(Metered)]
#[metrics(
    hits: Counter = "app.{}.hits" (buckets = [1.0, 2.0]),
    rate: Meter = "app.{}.rate" (window = "60s", cumulative),
    load: FloatGauge = "app.{}.load" (cumulative),
)]
struct Handler;

metric_set! {
    pub Endpoint {
        queue: Gauge = "app.{}.queue" (buckets = [1.0]),
    }
}

fn main() {
    Handler::hits().inc();
    Handler::rate().mark();
    Handler::load().set(1.0);
}
