use metered_runtime::metered;

#[metered(name "app.{fn}")]
fn a() {}

#[metered(error = |x| x)]
fn b() {}

fn main() {
    a();
    b();
}
