use metered_runtime::{metered, registry};

struct Counter {
    n: u64,
}

#[derive(Debug)]
struct Overflow;

#[metered]
impl Counter {
    fn new() -> Self {
        Counter { n: 0 }
    }

    fn bump(&mut self) -> Result<u64, Overflow> {
        self.n = self.n.checked_add(1).ok_or(Overflow)?;
        self.check()?;
        Ok(self.n)
    }

    fn check(&mut self) -> Result<(), Overflow> {
        if self.n > 2 { Err(Overflow) } else { Ok(()) }
    }

    fn digits(&self) -> impl Iterator<Item = char> + '_ {
        self.n.to_string().chars().collect::<Vec<_>>().into_iter()
    }

    fn name(&self) -> &str {
        "counter"
    }

    #[metered(skip)]
    const fn zero() -> u64 {
        0
    }
}

fn main() {
    let mut c = Counter::new();
    c.bump().unwrap();
    c.bump().unwrap();
    assert!(c.bump().is_err());
    assert_eq!(c.digits().count(), 1);
    assert_eq!(c.name(), "counter");
    assert_eq!(Counter::zero(), 0);
    let meter = |n: &str| match registry().get(n).unwrap().metric().clone() {
        metered_runtime::MetricRef::Meter(m) => m.count(),
        _ => unreachable!(),
    };
    assert_eq!(meter("Counter.bump.errors"), 1);
    assert_eq!(meter("Counter.check.errors"), 1);
    assert!(registry().get("Counter.zero.latency").is_none());
}

#[metered]
#[allow(dead_code)]
fn diverges() -> ! {
    panic!("never returns")
}
