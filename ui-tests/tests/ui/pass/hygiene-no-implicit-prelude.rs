#![no_implicit_prelude]

#[derive(::metered_runtime::Metered)]
#[metrics(
    latency: Timer = "noprelude.{}.latency" (buckets = [0.1, 1.0], window = "30s"),
    hits: Counter = "{module}.{}.hits",
    sizes: Histogram = "noprelude.{}.sizes" (buckets = [1], cumulative),
)]
struct Handler;

#[derive(::metered_runtime::Metered)]
#[metrics(per_instantiation, hits: Counter = "noprelude.{}.hits")]
struct Generic<T>(T);

::metered_runtime::metric_set! {
    pub Set { hits: Counter = "noprelude.set.{}.hits" }
}

#[derive(::metered_runtime::Metered)]
#[metrics(set = Set)]
struct WithSet;

struct Db;

#[::metered_runtime::metered]
impl Db {
    fn get(&self) -> ::core::result::Result<u8, ()> {
        ::core::result::Result::Ok(1)
    }
    async fn later(&self) {}
}

#[::metered_runtime::metered]
fn free(x: u8) -> u8 {
    x
}

fn main() {
    let _ = Handler::latency();
    let _ = Generic::<u8>::hits();
    let _ = (Handler, Generic(1u8).0, WithSet);
    let _ = WithSet::metric_names();
    let _ = Db.get();
    let _ = Db.later();
    let _ = free(1);
}
