use metered_runtime::metered;

struct Db;

#[metered]
impl Db {
    const fn zero() -> u8 {
        0
    }
}

#[metered]
const fn one() -> u8 {
    1
}

fn main() {
    let _ = (Db::zero(), one());
}
