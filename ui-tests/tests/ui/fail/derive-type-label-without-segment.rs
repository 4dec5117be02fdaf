use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Timer = "app.handler_{}.latency" (type_label),
    hits: Counter = "app.hits" (type_label = "not a key"),
)]
struct Handler;

fn main() {}
