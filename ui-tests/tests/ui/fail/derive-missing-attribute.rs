use metered_runtime::Metered;

#[derive(Metered)]
struct Handler;

#[derive(Metered)]
#[metrics()]
struct Empty;

fn main() {}
