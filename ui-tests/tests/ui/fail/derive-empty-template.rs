use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Timer = "")]
struct Handler;

fn main() {}
