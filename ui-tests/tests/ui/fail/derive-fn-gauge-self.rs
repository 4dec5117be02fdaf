// In a derive, `Self` in `value` would be the hidden metric set: reported on `Self`, with the
// type's name suggested.
use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(queue: FnGauge = "app.{}.queue" (value = Self::depth))]
struct Handler;

impl Handler {
    fn depth() -> f64 {
        1.0
    }
}

fn main() {
    let _ = Handler::queue().get();
    let _ = Handler::depth();
}
