use metered_runtime::metered;

#[metered(type_label)]
fn labelled() {}

fn main() {
    labelled();
}
