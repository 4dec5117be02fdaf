// The derive does not hide the user's dead code, and adds no report of its own: a point
// struct never built is reported; of one built but never made a point, the members are
// reported as never read (nothing reads them), not the unused `to_point` and `SERIES`.
#![deny(dead_code)]

use metered_runtime::Point;

#[derive(Point)]
#[point(series = "dead")]
struct NeverBuilt {
    n: u32,
}

#[derive(Point)]
#[point(series = "built")]
struct Built {
    #[point(tag)]
    route: String,
    n: u32,
}

fn main() {
    let b = Built { route: String::new(), n: 1 };
    drop(b);
}
