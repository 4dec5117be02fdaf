use metered_runtime::Metered;

#[derive(Metered)]
#[metrics()]
struct Empty;

fn main() {}
