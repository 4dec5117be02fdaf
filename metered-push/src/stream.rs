//! The JSON stream sink: one JSON document per report, on a line of its own, to stdout, to any
//! writer, or appended to a file whose path is a template on the UTC date.
//!
//! Each line is an object:
//!
//! - `start_time`: when the sink was made (usually the program's start), RFC 3339 UTC;
//! - `time`: when the report's snapshot was taken, RFC 3339 UTC with milliseconds;
//! - `metrics`: the nested view of the registry at that moment (cumulative values, exactly
//!   [`Snapshot::to_json`](metered_runtime_core::Snapshot::to_json), which the published
//!   snapshot JSON Schema describes).
//!
//! The schema may grow: new keys can appear in later versions, so readers should ignore keys
//! they do not know. With a process collector registered in the same registry this is a
//! stats program's record: one object per interval with the process statistics and the
//! program's own gauges.
//!
//! ```
//! use metered_push::{Reporter, stream::JsonSink};
//! use std::sync::{Arc, Mutex};
//! let registry = Arc::new(metered_runtime_core::Registry::new());
//! registry.gauge("app.queue").unwrap().set(4);
//! let out = Arc::new(Mutex::new(Vec::new()));
//! let sink = JsonSink::writer(metered_push::stream::Shared(out.clone()));
//! Reporter::builder(registry, sink).start().unwrap().stop(); // one final report
//! let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
//! assert!(text.ends_with("\"metrics\":{\"app\":{\"queue\":{\"value\":4}}}}\n"));
//! ```

use crate::delta::Report;
use crate::{Encoded, SendError, Sink};
use metered_runtime_core::Snapshot;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// A writer shared with the caller (e.g. to read what was written in a test).
#[derive(Debug, Clone, Default)]
pub struct Shared<W>(pub Arc<Mutex<W>>);

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the shared writer is poisoned"))?
            .write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the shared writer is poisoned"))?
            .flush()
    }
}

enum Target {
    Writer(Box<dyn Write + Send>),
    File {
        template: String,
        open: Option<(String, File)>,
    },
}

/// Writes one JSON line per report (see the [module docs](self)).
pub struct JsonSink {
    target: Target,
    start: SystemTime,
}

impl std::fmt::Debug for JsonSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let target = match &self.target {
            Target::Writer(_) => "writer".to_owned(),
            Target::File { template, .. } => format!("file {template:?}"),
        };
        f.debug_struct("JsonSink")
            .field("target", &target)
            .finish_non_exhaustive()
    }
}

/// Days since 1970-01-01 to `(year, month, day)` in the proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "1..=31 and 1..=12"
    )]
    (y, m as u32, d as u32)
}

fn parts(t: SystemTime) -> (i64, u32, u32, u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    #[allow(clippy::cast_possible_wrap, reason = "days since 1970 fit in i64")]
    let (y, m, day) = civil((secs / 86_400) as i64);
    (y, m, day, secs % 86_400, d.subsec_millis())
}

/// `YYYY-MM-DD` of `t` in UTC.
#[must_use]
pub fn utc_date(t: SystemTime) -> String {
    let (y, m, d, _, _) = parts(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of `t`.
#[must_use]
pub fn rfc3339(time: SystemTime) -> String {
    let (year, month, day, secs, ms) = parts(time);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

impl JsonSink {
    fn new(target: Target) -> Self {
        JsonSink {
            target,
            start: SystemTime::now(),
        }
    }

    /// Writes to the process's standard output.
    #[must_use]
    pub fn stdout() -> Self {
        JsonSink::new(Target::Writer(Box::new(std::io::stdout())))
    }

    /// Writes to `w` (flushed after each report).
    #[must_use]
    pub fn writer(w: impl Write + Send + 'static) -> Self {
        JsonSink::new(Target::Writer(Box::new(w)))
    }

    /// Appends to the file `template` names with `{date}` replaced by the UTC date
    /// (`/var/log/app/{date}.json` -> `/var/log/app/2026-12-01.json`): a new file when the
    /// date changes, created if missing. The file of the day a report is written in (a report
    /// retried after midnight goes to the new day's file).
    ///
    /// # Errors
    /// If the directory of today's file does not exist (or is not a directory). Later, a
    /// missing directory is a counted failure of the reporter.
    pub fn file(template: &str) -> std::io::Result<Self> {
        let path = PathBuf::from(template.replace("{date}", &utc_date(SystemTime::now())));
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "the directory {} of the JSON stream file {} does not exist",
                    parent.display(),
                    path.display()
                ),
            ));
        }
        Ok(JsonSink::new(Target::File {
            template: template.to_owned(),
            open: None,
        }))
    }

    /// The document of one report (without the final newline).
    #[must_use]
    pub fn document(&self, snapshot: &Snapshot, time: SystemTime) -> String {
        format!(
            "{{\"start_time\":\"{}\",\"time\":\"{}\",\"metrics\":{}}}",
            rfc3339(self.start),
            rfc3339(time),
            snapshot.to_json()
        )
    }
}

impl Sink for JsonSink {
    fn name(&self) -> &'static str {
        "json"
    }

    fn encode(&mut self, _report: &Report) -> Encoded {
        // The reporter calls `encode_with_snapshot`; without a snapshot there is nothing to
        // write.
        Encoded::default()
    }

    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        let mut line = self.document(snapshot, report.time);
        line.push('\n');
        Encoded {
            payloads: vec![line.into_bytes()],
            dropped: 0,
        }
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        match &mut self.target {
            Target::Writer(w) => {
                w.write_all(payload)?;
                w.flush()?;
                Ok(())
            }
            Target::File { template, open } => {
                let path = template.replace("{date}", &utc_date(SystemTime::now()));
                if open.as_ref().is_none_or(|(p, _)| *p != path) {
                    let f = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(|e| SendError::retry(format!("{path}: {e}")))?;
                    *open = Some((path.clone(), f));
                }
                let result = match open {
                    Some((_, f)) => f.write_all(payload).and_then(|()| f.flush()),
                    None => Ok(()),
                };
                result.map_err(|e| {
                    *open = None;
                    SendError::retry(format!("{path}: {e}"))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reporter;
    use metered_runtime_core::Registry;
    use std::time::Duration;

    #[test]
    fn dates_and_times_in_utc() {
        let at = |s: u64, ms: u64| UNIX_EPOCH + Duration::from_millis(s * 1000 + ms);
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(at(1_796_083_199, 999)), "2026-11-30T23:59:59.999Z");
        assert_eq!(utc_date(at(1_796_083_200, 0)), "2026-12-01");
        assert_eq!(utc_date(at(4_107_542_400, 0)), "2100-03-01");
    }

    #[test]
    fn one_line_per_report_with_cumulative_values() {
        let r = Arc::new(Registry::new());
        let c = r.counter("app.requests").unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let rep = Reporter::builder(r.clone(), JsonSink::writer(Shared(out.clone())))
            .interval(Duration::from_hours(1))
            .start()
            .unwrap();
        c.add(2);
        rep.report_now();
        c.add(3);
        let s = rep.stop();
        assert_eq!((s.sent, s.failures), (2, 0));
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let docs: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["metrics"]["app"]["requests"]["value"], 2);
        assert_eq!(docs[1]["metrics"]["app"]["requests"]["value"], 5);
        assert_eq!(docs[0]["start_time"], docs[1]["start_time"]);
        let t = docs[1]["time"].as_str().unwrap();
        assert_eq!(t.len(), 24);
        assert!(t.starts_with(&utc_date(SystemTime::now())[..4]) && t.ends_with('Z'));
    }

    #[test]
    fn a_file_per_utc_date_and_a_missing_directory_is_an_error() {
        let dir = std::env::temp_dir().join(format!("metered-push-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let template = format!("{}/stats-{{date}}.json", dir.display());
        let r = Arc::new(Registry::new());
        r.gauge("g").unwrap().set(-1);
        let sink = JsonSink::file(&template).unwrap();
        let rep = Reporter::builder(r.clone(), sink).start().unwrap();
        rep.report_now();
        let s = rep.stop();
        assert_eq!((s.sent, s.failures), (2, 0));
        // The date from the system's `date`, not from our own calendar code.
        let today = std::process::Command::new("date")
            .args(["-u", "+%F"])
            .output()
            .unwrap();
        let today = String::from_utf8(today.stdout).unwrap();
        let file = dir.join(format!("stats-{}.json", today.trim()));
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(
            text.lines()
                .all(|l| l.ends_with(r#""metrics":{"g":{"value":-1}}}"#))
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let missing = format!("{}/nope/{{date}}.json", dir.display());
        let err = JsonSink::file(&missing).unwrap_err();
        assert!(
            err.to_string().contains("nope of the JSON stream file"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_removed_later_is_a_counted_failure() {
        let dir = std::env::temp_dir().join(format!("metered-push-gone-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sink = JsonSink::file(&format!("{}/{{date}}.json", dir.display())).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let s = Reporter::builder(Arc::new(Registry::new()), sink)
            .log(|_| {})
            .start()
            .unwrap()
            .stop();
        assert_eq!((s.sent, s.failures), (0, 1));
    }
}
