//! Metric sets declared here and applied in `ui-tests` (another crate).

use metered_runtime::{HasMetrics, metric_set};

metric_set! {
    /// What every queue records.
    pub Queue {
        /// Items pushed.
        pushed: Counter = "queues.{}.pushed",
        /// Items waiting.
        depth: Gauge = "queues.{}.depth",
    }
}

metric_set! {
    /// What every endpoint records.
    #[metrics(type_label = "endpoint")]
    pub Endpoint {
        /// Time spent in `get`.
        latency: Timer = "endpoints.{}.latency",
    }
}

/// An endpoint whose default method records into the implementing type's metrics.
pub trait Get: HasMetrics<Endpoint> {
    /// Times [`Get::get_impl`].
    fn get(&self) -> u32 {
        let _t = self.metrics().latency.time();
        self.get_impl()
    }
    /// The work.
    fn get_impl(&self) -> u32;
}
