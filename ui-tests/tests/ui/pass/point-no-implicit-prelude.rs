// The generated code names everything by absolute paths: it compiles without the prelude and
// beside user items shadowing the names it uses.
#![no_implicit_prelude]

#[allow(dead_code, reason = "shadows a name the generated code must not pick up")]
struct Option;
#[allow(dead_code, reason = "shadows a name the generated code must not pick up")]
struct Point;
#[allow(dead_code, reason = "shadows a name the generated code must not pick up")]
trait TagValue {}

#[derive(::metered_runtime::Point)]
#[point(series = "noprelude")]
struct Event {
    #[point(tag)]
    route: &'static str,
    n: u32,
    maybe: ::core::option::Option<bool>,
    #[point(timestamp)]
    at: ::core::option::Option<u64>,
}

fn main() {
    let e = Event { route: "/a", n: 1, maybe: ::core::option::Option::None, at: ::core::option::Option::Some(5) };
    let line = e.to_point().to_line(::std::time::SystemTime::UNIX_EPOCH);
    ::std::assert_eq!(line.as_deref(), ::core::option::Option::Some("noprelude,route=/a n=1i 5"));
    let _ = Event::SERIES;
}
