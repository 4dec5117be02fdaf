// After a mistake `metric_set!` still declares the set with every field whose kind is known,
// so applying it and using its fields shows no errors, only the mistakes below do.
use metered_runtime::{HasMetrics, Metered, metric_set};

metric_set! {
    #[metrics(type_label = "not a key")]
    pub Endpoint {
        latency: Timer = "app.{}.latency" (window = "soon"),
        errors: Meter = "app.{fn}.errors",
        hits: Counter = "app.{}.hits" (cumulative),
        broken: Stopwatch = "app.{}.broken",
    }
}

metric_set! {
    pub Empty {}
}

trait Handler: HasMetrics<Endpoint> {
    fn get(&self) -> u32 {
        let _t = self.metrics().latency.time();
        self.metrics().errors.mark();
        self.metrics().hits.inc();
        1
    }
}

#[derive(Metered)]
#[metrics(set = Endpoint)]
struct Users;
impl Handler for Users {}

#[derive(Metered)]
#[metrics(set = Empty)]
struct Nothing;

fn main() {
    let _ = Users.get();
    let _ = Users::metric_names();
    let _ = Nothing::metric_names();
}
