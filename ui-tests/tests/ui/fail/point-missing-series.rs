use metered_runtime::Point;

#[derive(Point)]
struct Request {
    #[point(tag)]
    route: String,
    n: u32,
}

fn main() {
    // No cascade: `to_point` is still generated beside the error.
    let _ = Request { route: String::new(), n: 1 }.to_point();
}
