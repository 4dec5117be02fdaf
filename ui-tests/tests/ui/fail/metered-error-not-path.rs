// `error` names a function; a closure is not accepted.
use metered_runtime::metered;

#[metered(error = |x| x)]
fn b() {}

fn main() {
    b();
}
