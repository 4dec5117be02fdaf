use metered_runtime::metered;

#[metered]
struct Handler;

#[metered]
trait Service {
    fn call(&self);
}

#[metered]
mod inner {}

fn main() {
    let _ = Handler;
}
