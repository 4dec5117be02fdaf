// An `FnGauge` needs `value = path`: the error is on the kind, in a derive and in a set.
use metered_runtime::{Metered, metric_set};

#[derive(Metered)]
#[metrics(
    queue: FnGauge = "app.{}.queue",
    load: FnGauge = "app.{}.load" (unit = "ratio"),
)]
struct Handler;

metric_set! {
    pub Endpoint {
        depth: FnGauge = "app.{}.depth",
    }
}

fn main() {
    let _ = Handler::queue().get();
    let _ = Handler::load().get();
}
