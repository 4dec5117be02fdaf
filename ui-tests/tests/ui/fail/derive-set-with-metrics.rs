use metered_runtime::{Metered, metric_set};

metric_set! {
    pub Endpoint { latency: Timer = "app.{}.latency" }
}

#[derive(Metered)]
#[metrics(set = Endpoint, type_label, hits: Counter = "app.{}.hits")]
struct Handler;

fn main() {}
