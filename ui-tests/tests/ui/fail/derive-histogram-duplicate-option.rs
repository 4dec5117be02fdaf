// A repeated option is reported on its second key, by the one set-once check.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    sizes: Histogram = "app.{}.sizes" (buckets = [1.0], buckets = [2.0]),
    latency: Timer = "app.{}.latency" (window = "1m", window = "2m"),
    total: Histogram = "app.{}.total" (cumulative, cumulative),
)]
struct Handler;

fn main() {
    let _ = (Handler::sizes(), Handler::latency(), Handler::total());
}
