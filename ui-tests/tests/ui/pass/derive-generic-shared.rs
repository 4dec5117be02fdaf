use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(requests: Counter = "generic.{}.requests")]
struct Cache<K: Ord, V>(std::collections::BTreeMap<K, V>)
where
    V: Clone;

fn main() {
    Cache::<u8, u8>::requests().inc();
    Cache::<String, ()>::requests().inc();
    // One metric for every instantiation, named from the type's name.
    assert_eq!(Cache::<i32, i32>::requests().get(), 2);
    assert_eq!(Cache::<u8, u8>::metric_names(), ["generic.Cache.requests"]);
    let _ = Cache::<u8, u8>(Default::default()).0;
}
