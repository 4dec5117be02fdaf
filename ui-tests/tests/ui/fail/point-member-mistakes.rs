use metered_runtime::Point;
use std::time::SystemTime;

// Two roles on one member, two members under one key, `skip` with a role, a named timestamp,
// a second timestamp, an empty series, a struct without a field, and member types of
// the wrong kind: all reported together.
#[derive(Point)]
#[point(series = "")]
struct Request {
    #[point(tag, field)]
    route: String,
    #[point(tag, tag)]
    service: String,
    #[point(name = "route")]
    path: String,
    #[point(skip, tag)]
    scratch: Vec<u8>,
    #[point(timestamp, name = "t")]
    at: SystemTime,
    body: Vec<u8>,
    #[point(timestamp)]
    late: SystemTime,
}

#[derive(Point)]
#[point(series = "bad_time")]
struct BadTime {
    v: u8,
    #[point(timestamp)]
    at: String,
}

#[derive(Point)]
#[point(series = "tags_only")]
struct TagsOnly {
    #[point(tag)]
    route: String,
}

fn main() {}
