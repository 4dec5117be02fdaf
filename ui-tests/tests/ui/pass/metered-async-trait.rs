// Both attribute orders work: `#[metered]` above `#[async_trait]` sees the `async fn`;
// below it, `#[metered]` instruments the `Box::pin(async move { .. })` async-trait made.
use async_trait::async_trait;
use metered_runtime::metered;

#[async_trait]
trait Service {
    async fn call(&self, x: u8) -> Result<u8, String>;
}

struct A;
struct B;

#[metered]
#[async_trait]
impl Service for A {
    async fn call(&self, x: u8) -> Result<u8, String> {
        x.checked_add(1).ok_or_else(|| "overflow".to_owned())
    }
}

#[async_trait]
#[metered]
impl Service for B {
    async fn call(&self, x: u8) -> Result<u8, String> {
        let y = x.checked_mul(2).ok_or_else(|| "overflow".to_owned())?;
        Ok(y)
    }
}

fn main() {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(A.call(1).as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
    assert!(matches!(B.call(200).as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    assert!(metered_runtime::registry().get("A.call.latency").is_some());
    assert!(metered_runtime::registry().get("B.call.errors").is_some());
}
