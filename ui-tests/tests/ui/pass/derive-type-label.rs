use metered_runtime::{Metered, registry};

#[derive(Metered)]
#[metrics(
    type_label,
    latency: Timer = "my.http.endpoints.{}.latency",
    errors: Meter = "my.http.endpoints.{}.errors" (type_label = "handler"),
)]
struct MyImplHandler;

fn main() {
    let tl = registry().get("my.http.endpoints.MyImplHandler.latency").unwrap().type_label().unwrap();
    assert_eq!((tl.family, tl.key, tl.value), ("my.http.endpoints.latency", "type", "MyImplHandler"));
    let tl = registry().get("my.http.endpoints.MyImplHandler.errors").unwrap().type_label().unwrap();
    assert_eq!((tl.family, tl.key), ("my.http.endpoints.errors", "handler"));
    let _ = MyImplHandler;
}
