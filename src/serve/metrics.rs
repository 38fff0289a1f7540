//! `/metrics` in the Prometheus text format: requests by token, tool and status, a latency
//! histogram by tool, and bytes read and written through `/v1/files`. Counters only ever
//! grow; one mutex guards the maps (a request touches it once, after it is answered).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counts by (token, tool, status), and latency by tool.
type Tables = (
    BTreeMap<(String, String, u16), u64>,
    BTreeMap<String, Histogram>,
);

#[derive(Default)]
struct Inner {
    requests: Mutex<Tables>,
    read: AtomicU64,
    written: AtomicU64,
}

/// The server's counters (cheap to clone: one shared set).
#[derive(Clone, Default)]
pub struct Metrics(Arc<Inner>);

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, token: &str, tool: &str, status: u16, took: Duration) {
        let Ok(mut g) = self.0.requests.lock() else {
            return;
        };
        *g.0.entry((token.to_string(), tool.to_string(), status))
            .or_default() += 1;
        let h = g.1.entry(tool.to_string()).or_default();
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts bytes sent from files.
    pub fn bytes_read(&self, n: u64) {
        self.0.read.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts bytes written into files.
    pub fn bytes_written(&self, n: u64) {
        self.0.written.fetch_add(n, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(
            s,
            "# HELP ax_requests_total Requests answered, by token, tool and HTTP status."
        );
        let _ = writeln!(s, "# TYPE ax_requests_total counter");
        if let Ok(g) = self.0.requests.lock() {
            for ((token, tool, status), n) in &g.0 {
                let _ = writeln!(
                    s,
                    "ax_requests_total{{token=\"{}\",tool=\"{}\",status=\"{status}\"}} {n}",
                    esc(token),
                    esc(tool)
                );
            }
            let _ = writeln!(
                s,
                "# HELP ax_request_duration_seconds Time to answer a request, by tool."
            );
            let _ = writeln!(s, "# TYPE ax_request_duration_seconds histogram");
            for (tool, h) in &g.1 {
                let t = esc(tool);
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "ax_request_duration_seconds_bucket{{tool=\"{t}\",le=\"{b}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    s,
                    "ax_request_duration_seconds_bucket{{tool=\"{t}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    s,
                    "ax_request_duration_seconds_sum{{tool=\"{t}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    s,
                    "ax_request_duration_seconds_count{{tool=\"{t}\"}} {}",
                    h.count
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP ax_file_bytes_read_total Bytes sent by GET /v1/files."
        );
        let _ = writeln!(s, "# TYPE ax_file_bytes_read_total counter");
        let _ = writeln!(
            s,
            "ax_file_bytes_read_total {}",
            self.0.read.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP ax_file_bytes_written_total Bytes stored by PUT /v1/files."
        );
        let _ = writeln!(s, "# TYPE ax_file_bytes_written_total counter");
        let _ = writeln!(
            s,
            "ax_file_bytes_written_total {}",
            self.0.written.load(Ordering::Relaxed)
        );
        s
    }
}
