// Every mistake of one item is reported in one compile.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    latency: Stopwatch = "app.{}.latency",
    errors: Meter = "app.{fn}.errors",
    errors: Meter = "app.{}.errors2",
    colour = "blue",
)]
struct Handler;

fn main() {}
