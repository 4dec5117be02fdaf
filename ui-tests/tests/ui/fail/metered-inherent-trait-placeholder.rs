// `{trait}` is a placeholder of `impl Trait for T` blocks only.
use metered_runtime::metered;

struct Db;

#[metered]
impl Db {
    #[metered(name = "app.{trait}")]
    fn put(&self) {}
}

fn main() {
    Db.put();
}
