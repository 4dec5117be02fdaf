use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Timer = app)]
struct Handler;

fn main() {}
