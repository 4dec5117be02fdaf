use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.{}.latency",
    slow: Histogram = "app.{type}.latency",
)]
struct Handler;

fn main() {}
