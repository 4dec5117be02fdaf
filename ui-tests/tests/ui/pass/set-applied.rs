use metered_runtime::{HasMetrics, Metered, metric_set};

metric_set! {
    /// What every HTTP endpoint records.
    pub HttpEndpoint {
        /// Time spent in `get`.
        latency: Timer = "my.http.endpoints.{}.latency",
        error_rate: Meter = "my.http.endpoints.{}.error_rate",
    }
}

trait Handler: HasMetrics<HttpEndpoint> {
    fn get(&self) -> Result<u32, ()> {
        let _t = self.metrics().latency.time();
        let r = self.get_impl();
        if r.is_err() {
            self.metrics().error_rate.mark();
        }
        r
    }
    fn get_impl(&self) -> Result<u32, ()>;
}

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
struct MyImplHandler;

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
struct MyOtherImplHandler;

impl Handler for MyImplHandler {
    fn get_impl(&self) -> Result<u32, ()> {
        Ok(1)
    }
}

impl Handler for MyOtherImplHandler {
    fn get_impl(&self) -> Result<u32, ()> {
        Err(())
    }
}

fn main() {
    // Every name is registered before any handler runs, and the set itself has none.
    let names = metered_runtime::registry().names();
    assert!(names.contains(&"my.http.endpoints.MyImplHandler.latency".to_owned()));
    assert!(names.contains(&"my.http.endpoints.MyOtherImplHandler.error_rate".to_owned()));
    assert!(!names.iter().any(|n| n.contains("HttpEndpoint")));
    assert_eq!(MyImplHandler.get(), Ok(1));
    assert_eq!(MyOtherImplHandler.get(), Err(()));
    let handlers: [&dyn Handler; 2] = [&MyImplHandler, &MyOtherImplHandler];
    for h in handlers {
        let _ = h.get();
    }
    assert_eq!(MyImplHandler::metric_set().latency.count(), 2);
    assert_eq!(MyImplHandler::metric_set().error_rate.count(), 0);
    assert_eq!(MyOtherImplHandler::metric_set().error_rate.count(), 2);
    assert_eq!(
        MyOtherImplHandler::metric_names(),
        ["my.http.endpoints.MyOtherImplHandler.latency", "my.http.endpoints.MyOtherImplHandler.error_rate"]
    );
}
