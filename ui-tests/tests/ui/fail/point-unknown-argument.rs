use metered_runtime::Point;

#[derive(Point)]
#[point(series = "requests", measurement = "requests")]
struct Request {
    #[point(tags)]
    route: String,
    n: u32,
}

fn main() {}
