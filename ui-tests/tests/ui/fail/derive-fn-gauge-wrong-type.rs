// A function of the wrong type is rustc's error, on the user's path.
use metered_runtime::Metered;

fn depth() -> u64 {
    1
}

fn sized(_: usize) -> f64 {
    1.0
}

#[derive(Metered)]
#[metrics(
    queue: FnGauge = "app.{}.queue" (value = depth),
    size: FnGauge = "app.{}.size" (value = sized),
)]
struct Handler;

fn main() {
    let _ = Handler::queue().get();
    let _ = Handler::size().get();
}
