use metered_runtime::metric_set;

metric_set! {
    pub Endpoint {
        latency: Timer = "app.{}.latency",
        set = Other,
    }
}

fn main() {}
