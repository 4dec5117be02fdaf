use metered_runtime::Metered;

mod handlers {
    #[derive(metered_runtime::Metered)]
    #[metrics(
        a: Counter = "tpl.{}.a",
        b: Counter = "tpl.{type}.b",
        c: Counter = "tpl.{type_snake}.c",
        d: Counter = "{module}.{}.d",
        e: Counter = "x{type}y.e",
    )]
    pub struct HTTPHandler2Go;
}

#[derive(Metered)]
#[metrics(only: Meter = "tpl.enum.{}")]
enum Kind {
    #[allow(dead_code)]
    A,
}

fn main() {
    // `{module}` is `module_path!()` with `::` mapped to `.`, rendered at compile time.
    let d = format!("{}.handlers.HTTPHandler2Go.d", module_path!());
    assert_eq!(
        handlers::HTTPHandler2Go::metric_names(),
        [
            "tpl.HTTPHandler2Go.a",
            "tpl.HTTPHandler2Go.b",
            "tpl.http_handler2_go.c",
            d.as_str(),
            "xHTTPHandler2Goy.e",
        ]
    );
    assert_eq!(Kind::metric_names(), ["tpl.enum.Kind"]);
    let _ = handlers::HTTPHandler2Go;
}
