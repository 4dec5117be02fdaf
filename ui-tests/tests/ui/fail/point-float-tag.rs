use metered_runtime::Point;

#[derive(Point)]
#[point(series = "requests")]
struct Request {
    #[point(tag)]
    route: String,
    #[point(tag)]
    execution_time: f64,
    request_id: String,
}

fn main() {}
