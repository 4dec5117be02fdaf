// `window` is a string with a whole number and a unit; `cumulative` excludes it.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    no_unit: Histogram = "app.{}.no_unit" (window = "60"),
    bad_unit: Histogram = "app.{}.bad_unit" (window = "1d"),
    fraction: Timer = "app.{}.fraction" (window = "1.5s"),
    integer: Timer = "app.{}.integer" (window = 60),
    zero: Timer = "app.{}.zero" (window = "0s"),
    huge: Timer = "app.{}.huge" (window = "99999999999999999999h"),
    both: Timer = "app.{}.both" (window = "60s", cumulative),
    flag_value: Timer = "app.{}.flag_value" (cumulative = true),
    no_value: Timer = "app.{}.no_value" (window),
)]
struct Handler;

fn main() {
    let _ = (Handler::no_unit(), Handler::bad_unit(), Handler::fraction(), Handler::integer());
    let _ = (Handler::zero(), Handler::huge(), Handler::both(), Handler::flag_value());
    let _ = Handler::no_value();
}
