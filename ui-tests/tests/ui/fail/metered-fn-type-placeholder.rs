// A free fn has no type: `{type}` is not one of its placeholders.
use metered_runtime::metered;

#[metered(name = "app.{type}.{fn}")]
fn free() {}

fn main() {
    free();
}
