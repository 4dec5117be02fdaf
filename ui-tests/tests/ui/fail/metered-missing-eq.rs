use metered_runtime::metered;

#[metered(name "app.{fn}")]
fn a() {}

fn main() {
    a();
}
