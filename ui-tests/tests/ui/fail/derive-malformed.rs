use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency Timer = "app.{}.latency")]
struct A;

#[derive(Metered)]
#[metrics(latency: Timer "app.{}.latency")]
struct B;

#[derive(Metered)]
#[metrics(latency: Timer = app)]
struct C;

#[derive(Metered)]
#[metrics = "app"]
struct D;

fn main() {}
