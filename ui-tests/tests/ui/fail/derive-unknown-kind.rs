use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Stopwatch = "app.{}.latency")]
struct Handler;

fn main() {}
