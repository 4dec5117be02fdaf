use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.{}.latency" (unit = "milliseconds"),
    size: Histogram = "app.{}.size" (unit = ""),
    load: FloatGauge = "app.{}.load" (unit = "Per Cent"),
)]
struct Handler;

fn main() {}
