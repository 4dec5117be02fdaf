//! A slice of Debusine's `/api/metrics` endpoint, computed at scrape time by collectors: work
//! requests counted by task type, task name, status, host architecture, backend and scope;
//! workers by type, connection, activity and pool; users by days since their last activity,
//! as a histogram with buckets 1, 3, 7, 14, 30, 90, 365, +Inf. The queries are cached for 30 s.
//!
//! `cargo run -p examples --bin debusine` prints the families (what every encoder reads) and
//! the JSON view.

use metered_runtime::Registry;
use metered_runtime::collector::{CollectError, Collection, ProcessCollector};
use metered_runtime::snapshot::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A work request row: task type and name, status, and the fields only some tasks have.
struct WorkRequest {
    task_type: &'static str,
    task_name: &'static str,
    status: &'static str,
    /// Worker tasks run on an architecture.
    host_architecture: Option<&'static str>,
    /// Some tasks choose an executor backend.
    backend: Option<&'static str>,
    scope: &'static str,
}

struct Worker {
    kind: &'static str,
    connected: bool,
    busy: bool,
    /// Dynamic workers belong to a pool; static ones do not.
    pool: Option<&'static str>,
}

/// The service's state, as its database holds it.
struct Db {
    work_requests: Vec<WorkRequest>,
    workers: Vec<Worker>,
    /// Days since each user's last activity.
    user_idle_days: Vec<f64>,
}

fn db() -> Db {
    let wr = |task_type, task_name, status, host_architecture, backend, scope| WorkRequest {
        task_type,
        task_name,
        status,
        host_architecture,
        backend,
        scope,
    };
    Db {
        work_requests: vec![
            wr(
                "Worker",
                "sbuild",
                "pending",
                Some("amd64"),
                Some("unshare"),
                "debian",
            ),
            wr(
                "Worker",
                "sbuild",
                "pending",
                Some("amd64"),
                Some("unshare"),
                "debian",
            ),
            wr(
                "Worker",
                "sbuild",
                "running",
                Some("arm64"),
                Some("incus-lxc"),
                "debian",
            ),
            wr(
                "Worker",
                "lintian",
                "completed",
                Some("amd64"),
                None,
                "debian",
            ),
            wr("Server", "servernoop", "completed", None, None, "debian"),
            wr("Workflow", "sbuild", "running", None, None, "kali"),
            wr("Wait", "delay", "blocked", None, None, "kali"),
        ],
        workers: vec![
            Worker {
                kind: "external",
                connected: true,
                busy: true,
                pool: None,
            },
            Worker {
                kind: "external",
                connected: true,
                busy: false,
                pool: None,
            },
            Worker {
                kind: "external",
                connected: false,
                busy: false,
                pool: Some("aws"),
            },
            Worker {
                kind: "celery",
                connected: true,
                busy: false,
                pool: None,
            },
            Worker {
                kind: "signing",
                connected: true,
                busy: false,
                pool: None,
            },
        ],
        user_idle_days: vec![0.5, 0.2, 2.0, 6.5, 13.0, 40.0, 200.0, 400.0, 1200.0],
    }
}

/// `SELECT task_type, task_name, status, ..., count(*) GROUP BY ...`, and the workers.
fn collect_work(db: &Db, out: &mut Collection) -> Result<(), CollectError> {
    let mut groups: BTreeMap<Vec<(&str, &str)>, i64> = BTreeMap::new();
    for w in &db.work_requests {
        let mut labels = vec![
            ("task_type", w.task_type),
            ("task_name", w.task_name),
            ("status", w.status),
            ("scope", w.scope),
        ];
        // A label set carries only the keys its row has.
        labels.extend(w.host_architecture.map(|a| ("host_architecture", a)));
        labels.extend(w.backend.map(|b| ("backend", b)));
        *groups.entry(labels).or_default() += 1;
    }
    let mut family = out.gauge(
        "work_requests",
        "Number of work requests",
        &[
            "task_type",
            "task_name",
            "status",
            "host_architecture",
            "backend",
            "scope",
        ],
    )?;
    for (labels, n) in &groups {
        family.set(labels, *n)?;
    }

    let mut workers: BTreeMap<Vec<(&str, &str)>, i64> = BTreeMap::new();
    for w in &db.workers {
        let mut labels = vec![
            ("worker_type", w.kind),
            ("connected", if w.connected { "1" } else { "0" }),
            ("busy", if w.busy { "1" } else { "0" }),
        ];
        labels.extend(w.pool.map(|p| ("worker_pool", p)));
        *workers.entry(labels).or_default() += 1;
    }
    let mut family = out.gauge(
        "workers",
        "Number of workers",
        &["worker_type", "connected", "busy", "worker_pool"],
    )?;
    for (labels, n) in &workers {
        family.set(labels, *n)?;
    }
    Ok(())
}

/// Users by days since their last activity.
fn collect_users(db: &Db, out: &mut Collection) -> Result<(), CollectError> {
    const DAYS: [f64; 8] = [1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0, f64::INFINITY];
    let mut per_bucket = [0u64; DAYS.len()];
    for d in &db.user_idle_days {
        let i = DAYS.iter().position(|b| d <= b).unwrap_or(DAYS.len() - 1);
        per_bucket[i] += 1;
    }
    let sum = db.user_idle_days.iter().sum();
    out.histogram(
        "user_activity",
        "Number of days since the last user activity",
        &[],
        &DAYS,
    )?
    .per_bucket(&[], &per_bucket, sum)?;
    Ok(())
}

fn main() -> Result<(), metered_runtime::Error> {
    let db = Arc::new(db());
    let registry = Registry::new();
    let d = Arc::clone(&db);
    registry.register_collector_cached(
        "work",
        Duration::from_secs(30),
        move |out: &mut Collection| collect_work(&d, out),
    )?;
    let d = Arc::clone(&db);
    registry.register_collector_cached(
        "users",
        Duration::from_secs(30),
        move |out: &mut Collection| collect_users(&d, out),
    )?;
    registry.register_collector("process", ProcessCollector::new())?;

    let snapshot = registry.snapshot();
    println!("# families, as every encoder reads them");
    for family in snapshot.families() {
        let h = &family.header;
        if h.exposition_name.starts_with("process_") {
            continue; // varies from run to run
        }
        println!("{} ({}): {}", h.exposition_name, h.kind, h.help);
        for s in &family.series {
            let labels: Vec<String> = s
                .labels()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            let value = match &s.metric.value {
                Value::Gauge(n) => n.to_string(),
                Value::Counter(n) => n.to_string(),
                Value::Histogram(h) => {
                    format!("count {} sum {} buckets {:?}", h.count, h.sum, h.buckets)
                }
                other => format!("{other:?}"),
            };
            println!("  {{{}}} {value}", labels.join(","));
        }
    }
    println!("\n# JSON view");
    println!("{}", snapshot.to_json());
    Ok(())
}
