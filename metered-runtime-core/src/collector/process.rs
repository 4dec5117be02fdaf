//! The process collector: start time, memory, CPU time, threads and file descriptors of the
//! running process, read from `/proc/self` on Linux without `unsafe`.

use super::collection::Collection;
use super::registered::{CollectError, Collector};
use crate::error::{Error, Result};

/// The `auxv` entry that holds the kernel's clock-tick rate (`AT_CLKTCK`).
const AT_CLKTCK: usize = 17;

/// The clock-tick rate used when `/proc/self/auxv` cannot be read: Linux's `USER_HZ` on every
/// architecture it supports.
pub const DEFAULT_CLK_TCK: u64 = 100;

/// What the process collector reads, at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ProcessStats {
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: f64,
    /// Resident set size now, in bytes (`VmRSS`).
    pub resident_memory_bytes: u64,
    /// The resident set's high-water mark, in bytes (`VmHWM`).
    pub resident_memory_max_bytes: u64,
    /// Virtual memory size, in bytes (`VmSize`).
    pub virtual_memory_bytes: u64,
    /// CPU time spent in user mode, in seconds.
    pub cpu_user_seconds: f64,
    /// CPU time spent in the kernel on the process's behalf, in seconds.
    pub cpu_system_seconds: f64,
    /// User and system CPU time together, in seconds (from the summed clock ticks, so exact
    /// to the tick).
    pub cpu_seconds: f64,
    /// Threads.
    pub threads: u64,
    /// Open file descriptors (counting the one used to list them).
    pub open_fds: u64,
    /// The soft limit on open file descriptors (`u64::MAX` when unlimited).
    pub max_fds: u64,
    /// The clock-tick rate CPU and start times were converted with.
    pub clk_tck: u64,
}

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Io {
        context: format!("reading {path}"),
        message: e.to_string(),
    })
}

fn malformed(path: &str, what: &str) -> Error {
    Error::Io {
        context: format!("reading {path}"),
        message: format!("no {what} in it"),
    }
}

/// The clock-tick rate from the auxiliary vector (pairs of native-endian words), else
/// [`DEFAULT_CLK_TCK`].
fn clk_tck() -> u64 {
    const WORD: usize = std::mem::size_of::<usize>();
    let Ok(auxv) = std::fs::read("/proc/self/auxv") else {
        return DEFAULT_CLK_TCK;
    };
    let word = |b: &[u8]| {
        let mut w = [0u8; WORD];
        w.copy_from_slice(b);
        usize::from_ne_bytes(w)
    };
    auxv.chunks_exact(2 * WORD)
        .map(|pair| (word(&pair[..WORD]), word(&pair[WORD..])))
        .find(|&(key, _)| key == AT_CLKTCK)
        .and_then(|(_, v)| u64::try_from(v).ok())
        .filter(|&v| v > 0)
        .unwrap_or(DEFAULT_CLK_TCK)
}

/// A `Key:   N kB` line of `/proc/self/status`, in bytes (or the bare number).
fn status_field(status: &str, key: &str) -> Result<u64> {
    let path = "/proc/self/status";
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .ok_or_else(|| malformed(path, key))?;
    let mut parts = line.split_whitespace();
    let n: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| malformed(path, key))?;
    Ok(match parts.next() {
        Some("kB") => n.saturating_mul(1024),
        _ => n,
    })
}

#[allow(
    clippy::cast_precision_loss,
    reason = "tick counts stay far below 2^53"
)]
fn ticks_to_seconds(ticks: u64, clk_tck: u64) -> f64 {
    ticks as f64 / clk_tck as f64
}

impl ProcessStats {
    /// Reads the statistics of the running process now.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// # if cfg!(target_os = "linux") {
    /// let s = metered_runtime::collector::ProcessStats::read().unwrap();
    /// assert!(s.resident_memory_bytes > 0 && s.threads >= 1 && s.open_fds >= 3);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] where `/proc/self` cannot be read or parsed (every OS but Linux).
    pub fn read() -> Result<ProcessStats> {
        let clk_tck = clk_tck();
        let stat_path = "/proc/self/stat";
        let stat = read(stat_path)?;
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted
        // from the last ')'; field 3 is the first after it.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| malformed(stat_path, "command name"))?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize, what: &str| -> Result<u64> {
            fields
                .get(n - 3)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| malformed(stat_path, what))
        };
        let utime = field(14, "utime")?;
        let stime = field(15, "stime")?;
        let start_ticks = field(22, "starttime")?;

        let btime: u64 = read("/proc/stat")?
            .lines()
            .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
            .ok_or_else(|| malformed("/proc/stat", "btime"))?;

        let status = read("/proc/self/status")?;
        let limits_path = "/proc/self/limits";
        let max_fds = read(limits_path)?
            .lines()
            .find_map(|l| {
                let rest = l.strip_prefix("Max open files")?;
                let soft = rest.split_whitespace().next()?;
                if soft == "unlimited" {
                    Some(u64::MAX)
                } else {
                    soft.parse().ok()
                }
            })
            .ok_or_else(|| malformed(limits_path, "Max open files"))?;
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .map_err(|e| Error::Io {
                context: "listing /proc/self/fd".into(),
                message: e.to_string(),
            })?
            .count();

        #[allow(clippy::cast_precision_loss, reason = "seconds since 1970 fit in 2^53")]
        let start_time_seconds = btime as f64 + ticks_to_seconds(start_ticks, clk_tck);
        Ok(ProcessStats {
            start_time_seconds,
            resident_memory_bytes: status_field(&status, "VmRSS")?,
            resident_memory_max_bytes: status_field(&status, "VmHWM")?,
            virtual_memory_bytes: status_field(&status, "VmSize")?,
            cpu_user_seconds: ticks_to_seconds(utime, clk_tck),
            cpu_system_seconds: ticks_to_seconds(stime, clk_tck),
            cpu_seconds: ticks_to_seconds(utime.saturating_add(stime), clk_tck),
            threads: status_field(&status, "Threads")?,
            open_fds: u64::try_from(open_fds).unwrap_or(u64::MAX),
            max_fds,
            clk_tck,
        })
    }
}

/// A collector of the running process's statistics ([`ProcessStats`]) under Prometheus'
/// standard names where they exist:
///
/// | family (dotted) | exposition | kind |
/// |---|---|---|
/// | `process.start_time_seconds` | `process_start_time_seconds` | float gauge |
/// | `process.resident_memory_bytes` | `process_resident_memory_bytes` | gauge |
/// | `process.resident_memory_max_bytes` | `process_resident_memory_max_bytes` (`VmHWM`) | gauge |
/// | `process.virtual_memory_bytes` | `process_virtual_memory_bytes` | gauge |
/// | `process.cpu_seconds_total` | `process_cpu_seconds_total` (user + system) | counter (fractional) |
/// | `process.cpu_user_seconds` | `process_cpu_user_seconds` | float gauge |
/// | `process.cpu_system_seconds` | `process_cpu_system_seconds` | float gauge |
/// | `process.threads` | `process_threads` | gauge |
/// | `process.open_fds` | `process_open_fds` | gauge |
/// | `process.max_fds` | `process_max_fds` | gauge |
///
/// `process_cpu_seconds_total` is a [fractional counter](Collection::float_counter), exact to
/// the clock tick, as are the two floating-point gauges of user and system time. CPU and
/// start times are in clock ticks in `/proc`: the rate is read from `/proc/self/auxv`
/// (`AT_CLKTCK`), [`DEFAULT_CLK_TCK`] (100) if that fails. Where `/proc/self` cannot be read
/// (any OS but Linux), each run fails with [`Error::Io`] and the snapshot shows the collector's
/// error series instead.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, collector::ProcessCollector};
/// let r = Registry::new();
/// r.register_collector("process", ProcessCollector::new())?;
/// # if cfg!(target_os = "linux") {
/// assert!(r.snapshot().get("process.open_fds").is_some());
/// # }
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessCollector {
    _private: (),
}

impl ProcessCollector {
    /// The collector.
    #[must_use]
    pub const fn new() -> Self {
        ProcessCollector { _private: () }
    }
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Collector for ProcessCollector {
    fn collect(&self, out: &mut Collection) -> std::result::Result<(), CollectError> {
        let s = ProcessStats::read()?;
        let float = [
            (
                "process.start_time_seconds",
                "Start time of the process since the Unix epoch, in seconds.",
                s.start_time_seconds,
            ),
            (
                "process.cpu_user_seconds",
                "User CPU time spent, in seconds.",
                s.cpu_user_seconds,
            ),
            (
                "process.cpu_system_seconds",
                "System CPU time spent, in seconds.",
                s.cpu_system_seconds,
            ),
        ];
        for (name, help, v) in float {
            out.float_gauge(name, help, &[])?.set(&[], v)?;
        }
        let ints = [
            (
                "process.resident_memory_bytes",
                "Resident memory size, in bytes.",
                s.resident_memory_bytes,
            ),
            (
                "process.resident_memory_max_bytes",
                "Peak resident memory size (high-water mark), in bytes.",
                s.resident_memory_max_bytes,
            ),
            (
                "process.virtual_memory_bytes",
                "Virtual memory size, in bytes.",
                s.virtual_memory_bytes,
            ),
            ("process.threads", "Threads of the process.", s.threads),
            ("process.open_fds", "Open file descriptors.", s.open_fds),
            (
                "process.max_fds",
                "Maximum number of open file descriptors.",
                s.max_fds,
            ),
        ];
        for (name, help, v) in ints {
            out.gauge(name, help, &[])?.set(&[], int(v))?;
        }
        out.float_counter(
            "process.cpu_seconds_total",
            "Total user and system CPU time spent, in seconds.",
            &[],
        )?
        .set(&[], s.cpu_seconds)?;
        Ok(())
    }
}
