use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency Timer = "app.{}.latency")]
struct Handler;

fn main() {}
