// The default template names the type, and `[u8; 2]` has no name to put there.
use metered_runtime::metered;

trait Tr {
    fn f(&self);
}

#[metered]
impl Tr for [u8; 2] {
    fn f(&self) {}
}

fn main() {
    [0u8; 2].f();
}
