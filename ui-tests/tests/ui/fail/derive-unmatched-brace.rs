use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Timer = "app.type}.latency")]
struct Handler;

fn main() {}
