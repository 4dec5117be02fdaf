// The generated code does not hide the user's own dead code: unused types with metrics,
// and instrumented fns nobody calls, are still reported.
#![deny(dead_code)]

use metered_runtime::{Metered, metered, metric_set};

#[derive(Metered)]
#[metrics(hits: Counter = "dead.{}.hits")]
struct NeverBuilt;

metric_set! {
    Endpoint { hits: Counter = "dead.{}.calls" }
}

#[derive(Metered)]
#[metrics(set = Endpoint)]
struct NeverBuiltEither;

struct Db;

#[metered]
impl Db {
    fn used(&self) {}
    fn never_called(&self) {}
}

#[metered]
fn unused_free_fn() {}

fn main() {
    Db.used();
}
