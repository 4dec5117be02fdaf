//! Compile-pass and compile-fail cases of the metered macros. Bless the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p ui-tests --test ui`, then read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
