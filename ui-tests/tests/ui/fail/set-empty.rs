use metered_runtime::metric_set;

metric_set! {
    pub Empty {}
}

fn main() {}
