use metered_runtime::metered;

struct Db;

#[metered(name = db, error = "is_err", type_label = true)]
impl Db {
    #[metered(skip = true)]
    fn get(&self) {}
}

fn main() {
    Db.get();
}
