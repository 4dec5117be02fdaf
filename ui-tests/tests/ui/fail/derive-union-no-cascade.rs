// A union is refused, and what the derive understood is still generated: the code below
// using the accessors and `metric_names` shows no errors, only the union does.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(hits: Counter = "app.{}.hits", latency: Timer = "{module}.{}.latency")]
union Bits {
    a: u32,
    b: f32,
}

fn main() {
    Bits::hits().inc();
    let _t = Bits::latency().time();
    let _names: &[&str] = Bits::metric_names();
}
