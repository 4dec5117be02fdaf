use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    per_instantiation,
    per_instantiation,
    latency: Timer = "app.{}.latency" (help = "a", help = "b"),
)]
struct Handler<T>(T);

fn main() {}
