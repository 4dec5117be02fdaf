use metered_runtime::Point;
use std::time::SystemTime;

#[derive(Point)]
#[point(series = "requests")]
struct Request {
    #[point(timestamp)]
    started: SystemTime,
    #[point(timestamp)]
    finished: SystemTime,
    n: u32,
}

fn main() {}
