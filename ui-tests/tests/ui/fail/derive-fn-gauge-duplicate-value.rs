// `value` given twice: the second key is reported.
use metered_runtime::Metered;

fn depth() -> f64 {
    1.0
}

#[derive(Metered)]
#[metrics(queue: FnGauge = "app.{}.queue" (value = depth, value = depth))]
struct Handler;

fn main() {
    let _ = Handler::queue().get();
}
