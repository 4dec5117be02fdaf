use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Timer = "app.{name}.latency")]
struct Handler;

fn main() {}
