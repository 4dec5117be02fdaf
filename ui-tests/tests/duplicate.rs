//! One name rendered by two types in two modules: both still compile (each module is fine on
//! its own) and the registry reports the clash with both locations.

use metered_runtime::{Error, self_check};

mod a {
    #[derive(metered_runtime::Metered)]
    #[metrics(hits: Counter = "dup.{}.hits")]
    pub struct Same;
}

mod b {
    #[derive(metered_runtime::Metered)]
    #[metrics(hits: Counter = "dup.{}.hits")]
    pub struct Same;
}

#[test]
fn duplicate_names_are_reported_with_both_locations() {
    a::Same::hits().inc();
    b::Same::hits().inc();
    let check = self_check();
    assert!(check.inventory_works);
    let problem = check
        .problems
        .iter()
        .find_map(|p| match p {
            Error::Duplicate {
                name,
                first,
                second,
            } if name == "dup.Same.hits" => Some((first.clone(), second.clone())),
            _ => None,
        })
        .expect("the clash is reported");
    let both = format!("{} | {}", problem.0, problem.1);
    assert!(both.contains("duplicate::a"), "{both}");
    assert!(both.contains("duplicate::b"), "{both}");
    assert!(both.contains("tests/duplicate.rs"), "{both}");
}
