//! The reader: every pipe and file of a directory at once, within one timeout.

use metered_runtime_core::collector::{CollectError, Collection, Collector};
use metered_runtime_core::statvent::text::{self, split_labels};
use metered_runtime_core::statvent::{Combine, Number, combine, to_json};
use metered_runtime_core::{Error, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read as _};
use std::os::fd::AsFd as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The most read from one pipe or file; the rest is cut off and reported.
const MAX_BYTES: usize = 16 << 20;

/// How [`read_dir`] reads.
///
/// ```
/// use metered_push::statvent::ReadOptions;
/// use std::time::Duration;
/// let o = ReadOptions { timeout: Duration::from_millis(250), ..ReadOptions::default() };
/// assert!(o.remove_stale);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// How long to wait, for all pipes together, for their writers to write and close: 1 s
    /// by default. A pipe that has not finished by then is left out of this read.
    pub timeout: Duration,
    /// Remove the stale pipes and files of processes that are gone (true by default).
    pub remove_stale: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            timeout: Duration::from_secs(1),
            remove_stale: true,
        }
    }
}

/// One process's stats, as read from its pipe or file.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// The pid of the file name (`<pid>.stats`), when it is a number.
    pub pid: Option<u32>,
    /// The pipe or file.
    pub path: PathBuf,
    /// Its stats, in the order written.
    pub stats: Vec<(String, Number)>,
}

/// What [`read_dir`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Host {
    /// The processes whose stats were read, by path.
    pub processes: Vec<Process>,
    /// Pipes and files of processes that are gone (removed when
    /// [`remove_stale`](ReadOptions::remove_stale) is set).
    pub stale: Vec<PathBuf>,
    /// Pipes of live processes (or of names without a pid) that wrote nothing complete within
    /// the timeout: a process without a writer thread, or one stopped in a debugger.
    pub unanswered: Vec<PathBuf>,
    /// Lines that did not read as `name: value`, and entries that could not be read, with
    /// their paths.
    pub problems: Vec<String>,
}

impl Host {
    /// The processes' stats combined into one view (see
    /// [`Combine`](metered_runtime_core::statvent::Combine)).
    #[must_use]
    pub fn combined(&self, rule: Combine) -> BTreeMap<String, Number> {
        let stats: Vec<Vec<(String, Number)>> =
            self.processes.iter().map(|p| p.stats.clone()).collect();
        combine(&stats, rule)
    }

    /// The combined view as the JSON of `python -m statvent.web`, stamped now
    /// ([`to_json`](metered_runtime_core::statvent::to_json)).
    #[must_use]
    pub fn to_json(&self, rule: Combine) -> String {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        to_json(&self.combined(rule), self.processes.len(), now)
    }
}

/// Whether process `pid` exists (`kill(pid, 0)`; a process of another user counts).
fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// The pid of a `<pid>.stats` name.
fn pid_of(p: &Path) -> Option<u32> {
    p.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".stats"))
        .and_then(|n| n.parse::<u32>().ok())
}

struct Pending {
    index: usize,
    file: File,
    bytes: Vec<u8>,
    done: bool,
}

/// Reads every `*.stats` pipe and file in `dir` (names starting with `.` aside), the pipes all
/// at once: each is opened without blocking, and all are waited on together for at most
/// `options.timeout`. A missing directory reads as a host with no processes.
///
/// A pipe with no writer whose pid names no live process, and a plain file whose pid names no
/// live process, are stale. (A child process that was killed but not yet waited for still
/// exists, as a zombie.)
///
/// # Errors
/// [`Error::Io`] when `dir` exists but cannot be listed, or waiting on the pipes fails.
pub fn read_dir(dir: &Path, options: &ReadOptions) -> Result<Host> {
    let mut host = Host::default();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(host),
        Err(e) => {
            return Err(Error::Io {
                context: format!("cannot list the stats directory {}", dir.display()),
                message: e.to_string(),
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            #[allow(
                clippy::case_sensitive_file_extension_comparisons,
                reason = "statvent's names are `<pid>.stats`, in lower case"
            )]
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".stats") && !n.starts_with('.'))
        })
        .collect();
    paths.sort();
    let mut texts: Vec<Option<String>> = vec![None; paths.len()];
    let mut stale = Vec::new();
    let mut pending = open_all(&paths, &mut texts, &mut stale, &mut host.problems);
    wait_all(&mut pending, options.timeout, &mut host.problems, &paths)?;
    for p in pending {
        if p.done {
            texts[p.index] = Some(String::from_utf8_lossy(&p.bytes).into_owned());
        } else if pid_of(&paths[p.index]).is_some_and(|pid| !alive(pid)) {
            stale.push(p.index);
        } else {
            host.unanswered.push(paths[p.index].clone());
        }
    }
    stale.sort_unstable();
    for i in stale {
        if options.remove_stale
            && let Err(e) = fs::remove_file(&paths[i])
            && e.kind() != ErrorKind::NotFound
        {
            host.problems
                .push(format!("cannot remove {}: {e}", paths[i].display()));
        }
        host.stale.push(paths[i].clone());
    }
    for (i, text) in texts.into_iter().enumerate() {
        let Some(text) = text else { continue };
        let parsed = text::parse(&text);
        for (line, why) in parsed.problems {
            host.problems
                .push(format!("{} line {line}: {why}", paths[i].display()));
        }
        host.processes.push(Process {
            pid: pid_of(&paths[i]),
            path: paths[i].clone(),
            stats: parsed.stats,
        });
    }
    Ok(host)
}

/// Opens the pipes (without blocking) and reads the files.
fn open_all(
    paths: &[PathBuf],
    texts: &mut [Option<String>],
    stale: &mut Vec<usize>,
    problems: &mut Vec<String>,
) -> Vec<Pending> {
    let mut pending = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let pid = pid_of(path);
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("cannot inspect {}: {e}", path.display()));
                continue;
            }
        };
        if meta.file_type().is_fifo() {
            match OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NONBLOCK)
                .open(path)
            {
                Ok(file) => pending.push(Pending {
                    index,
                    file,
                    bytes: Vec::new(),
                    done: false,
                }),
                Err(e) => problems.push(format!("cannot open {}: {e}", path.display())),
            }
        } else if meta.is_file() {
            if pid.is_some_and(|p| !alive(p)) {
                stale.push(index);
                continue;
            }
            match fs::read(path) {
                Ok(mut bytes) => {
                    bytes.truncate(MAX_BYTES);
                    texts[index] = Some(String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(e) => problems.push(format!("cannot read {}: {e}", path.display())),
            }
        } else {
            problems.push(format!("{} is neither a pipe nor a file", path.display()));
        }
    }
    pending
}

/// Reads the pipes until each has been written and closed, or the time is up.
fn wait_all(
    pending: &mut [Pending],
    timeout: Duration,
    problems: &mut Vec<String>,
    paths: &[PathBuf],
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let open: Vec<usize> = (0..pending.len()).filter(|&i| !pending[i].done).collect();
        let left = deadline.saturating_duration_since(Instant::now());
        if open.is_empty() || left.is_zero() {
            return Ok(());
        }
        // Until a writer has come and gone, a pipe opened without blocking reports nothing:
        // `poll` waits for data or for the writer's close (POLLHUP).
        let ready: Vec<bool> = {
            let mut fds: Vec<PollFd<'_>> = open
                .iter()
                .map(|&i| PollFd::new(pending[i].file.as_fd(), PollFlags::POLLIN))
                .collect();
            let ms = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
            match poll(&mut fds, PollTimeout::from(ms)) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    return Err(Error::Io {
                        context: "cannot wait on the stats pipes".into(),
                        message: e.desc().into(),
                    });
                }
            }
            fds.iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect()
        };
        for (&i, ready) in open.iter().zip(ready) {
            if ready {
                let path = &paths[pending[i].index];
                drain(&mut pending[i], &mut buf, problems, path);
            }
        }
    }
}

fn drain(p: &mut Pending, buf: &mut [u8], problems: &mut Vec<String>, path: &Path) {
    loop {
        match p.file.read(buf) {
            Ok(0) => {
                p.done = true;
                return;
            }
            Ok(n) => {
                if p.bytes.len() + n > MAX_BYTES {
                    problems.push(format!(
                        "{}: more than {MAX_BYTES} bytes, the rest left out",
                        path.display()
                    ));
                    p.done = true;
                    return;
                }
                p.bytes.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                problems.push(format!("cannot read {}: {e}", path.display()));
                p.done = true;
                return;
            }
        }
    }
}

/// A [`Collector`] of the host view: at every snapshot of the registry it is registered in, it
/// reads the directory ([`read_dir`]), combines the processes' stats ([`Host::combined`]) and
/// yields each stat as a gauge, so the summed view reaches `/metrics`, JSON and push
/// reporters. A stat named `N{k="v"}` is the series `{k="v"}` of the family `N`; integers are
/// integer gauges, a family with any float a floating-point gauge. A stat whose name is not a
/// valid metric name (`foo :: now`, with spaces) is left out and counted. It adds
/// `metered.statvent.processes`, `.stale`, `.unanswered` and `.skipped`, gauges of its own.
///
/// ```
/// use metered_push::statvent::HostCollector;
/// let registry = metered_runtime_core::Registry::new();
/// registry.register_collector("statvent", HostCollector::new("/nonexistent/stats-pipe"))?;
/// let snapshot = registry.snapshot();
/// assert_eq!(
///     snapshot.get("metered.statvent.processes").unwrap().value,
///     metered_runtime_core::snapshot::Value::Gauge(0)
/// );
/// # Ok::<(), metered_runtime_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HostCollector {
    dir: PathBuf,
    options: ReadOptions,
    rule: Combine,
}

impl HostCollector {
    /// Reads `dir` with the default [`ReadOptions`] and [`Combine`] rule.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        HostCollector {
            dir: dir.into(),
            options: ReadOptions::default(),
            rule: Combine::default(),
        }
    }

    /// Reads with `options`.
    #[must_use]
    pub fn options(mut self, options: ReadOptions) -> Self {
        self.options = options;
        self
    }

    /// Combines by `rule`.
    #[must_use]
    pub fn rule(mut self, rule: Combine) -> Self {
        self.rule = rule;
        self
    }
}

impl Collector for HostCollector {
    fn collect(&self, out: &mut Collection) -> std::result::Result<(), CollectError> {
        let host = read_dir(&self.dir, &self.options)?;
        write_families(out, &host, self.rule)?;
        Ok(())
    }
}

type Series = Vec<(Vec<(String, String)>, Number)>;

fn write_families(out: &mut Collection, host: &Host, rule: Combine) -> Result<()> {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let own = [
        (
            "processes",
            "Processes whose stats were read.",
            host.processes.len(),
        ),
        (
            "stale",
            "Stale pipes and files of processes that are gone.",
            host.stale.len(),
        ),
        (
            "unanswered",
            "Pipes of live processes that did not answer in time.",
            host.unanswered.len(),
        ),
    ];
    for (name, help, n) in own {
        out.gauge(&format!("metered.statvent.{name}"), help, &[])?
            .set(&[], count(n))?;
    }
    let mut families: BTreeMap<&str, Series> = BTreeMap::new();
    let combined = host.combined(rule);
    for (name, v) in &combined {
        let (base, labels) = split_labels(name);
        families.entry(base).or_default().push((labels, *v));
    }
    let mut skipped = 0usize;
    for (name, series) in &families {
        if write_family(out, name, series).is_err() {
            skipped += 1;
        }
    }
    out.gauge(
        "metered.statvent.skipped",
        "Stats left out: not valid metric names, or clashing label sets.",
        &[],
    )?
    .set(&[], count(skipped))?;
    Ok(())
}

fn label_refs(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn write_family(out: &mut Collection, name: &str, series: &Series) -> Result<()> {
    let mut keys: Vec<&str> = Vec::new();
    for (labels, _) in series {
        for (k, _) in labels {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
    }
    let help = "Combined over the processes of the host (statvent pipes).";
    if series.iter().any(|(_, v)| matches!(v, Number::Float(_))) {
        let mut w = out.float_gauge(name, help, &keys)?;
        for (labels, v) in series {
            w.set(&label_refs(labels), v.as_f64())?;
        }
    } else {
        let mut w = out.gauge(name, help, &keys)?;
        for (labels, v) in series {
            if let Number::Int(i) = v {
                w.set(&label_refs(labels), *i)?;
            }
        }
    }
    Ok(())
}
