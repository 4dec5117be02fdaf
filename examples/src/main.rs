//! The main example (being written with the macros).

fn main() {
    let r = metered_runtime::registry();
    println!("{} metrics", r.metrics().len());
}
