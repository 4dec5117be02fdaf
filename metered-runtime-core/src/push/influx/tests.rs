//! Unit tests of the line-protocol encoder.

use super::*;
use crate::Registry;
use crate::push::delta::DeltaState;
use std::time::{Duration, SystemTime};

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

#[test]
fn every_kind_golden() {
    let r = Registry::new();
    r.counter("c").unwrap().add(2);
    r.gauge("g").unwrap().set(-7);
    r.up_down_counter("u").unwrap().add(3);
    r.float_gauge("f").unwrap().set(2.0);
    r.fn_gauge("bad", || f64::NAN).unwrap();
    r.histogram("h").unwrap().record(2.5).unwrap();
    r.timer("t").unwrap().record(Duration::from_millis(1500));
    r.meter("m").unwrap().mark_n(4);
    let mut s = DeltaState::new();
    let cfg = Config {
        prefix: "app.".into(),
        tags: vec![("host".into(), "h1".into())],
    };
    let lines_snapshot = r.snapshot();
    let lines = encode(&s.report(&lines_snapshot, at(1)), &cfg);
    let stats = "sum=2.5,mean=2.5,min=2.5,max=2.5,p50=2.5,p75=2.5,p95=2.5,p99=2.5,p999=2.5";
    let tstats = "sum=1.5,mean=1.5,min=1.5,max=1.5,p50=1.5,p75=1.5,p95=1.5,p99=1.5,p999=1.5";
    assert_eq!(lines[0], "app.c,host=h1 count=2i 1000000000");
    assert_eq!(lines[1], "app.f,host=h1 value=2 1000000000");
    assert_eq!(lines[2], "app.g,host=h1 value=-7i 1000000000");
    assert_eq!(
        lines[3],
        format!("app.h,host=h1 count=1i,{stats} 1000000000")
    );
    assert!(
        lines[4].starts_with("app.m,host=h1 count=4i,mean_rate="),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with(&format!("app.t,host=h1 count=1i,{tstats},mean_rate=")),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6], "app.u,host=h1 value=3i 1000000000");
    assert_eq!(lines.len(), 7);

    // An empty interval keeps every field and its type.
    let again_snapshot = r.snapshot();
    let again = encode(&s.report(&again_snapshot, at(2)), &cfg);
    assert_eq!(again[0], "app.c,host=h1 count=0i 2000000000");
    let zeros = "sum=0,mean=0,min=0,max=0,p50=0,p75=0,p95=0,p99=0,p999=0";
    assert_eq!(
        again[3],
        format!("app.h,host=h1 count=0i,{zeros} 2000000000")
    );
}

#[test]
fn points_escape_string_fields_and_skip_what_cannot_be_written() {
    let p = Point::new("errors")
        .tag("service", "a,b")
        .tag("empty", "")
        .field("code", 500)
        .field("msg", "say \"hi\" \\ bye\nnext")
        .field("ok", false)
        .field("nan", f64::NAN)
        .field_opt("missing", None::<i64>)
        .field_opt("present", Some(1.5));
    assert_eq!(
        p.to_line(at(3)).unwrap(),
        "errors,service=a\\,b code=500i,msg=\"say \\\"hi\\\" \\\\ bye\nnext\",ok=false,present=1.5 3000000000"
    );
    assert_eq!(Point::new("x").field("nan", f64::NAN).to_line(at(0)), None);
}

#[test]
fn counts_beyond_i64_saturate() {
    let r = Registry::new();
    r.counter("c").unwrap().add(u64::MAX);
    let lines = encode(
        &DeltaState::new().report(&r.snapshot(), at(0)),
        &Config::default(),
    );
    assert_eq!(lines, [format!("c count={}i 0", i64::MAX)]);
}

#[test]
fn hostile_names_and_labels_are_escaped() {
    let r = Registry::new();
    let f = r.gauge_family("a,b=c", &["key", "z"]).unwrap();
    f.get(&["v,a=l ue\n\"x\"\\", ""]).unwrap().set(1);
    let lines = encode(
        &DeltaState::new().report(&r.snapshot(), at(0)),
        &Config::default(),
    );
    assert_eq!(lines, [r#"a\,b=c,key=v\,a\=l\ ue\ "x"\\  value=1i 0"#]);
}

#[test]
fn point_member_traits() {
    use std::borrow::Cow;
    assert_eq!(String::from("a b").tag_value(), "a b");
    assert_eq!(Cow::Borrowed("c").tag_value(), "c");
    assert_eq!((&&"d").tag_value(), "d");
    assert_eq!(404_u16.tag_value(), "404");
    assert_eq!((-1_i8).tag_value(), "-1");
    assert_eq!(true.tag_value(), "true");
    assert_eq!(None::<&str>.tag_value(), "");
    assert_eq!(Some('x').tag_value(), "x");

    assert_eq!((-3_i8).field_value(), Some(FieldValue::Int(-3)));
    assert_eq!(u64::MAX.field_value(), Some(FieldValue::Int(i64::MAX)));
    assert_eq!(i128::MIN.field_value(), Some(FieldValue::Int(i64::MIN)));
    assert_eq!(7_usize.field_value(), Some(FieldValue::Int(7)));
    assert_eq!(1.5_f32.field_value(), Some(FieldValue::Float(1.5)));
    assert_eq!(
        Duration::from_millis(1500).field_value(),
        Some(FieldValue::Float(1.5))
    );
    assert_eq!("s".field_value(), Some(FieldValue::Str("s".into())));
    assert_eq!(
        std::sync::Arc::<str>::from("t").field_value(),
        Some(FieldValue::Str("t".into()))
    );
    assert_eq!(Some(false).field_value(), Some(FieldValue::Bool(false)));
    assert_eq!(None::<f64>.field_value(), None);

    assert_eq!(3_000_000_000_u64.point_time(), Some(at(3)));
    assert_eq!(3_000_000_000_u128.point_time(), Some(at(3)));
    assert_eq!(u128::MAX.point_time(), None);
    assert_eq!(3_000_000_000_i64.point_time(), Some(at(3)));
    assert_eq!(
        (-1_000_000_000_i64).point_time(),
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(1))
    );
    assert_eq!(Duration::from_secs(2).point_time(), Some(at(2)));
    assert_eq!(Some(at(4)).point_time(), Some(at(4)));
    assert_eq!(None::<SystemTime>.point_time(), None);
}
