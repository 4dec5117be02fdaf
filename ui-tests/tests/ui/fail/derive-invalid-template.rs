use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    a: Timer = "app..{}",
    b: Timer = "app.{}.",
    c: Timer = "app.{} b",
)]
struct Handler;

fn main() {}
