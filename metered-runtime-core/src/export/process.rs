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

/// A thread that wakes every `interval` and records how late it woke, in seconds, in the
/// histogram `process.scheduler.lateness.seconds` of a registry
/// (`process_scheduler_lateness_seconds`): a starved or overloaded machine shows there before
/// it shows anywhere else. Stops when dropped.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, export::SchedulerProbe};
/// use std::time::Duration;
/// let r = Registry::new();
/// let probe = SchedulerProbe::start(&r, Duration::from_millis(10))?;
/// std::thread::sleep(Duration::from_millis(100));
/// drop(probe);
/// assert!(r.histogram("process.scheduler.lateness.seconds")?.snapshot().count >= 2);
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct SchedulerProbe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Bounds of the lateness histogram, in seconds: 10 µs to 1 s.
const LATENESS_BOUNDS: &[f64] = &[1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 1.0];

impl SchedulerProbe {
    /// Starts the probe (10 s is a good `interval` in production).
    ///
    /// # Errors
    /// As [`Registry::histogram_with`](crate::Registry::histogram_with) for the histogram's
    /// name, and [`Error::Io`](crate::Error::Io) when the thread cannot
    /// be started.
    pub fn start(registry: &crate::Registry, interval: std::time::Duration) -> crate::Result<Self> {
        use std::sync::atomic::Ordering;
        use std::time::Instant;
        let histogram = registry.histogram_with(
            "process.scheduler.lateness.seconds",
            crate::HistogramConfig::new().bounds(LATENESS_BOUNDS),
        )?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("metered-scheduler-probe".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    let due = Instant::now() + interval;
                    loop {
                        let now = Instant::now();
                        if now >= due || stopped.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::park_timeout(due - now);
                    }
                    if stopped.load(Ordering::Relaxed) {
                        break;
                    }
                    // Lateness is never negative, so the histogram accepts it.
                    let _ = histogram.record(Instant::now().duration_since(due).as_secs_f64());
                }
            })
            .map_err(|e| crate::Error::Io {
                context: "starting the scheduler probe thread".into(),
                message: e.to_string(),
            })?;
        Ok(SchedulerProbe {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for SchedulerProbe {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod probe_tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn records_lateness_and_stops_promptly_when_dropped() {
        let r = crate::Registry::new();
        let probe = SchedulerProbe::start(&r, Duration::from_millis(20)).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        drop(probe);
        assert!(started.elapsed() < Duration::from_millis(100));
        let s = r
            .histogram("process.scheduler.lateness.seconds")
            .unwrap()
            .snapshot();
        assert!(s.count >= 3 && s.count <= 8, "{}", s.count);
        assert!(s.min >= 0.0 && s.max < 1.0, "{} {}", s.min, s.max);
        let after = s.count;
        std::thread::sleep(Duration::from_millis(60));
        let s = r
            .histogram("process.scheduler.lateness.seconds")
            .unwrap()
            .snapshot();
        assert_eq!(s.count, after, "no records after the drop");
    }
}
