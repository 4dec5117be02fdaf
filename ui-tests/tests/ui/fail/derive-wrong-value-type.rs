use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    crate = "metered_runtime",
    type_label = 1,
    per_instantiation = true,
    latency: Timer = "app.{}.latency" (help = 3),
)]
struct Handler;

fn main() {}
