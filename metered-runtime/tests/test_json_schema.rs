//! The nested and flat JSON views validated by Python's `jsonschema` against the published
//! schema (the flat one against its `#/$defs/flat`), and parsed by a strict reader that refuses
//! NaN, infinities and duplicate keys.
//!
//! Needs `python3` with `jsonschema` (installed by `.ci/run`); fails, never skips, without them.

use metered_runtime::Registry;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHECK: &str = r##"
import json, sys, jsonschema
def no_constants(c): raise ValueError("non-standard number " + c)
def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)): raise ValueError("duplicate key")
    return dict(pairs)
doc = json.loads(sys.stdin.read(), parse_constant=no_constants, object_pairs_hook=no_duplicates)
schema = json.load(open(sys.argv[1]))
if sys.argv[2] == "flat":
    schema = {"$ref": "#/$defs/flat", "$defs": schema["$defs"]}
    requests = doc["svc.requests"]
else:
    requests = doc["svc"]["requests"]
jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
print(json.dumps(requests["value"]))
"##;

fn validate(json: &str) -> Result<String, String> {
    validate_as(json, "nested")
}

fn validate_flat(json: &str) -> Result<String, String> {
    validate_as(json, "flat")
}

/// Validates `json` as the `form` view (`nested` or `flat`), giving `svc.requests`' value.
fn validate_as(json: &str, form: &str) -> Result<String, String> {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/snapshot.schema.json");
    let mut child = Command::new("python3")
        .args(["-c", CHECK, schema, form])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for this test (.ci/run installs jsonschema)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn every_kind_validates() {
    let r = Registry::new();
    r.counter("svc.requests").unwrap().add(7);
    r.gauge("svc.queue").unwrap().set(-3);
    r.float_gauge("svc.load").unwrap().set(0.25);
    r.fn_gauge("svc.broken", || f64::NAN).unwrap();
    r.fn_gauge("svc.answer", || 42.0).unwrap();
    r.meter("svc.events").unwrap().mark_n(3);
    let h = r.histogram("svc.sizes").unwrap();
    for v in [1.0, 10.0, 100.0] {
        h.record(v).unwrap();
    }
    r.histogram("svc.empty").unwrap();
    let t = r.timer("svc.latency").unwrap();
    t.record(Duration::from_millis(3));
    let f = r.timer_family("svc.route", &["method", "path"]).unwrap();
    f.get(&["GET", "/a=b,c"])
        .unwrap()
        .record(Duration::from_micros(5));
    let json = r.snapshot().to_json();
    assert_eq!(validate(&json).unwrap(), "7", "{json}");
    let flat = r.snapshot().to_flat_json();
    assert!(
        flat.contains(r#""svc.route":{"method=GET,path=/a=b,c":{"count":1,"#),
        "{flat}"
    );
    assert_eq!(validate_flat(&flat).unwrap(), "7", "{flat}");
    // Each view is refused as the other.
    assert!(validate_flat(&json).is_err());
    assert!(validate(&flat).is_err());
}

#[test]
fn collector_output_validates() {
    use metered_runtime::collector::Collection;
    let r = Registry::new();
    r.counter("svc.requests").unwrap().add(7);
    r.register_collector("users", |out: &mut Collection| {
        out.histogram("svc.activity", "", &["scope"], &[1.0, 3.0])?
            .per_bucket(&[("scope", "a")], &[1, 2, 3], 20.0)?;
        out.gauge("svc.workers", "", &["state", "arch"])?
            .set(&[("state", "idle")], 2)?;
        out.float_counter("svc.cpu_seconds", "", &[])?
            .set(&[], 1.25)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("broken", |_: &mut Collection| Err("down".into()))
        .unwrap();
    let json = r.snapshot().to_json();
    assert!(json.contains(r#""cpu_seconds":{"value":1.25}"#), "{json}");
    assert_eq!(validate(&json).unwrap(), "7", "{json}");
    let flat = r.snapshot().to_flat_json();
    assert!(
        flat.contains(r#""svc.cpu_seconds":{"value":1.25}"#),
        "{flat}"
    );
    assert_eq!(validate_flat(&flat).unwrap(), "7", "{flat}");
}

#[test]
fn the_checker_can_fail() {
    // The same checker rejects what it should, so the test above means something.
    assert!(validate(r#"{"svc":{"requests":{"value":NaN}}}"#).is_err());
    assert!(validate(r#"{"svc":{"requests":{"value":1},"requests":{"value":2}}}"#).is_err());
    assert!(validate(r#"{"svc":{"requests":{"value":1,"extra":2}}}"#).is_err());
    assert!(validate(r#"{"svc":{"requests":{"value":1}},"x":{"count":-1,"mean_rate":0,"m1":0,"m5":0,"m15":0}}"#).is_err());
    assert!(
        validate_flat(r#"{"svc.requests":{"value":1},"svc.f":{"a=1":{"a=2":{"value":1}}}}"#)
            .is_err()
    );
    assert!(validate_flat(r#"{"svc.requests":{"value":1,"extra":2}}"#).is_err());
}
