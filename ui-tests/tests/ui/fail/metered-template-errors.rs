use metered_runtime::metered;

#[metered(name = "app.{type}.{fn}")]
fn free() {}

#[metered(type_label)]
fn labelled() {}

struct Db;

#[metered(name = "app.{fn}", type_label)]
impl Db {
    fn get(&self) {}
    #[metered(name = "app.get")]
    fn fetch(&self) {}
    #[metered(name = "app.{trait}")]
    fn put(&self) {}
}

trait Tr {
    fn f(&self);
}

#[metered]
impl Tr for [u8; 2] {
    fn f(&self) {}
}

fn main() {
    free();
    labelled();
    Db.get();
    Db.fetch();
    Db.put();
}
