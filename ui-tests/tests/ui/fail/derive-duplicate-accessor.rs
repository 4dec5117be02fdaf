use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.{}.latency",
    latency: Timer = "app.{}.latency2",
)]
struct Handler;

fn main() {}
