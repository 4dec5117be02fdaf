use metered_runtime::metric_set;

metric_set! {
    #[metrics(hits: Counter = "app.{}.hits")]
    pub Endpoint {
        latency: Timer = "app.{}.latency",
    }
}

fn main() {}
