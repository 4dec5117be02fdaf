//! `#[derive(Point)]` on the LUNA tasks monitoring series (`requests`, `errors`,
//! `subtask_final`): the exact line protocol each struct encodes to, through the runtime's
//! `Point`, and the derived points through a `PointWriter` to an HTTP server on loopback.
#![allow(
    clippy::struct_field_names,
    reason = "the member names are the LUNA series' keys (`requests` has `request_id`)"
)]

use metered_runtime::Point;
use metered_runtime::push::influx::InfluxSink;
use metered_runtime::push::points::{PointWriter, TagValue};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::{Duration, SystemTime};

fn at(ns: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(ns)
}

#[derive(Point)]
#[point(series = "requests")]
struct Request {
    #[point(tag)]
    service: &'static str,
    #[point(tag)]
    route: String,
    #[point(tag)]
    status_code: u16,
    request_id: String,
    execution_time: f64,
}

#[derive(Point)]
#[point(series = "errors")]
struct RequestError<'a> {
    #[point(tag)]
    service: &'a str,
    #[point(tag)]
    route: Cow<'a, str>,
    #[point(tag, name = "status_code")]
    status: u16,
    #[point(name = "error_code")]
    code: i32,
    detail: Option<String>,
    request_id: &'a str,
    #[point(timestamp)]
    time: u64,
}

#[derive(Clone, Copy)]
enum TaskType {
    Ingest,
    Export,
}

impl TagValue for TaskType {
    fn tag_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            TaskType::Ingest => "ingest",
            TaskType::Export => "export",
        })
    }
}

#[derive(Point)]
#[point(series = "subtask_final")]
struct SubtaskFinal {
    #[point(tag)]
    task_id: u64,
    #[point(tag)]
    subtask_id: Option<u32>,
    #[point(tag)]
    task_type: TaskType,
    ok: bool,
    duration: Duration,
    processed: Option<u64>,
    #[point(skip)]
    #[allow(dead_code, reason = "shows a member left out of the point")]
    scratch: Vec<u8>,
    #[point(timestamp)]
    finished: Option<SystemTime>,
}

#[test]
fn requests_encode_to_the_exact_line() {
    let r = Request {
        service: "api",
        route: "/users/{id} list".into(),
        status_code: 200,
        request_id: "r-\"7\"".into(),
        execution_time: 0.0125,
    };
    assert_eq!(Request::SERIES, "requests");
    // No timestamp member: the time given at encoding (the writer's time of emission).
    assert_eq!(
        r.to_point().to_line(at(5)).unwrap(),
        r#"requests,route=/users/{id}\ list,service=api,status_code=200 request_id="r-\"7\"",execution_time=0.0125 5"#
    );
    // Extra tags and fields per emit, on the runtime's builder.
    assert_eq!(
        r.to_point()
            .tag("host", "h1")
            .field("attempt", 2)
            .to_line(at(5))
            .unwrap(),
        r#"requests,host=h1,route=/users/{id}\ list,service=api,status_code=200 request_id="r-\"7\"",execution_time=0.0125,attempt=2i 5"#
    );
}

#[test]
fn errors_leave_out_none_and_carry_their_own_time() {
    let route = String::from("/orders");
    let mut e = RequestError {
        service: "api",
        route: Cow::Borrowed(&route),
        status: 500,
        code: -3,
        detail: None,
        request_id: "r1",
        time: 1_700_000_000_123_456_789,
    };
    assert_eq!(
        e.to_point().to_line(at(1)).unwrap(),
        r#"errors,route=/orders,service=api,status_code=500 error_code=-3i,request_id="r1" 1700000000123456789"#
    );
    e.detail = Some("db, down".into());
    assert_eq!(
        e.to_point().to_line(at(1)).unwrap(),
        r#"errors,route=/orders,service=api,status_code=500 error_code=-3i,detail="db, down",request_id="r1" 1700000000123456789"#
    );
}

#[test]
fn subtask_final_with_a_user_tag_type_and_optional_members() {
    let mut s = SubtaskFinal {
        task_id: 42,
        subtask_id: Some(3),
        task_type: TaskType::Export,
        ok: true,
        duration: Duration::from_millis(1500),
        processed: Some(u64::MAX),
        scratch: vec![1],
        finished: Some(at(9_000_000_000)),
    };
    assert_eq!(
        s.to_point().to_line(at(1)).unwrap(),
        format!(
            "subtask_final,subtask_id=3,task_id=42,task_type=export ok=true,duration=1.5,processed={}i 9000000000",
            i64::MAX
        )
    );
    // `None` leaves the tag, the field and the event time out.
    s.subtask_id = None;
    s.processed = None;
    s.finished = None;
    s.task_type = TaskType::Ingest;
    assert_eq!(
        s.to_point().to_line(at(7)).unwrap(),
        "subtask_final,task_id=42,task_type=ingest ok=true,duration=1.5 7"
    );
}

/// A stand-in for the 1.x write API: answers `n` write requests with 204 and returns their bodies.
fn capture(n: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for conn in listener.incoming().take(n) {
            let mut conn = BufReader::new(conn.unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                conn.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            conn.read_exact(&mut body).unwrap();
            bodies.push(String::from_utf8(body).unwrap());
            conn.get_mut()
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .unwrap();
        }
        bodies
    });
    (url, handle)
}

#[test]
fn derived_points_go_through_the_writer() {
    let (url, server) = capture(1);
    let writer = PointWriter::builder(InfluxSink::v1(&url, "tasks").unwrap().gzip(false))
        .flush_every(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    let req = Request {
        service: "api",
        route: "/a".into(),
        status_code: 404,
        request_id: "x".into(),
        execution_time: 0.5,
    };
    let before = SystemTime::now();
    assert!(writer.emit(req.to_point()));
    let stats = writer.stop();
    assert_eq!((stats.sent, stats.failures, stats.dropped), (1, 0, 0));
    let bodies = server.join().unwrap();
    let line = bodies[0].trim_end();
    let (head, ts) = line.rsplit_once(' ').unwrap();
    assert_eq!(
        head,
        r#"requests,route=/a,service=api,status_code=404 request_id="x",execution_time=0.5"#
    );
    // Stamped at emission.
    let ts: u128 = ts.parse().unwrap();
    let since = before
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert!(
        ts >= since && ts < since + 60_000_000_000,
        "{ts} vs {since}"
    );
}
