// User code shadowing names the generated code could use by mistake.
#![allow(dead_code, non_camel_case_types)]

mod std {}
mod core {}
mod metered_runtime {}
struct Result;
struct Option;
struct Ok;
struct Err;
struct Some;
struct None;
struct Box;
struct Vec;
struct String;
trait Debug {}
trait Sized {}
struct usize_like;

#[derive(::metered_runtime::Metered)]
#[metrics(latency: Timer = "hygiene.{}.latency" (buckets = [0.1, 1], window = "1m"), per_instantiation)]
struct Handler<T>(T);

#[derive(::metered_runtime::Metered)]
#[metrics(hits: Counter = "hygiene.{}.hits")]
struct Plain;

::metered_runtime::metric_set! {
    pub Set {
        hits: Counter = "hygiene.set.{}.hits",
        sizes: Histogram = "hygiene.set.{}.sizes" (buckets = [1.0], cumulative),
    }
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
    fn maybe(&self) -> ::core::option::Option<u8> {
        ::core::option::Option::None
    }
    async fn later(&self) -> u8 {
        2
    }
}

fn main() {
    let _ = Handler::<u8>::latency();
    Plain::hits().inc();
    let _ = WithSet::metric_names();
    let _ = Db.get();
    let _ = Db.maybe();
    let _ = Db.later();
}
