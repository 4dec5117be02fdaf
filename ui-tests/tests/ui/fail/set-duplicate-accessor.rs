use metered_runtime::metric_set;

metric_set! {
    pub Endpoint {
        latency: Timer = "app.{}.latency",
        latency: Meter = "app.{}.latency_rate",
    }
}

fn main() {}
