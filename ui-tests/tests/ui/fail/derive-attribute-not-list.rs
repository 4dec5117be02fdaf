use metered_runtime::Metered;

#[derive(Metered)]
#[metrics = "app"]
struct Handler;

fn main() {}
