// Every wrong bound is reported on its own literal; the accessors still exist.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(
    empty: Histogram = "app.{}.empty" (buckets = []),
    unordered: Histogram = "app.{}.unordered" (buckets = [1, 3, 7, 7, 5, 30]),
    infinite: Timer = "app.{}.infinite" (buckets = [0.1, 1e400]),
    negative: Histogram = "app.{}.negative" (buckets = [-1.0, 0.0, 1.0]),
    not_numbers: Histogram = "app.{}.not_numbers" (buckets = [1.0, "3", LIMIT, 2u8]),
    not_a_list: Histogram = "app.{}.not_a_list" (buckets = 1.0),
    no_value: Histogram = "app.{}.no_value" (buckets),
)]
struct Handler;

fn main() {
    Handler::empty().record(1.0).unwrap();
    Handler::unordered().record(1.0).unwrap();
    let _t = Handler::infinite().time();
    Handler::negative().record(1.0).unwrap();
    Handler::not_numbers().record(1.0).unwrap();
    Handler::not_a_list().record(1.0).unwrap();
    Handler::no_value().record(1.0).unwrap();
}
