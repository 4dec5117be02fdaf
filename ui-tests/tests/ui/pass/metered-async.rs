use metered_runtime::metered;
use std::future::Future;
use std::task::{Context, Poll, Waker};

struct Client;

#[metered(name = "client.{fn}")]
impl Client {
    async fn fetch(&self, fail: bool) -> Result<u8, String> {
        let v: u8 = if fail { "x" } else { "3" }.parse().map_err(|_| "bad".to_owned())?;
        Ok(v)
    }

    async fn nothing(&mut self) {}
}

fn main() {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = Box::pin(Client.fetch(false));
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
    let mut f = Box::pin(Client.fetch(true));
    assert!(matches!(f.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    let mut c = Client;
    let mut f = Box::pin(c.nothing());
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(()));
    assert!(metered_runtime::registry().get("client.fetch.errors").is_some());
}
