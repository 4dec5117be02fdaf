use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    #[cfg(test)]
    latency: Timer = "app.{}.latency",
    /// A stray doc comment.
    per_instantiation,
)]
struct Handler;

fn main() {}
