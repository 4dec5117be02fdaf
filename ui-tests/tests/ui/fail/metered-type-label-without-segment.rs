use metered_runtime::metered;

struct Db;

#[metered(name = "app.{fn}", type_label)]
impl Db {
    fn get(&self) {}
}

fn main() {
    Db.get();
}
