// `value` must be a path to a function: a closure, a literal or a missing value are reported
// on the value (or on the key), and no "missing `value`" error is added beside them.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    a: FnGauge = "app.{}.a" (value = || 1.0),
    b: FnGauge = "app.{}.b" (value = 1.0),
    c: FnGauge = "app.{}.c" (value),
    d: FnGauge = "app.{}.d" (value = <Handler>::depth),
)]
struct Handler;

fn main() {
    let _ = Handler::a().get();
    let _ = Handler::b().get();
    let _ = Handler::c().get();
    let _ = Handler::d().get();
}
