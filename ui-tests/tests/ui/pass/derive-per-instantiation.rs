use metered_runtime::Metered;

#[derive(Metered)]
#[metrics(per_instantiation, requests: Counter = "per.{}.requests")]
struct Cache<K>(K);

fn main() {
    Cache::<u8>::requests().inc();
    Cache::<Vec<String>>::requests().add(3);
    assert_eq!(Cache::<u8>::requests().get(), 1);
    assert_eq!(Cache::<Vec<String>>::metric_names(), ["per.Cache<Vec<String>>.requests"]);
    assert!(metered_runtime::registry().get("per.Cache<u8>.requests").is_some());
    let _ = Cache(1).0;
}
