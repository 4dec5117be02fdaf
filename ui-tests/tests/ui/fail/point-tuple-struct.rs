use metered_runtime::Point;

#[derive(Point)]
#[point(series = "requests")]
struct Request(String, u32);

fn main() {}
