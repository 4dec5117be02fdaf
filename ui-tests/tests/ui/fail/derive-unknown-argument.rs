use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.{}.latency" (halp = "typo"),
    buckets = "1,2",
)]
struct Handler;

fn main() {}
