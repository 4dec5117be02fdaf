//! The pre-fork example end to end: three worker processes serve 500 requests each; the
//! parent's one endpoint reports the sum of all three.

use std::process::Command;

#[test]
fn one_endpoint_reports_every_worker() {
    let out = Command::new(env!("CARGO_BIN_EXE_prefork"))
        .args(["--workers", "3", "--requests", "500", "--once"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .to_owned()
    };
    assert_eq!(
        line("prefork_checkout_requests_total "),
        "prefork_checkout_requests_total 1500"
    );
    assert_eq!(
        line("prefork_checkout_latency_seconds_count "),
        "prefork_checkout_latency_seconds_count 1500"
    );
    // Requests for items 10 and 11 of every 12 fail: 500 = 41 x 12 + 8, so 82 per worker.
    assert_eq!(
        line("prefork_inventory_reserve_errors_total "),
        "prefork_inventory_reserve_errors_total 246"
    );
    // A type-labelled family: one series per handler type, summed over the workers.
    assert_eq!(
        line("prefork_pages_render_seconds_count{type=\"Home\"} "),
        "prefork_pages_render_seconds_count{type=\"Home\"} 750"
    );
    assert_eq!(
        line("prefork_pages_render_seconds_count{type=\"Cart\"} "),
        "prefork_pages_render_seconds_count{type=\"Cart\"} 750"
    );
    // The workers are gone: nothing in flight (live processes only).
    assert!(!text.contains("prefork_checkout_in_flight "), "{text}");
    assert!(
        text.contains("metered_multiprocess_files{state=\"dead\"} 3"),
        "{text}"
    );
}
