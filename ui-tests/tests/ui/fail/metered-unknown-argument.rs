use metered_runtime::metered;

struct Db;

#[metered(prefix = "db", skip)]
impl Db {
    #[metered(skip, crate = ::metered_runtime, rename = "x")]
    fn get(&self) {}
}

fn main() {
    Db.get();
}
