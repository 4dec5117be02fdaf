mod reexport {
    pub use metered_runtime as rt;
}

#[derive(reexport::rt::Metered)]
#[metrics(crate = crate::reexport::rt, hits: Counter = "renamed.{}.hits")]
struct Handler;

reexport::rt::metric_set! {
    #[metrics(crate = crate::reexport::rt)]
    pub Endpoint { latency: Timer = "renamed.{}.latency" }
}

#[derive(reexport::rt::Metered)]
#[metrics(crate = crate::reexport::rt, set = Endpoint)]
struct Other;

struct Db;

#[reexport::rt::metered(crate = crate::reexport::rt)]
impl Db {
    fn get(&self) -> u8 {
        1
    }
}

fn main() {
    Handler::hits().inc();
    assert_eq!(Db.get(), 1);
    assert_eq!(Other::metric_names(), ["renamed.Other.latency"]);
    let _ = (Handler, Other);
}
