//! A collector of the process's own figures, under Prometheus' standard `process_*` names,
//! read from `/proc` (Linux; elsewhere it reports an error series).

use super::collector::{CollectedFamily, Collector};

/// Clock ticks per second of `/proc`'s CPU times: `USER_HZ`, 100 on every Linux architecture
/// user space sees.
const TICKS_PER_SECOND: f64 = 100.0;

/// The process collector: register it with
/// [`Collectors::register`](super::Collectors::register).
///
/// | family | type | from |
/// |---|---|---|
/// | `process_cpu_seconds_total` | counter | user + system CPU time |
/// | `process_cpu_user_seconds_total`, `process_cpu_system_seconds_total` | counter | each apart |
/// | `process_start_time_seconds` | gauge | start, Unix time |
/// | `process_resident_memory_bytes` | gauge | current resident set |
/// | `process_resident_memory_max_bytes` | gauge | resident set high-water mark |
/// | `process_virtual_memory_bytes` | gauge | virtual memory size |
/// | `process_threads` | gauge | threads |
/// | `process_open_fds`, `process_max_fds` | gauge | open file descriptors, their limit |
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, export::{Collectors, Options, Scrape, prometheus, ProcessCollector}};
/// let collectors = Collectors::new();
/// collectors.register("process", std::time::Duration::ZERO, ProcessCollector);
/// let text = prometheus::to_string(&Scrape::of(&Registry::new()).with_collectors(&collectors), &Options::new());
/// # #[cfg(target_os = "linux")]
/// assert!(text.contains("\nprocess_threads "));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessCollector;

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The value in kB of `key` in `/proc/self/status`, in bytes.
fn status_bytes(status: &str, key: &str) -> Result<f64, String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<f64>().ok())
        .map(|kb| kb * 1024.0)
        .ok_or_else(|| format!("no {key} in /proc/self/status"))
}

impl Collector for ProcessCollector {
    fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        let stat = read("/proc/self/stat")?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .ok_or("unexpected /proc/self/stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state): field n is fields[n - 3].
        let field = |n: usize| -> Result<f64, String> {
            fields
                .get(n - 3)
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| format!("no field {n} in /proc/self/stat"))
        };
        let user = field(14)? / TICKS_PER_SECOND;
        let system = field(15)? / TICKS_PER_SECOND;
        let threads = field(20)?;
        let start_ticks = field(22)?;
        let boot: f64 = read("/proc/stat")?
            .lines()
            .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
            .ok_or("no btime in /proc/stat")?;
        let status = read("/proc/self/status")?;
        let fds = std::fs::read_dir("/proc/self/fd")
            .map_err(|e| format!("cannot list /proc/self/fd: {e}"))?
            .count();
        let max_fds: f64 = read("/proc/self/limits")?
            .lines()
            .find_map(|l| {
                l.strip_prefix("Max open files")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(f64::INFINITY);
        #[allow(clippy::cast_precision_loss, reason = "a count of descriptors")]
        let fds = fds as f64;
        let gauge = |name: &str, help: &str, v: f64| CollectedFamily::gauge(name, help).set(&[], v);
        let counter =
            |name: &str, help: &str, v: f64| CollectedFamily::counter(name, help).set(&[], v);
        Ok(vec![
            counter(
                "process.cpu.seconds",
                "User and system CPU time spent, in seconds.",
                user + system,
            ),
            counter(
                "process.cpu.user.seconds",
                "User CPU time spent, in seconds.",
                user,
            ),
            counter(
                "process.cpu.system.seconds",
                "System CPU time spent, in seconds.",
                system,
            ),
            gauge(
                "process.start.time.seconds",
                "Start time of the process since the Unix epoch, in seconds.",
                boot + start_ticks / TICKS_PER_SECOND,
            ),
            gauge(
                "process.resident.memory.bytes",
                "Resident memory size, in bytes.",
                status_bytes(&status, "VmRSS")?,
            ),
            gauge(
                "process.resident.memory.max.bytes",
                "Highest resident memory size so far, in bytes.",
                status_bytes(&status, "VmHWM")?,
            ),
            gauge(
                "process.virtual.memory.bytes",
                "Virtual memory size, in bytes.",
                status_bytes(&status, "VmSize")?,
            ),
            gauge("process.threads", "Threads of the process.", threads),
            gauge("process.open.fds", "Open file descriptors.", fds),
            gauge(
                "process.max.fds",
                "Limit on open file descriptors.",
                max_fds,
            ),
        ])
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::super::collector::CollectedValue;
    use super::*;

    #[test]
    fn reads_plausible_figures() {
        let families = ProcessCollector.collect().unwrap();
        let value = |name: &str| -> f64 {
            let f = families.iter().find(|f| f.name == name).unwrap();
            match &f.series[0].1 {
                CollectedValue::Gauge(v) => *v,
                CollectedValue::Histogram(..) => panic!("{name} is a gauge"),
            }
        };
        assert!(value("process.threads") >= 1.0);
        assert!(value("process.open.fds") >= 3.0);
        assert!(value("process.resident.memory.bytes") > 1e5);
        assert!(
            value("process.resident.memory.max.bytes") >= value("process.resident.memory.bytes")
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = value("process.start.time.seconds");
        assert!(
            start <= now + 1.0 && start > now - 86_400.0,
            "{start} vs {now}"
        );
        assert!(value("process.cpu.seconds") >= value("process.cpu.user.seconds"));
    }
}
