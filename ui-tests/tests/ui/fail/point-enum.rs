use metered_runtime::Point;

#[derive(Point)]
#[point(series = "requests")]
enum Request {
    Ok { n: u32 },
}

fn main() {}
