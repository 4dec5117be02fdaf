// Generated code is clean under the strictest lints the user can set (clippy runs on the same
// code in tests/lints.rs).
#![deny(warnings, missing_docs, unused, unreachable_pub, rust_2018_idioms)]
//! A crate with strict lints.

use metered_runtime::{Metered, metered, metric_set};

metric_set! {
    /// A set.
    pub Endpoint {
        /// Latency.
        latency: Timer = "lints.{}.latency",
    }
}

/// A handler.
#[derive(Metered)]
#[metrics(set = Endpoint)]
pub struct Handler;

/// Another handler.
#[derive(Metered)]
#[metrics(hits: Counter = "lints.{}.hits", per_instantiation)]
pub struct Generic<T>(pub T);

/// A database.
pub struct Db;

#[metered]
impl Db {
    /// Gets.
    pub fn get(&self) -> Result<u8, ()> {
        Ok(1)
    }
    /// Loads.
    pub async fn load(&self) -> u8 {
        1
    }
}

fn main() {
    let _ = (Handler::metric_names(), Generic::<u8>::hits(), Generic(1).0, Db.get(), Db.load());
}
