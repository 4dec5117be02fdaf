// `per_instantiation` is chosen by each type applying the set, not by the set.
use metered_runtime::metric_set;

metric_set! {
    #[metrics(per_instantiation)]
    pub Endpoint {
        latency: Timer = "app.{}.latency",
    }
}

fn main() {}
