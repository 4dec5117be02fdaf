// The sets and the trait are declared in the `metered-test-sets` crate and applied here.
use metered_runtime::{HasMetrics, Metered};
use metered_test_sets::{Endpoint, Get, Queue};

#[derive(Metered)]
#[metrics(set = Queue)]
struct Jobs;

#[derive(Metered)]
#[metrics(set = metered_test_sets::Queue, per_instantiation)]
struct Typed<T>(T);

#[derive(Metered)]
#[metrics(set = Endpoint)]
struct Users;

impl Get for Users {
    fn get_impl(&self) -> u32 {
        7
    }
}

fn main() {
    Jobs::metric_set().pushed.inc();
    assert_eq!(Jobs::metric_names(), ["queues.Jobs.pushed", "queues.Jobs.depth"]);
    assert_eq!(Typed::<u8>::metric_names(), ["queues.Typed<u8>.pushed", "queues.Typed<u8>.depth"]);
    assert_eq!(Users.get(), 7);
    assert_eq!(Users::metric_set().latency.count(), 1);
    let e = metered_runtime::registry().get("endpoints.Users.latency").unwrap();
    assert_eq!(e.type_label().unwrap().family, "endpoints.latency");
    let _ = (Jobs, Typed(0).0);
}
