use metered_runtime::Metered;

#[derive(Metered)]
struct Handler;

fn main() {}
