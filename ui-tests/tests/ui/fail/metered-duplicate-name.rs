// Two methods whose templates render the same names: reported on the second one's `name`.
use metered_runtime::metered;

struct Db;

#[metered(name = "app.{fn}")]
impl Db {
    fn get(&self) {}
    #[metered(name = "app.get")]
    fn fetch(&self) {}
}

fn main() {
    Db.get();
    Db.fetch();
}
