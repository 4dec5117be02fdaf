use metered_runtime::metered;
use std::fmt::Display;

struct Wrapper<T>(T);

#[metered]
impl<T: Display> Wrapper<T>
where
    T: Clone,
{
    fn show(&self) -> String {
        self.0.to_string()
    }

    fn pair<U: Display>(&self, u: U) -> String {
        format!("{}{}", self.0, u)
    }

    fn get(&self) -> T {
        self.0.clone()
    }
}

#[metered]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    items.iter().copied().fold(None, |m, x| match m {
        Some(m) if m >= x => Some(m),
        _ => Some(x),
    })
}

fn main() {
    assert_eq!(Wrapper(1).show(), "1");
    assert_eq!(Wrapper("a").pair(2), "a2");
    assert_eq!(Wrapper(2.5).get(), 2.5);
    assert_eq!(largest(&[1, 3, 2]), Some(3));
    assert_eq!(largest::<u8>(&[]), None);
    assert!(metered_runtime::registry().get("Wrapper.show.latency").is_some());
    let name = format!("{}.largest.latency", module_path!());
    assert!(metered_runtime::registry().get(&name).is_some());
}
