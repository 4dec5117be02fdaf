use metered_runtime::metric_set;

metric_set! {
    #[metrics(per_instantiation, hits: Counter = "a.{}")]
    pub Endpoint {
        latency: Timer = "app.{}.latency",
        set = Other,
        latency: Meter = "app.{}.latency",
    }
}

metric_set! {
    pub Empty {}
}

fn main() {}
