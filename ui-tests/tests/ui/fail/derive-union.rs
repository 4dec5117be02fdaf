use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(latency: Timer = "app.{}.latency")]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
