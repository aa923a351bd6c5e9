//! Ratios of a subject against its baselines, measured in the same run.
//!
//! Two measures: criterion's medians read back from its results (each benchmark runs for seconds after the
//! previous one, so a change in machine load between them skews the ratio), and [`interleaved`] batches, which
//! run subject and baselines in turn, a millisecond each, and take the ratio batch by batch: load that comes and
//! goes hits both sides of every ratio alike. On a shared machine the interleaved ratio is the one to quote.
//!
//! Shared by the benches of `sdk-tests` and `xtask` (included with `#[path]`).

#![allow(dead_code)] // each bench uses part of it

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// Criterion's results directory, as criterion finds it: `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`,
/// else `criterion/` in the target directory this bench binary was built into (`target/release/deps/..`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Criterion's directory name for a group, function or parameter.
fn safe(name: &str) -> String {
    name.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_")
}

pub struct Results {
    dir: PathBuf,
    started: SystemTime,
}

impl Results {
    /// Results written from now on count; older ones (a filtered run, an earlier run) are ignored.
    pub fn since_now() -> Self {
        Self {
            dir: criterion_dir(),
            started: SystemTime::now(),
        }
    }

    /// The median time per iteration in nanoseconds of the benchmark `group` / `function` [/ `parameter`]
    /// (an empty `parameter` for none), if this run measured it.
    pub fn median_ns(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        let mut path = self.dir.join(safe(group)).join(safe(function));
        if !parameter.is_empty() {
            path.push(safe(parameter));
        }
        path.push("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < self.started {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
        estimates["median"]["point_estimate"].as_f64()
    }

    /// Whether this run measured `group` / `function` [/ `parameter`] (a filter may have skipped it).
    pub fn measured(&self, group: &str, function: &str, parameter: &str) -> bool {
        self.median_ns(group, function, parameter).is_some()
    }

    /// Prints a markdown table: per parameter (`""` for none), criterion's median times of the subject and each
    /// baseline, then per baseline the interleaved ratio (median and quartiles of the rounds) and the ratio of
    /// criterion's medians.
    pub fn print_table(
        &self,
        group: &str,
        subject: &str,
        baselines: &[&str],
        rows: &[(&str, Vec<Ratio>)],
    ) {
        if rows.is_empty() {
            return;
        }
        let mut header = format!("| {group} | {subject} |");
        let mut rule = "|---|---:|".to_owned();
        for baseline in baselines {
            header.push_str(&format!(" {baseline} |"));
            rule.push_str("---:|");
        }
        for baseline in baselines {
            header.push_str(&format!(
                " {subject} / {baseline}, interleaved | {subject} / {baseline}, criterion |"
            ));
            rule.push_str("---:|---:|");
        }
        println!("\n{header}\n{rule}");
        for (parameter, ratios) in rows {
            let time = |function: &str| self.median_ns(group, function, parameter);
            let own = time(subject);
            let show = |t: Option<f64>| t.map_or("-".to_owned(), human);
            let mut row = format!(
                "| {} | {} |",
                if parameter.is_empty() {
                    "median"
                } else {
                    parameter
                },
                show(own)
            );
            for baseline in baselines {
                row.push_str(&format!(" {} |", show(time(baseline))));
            }
            for (baseline, ratio) in baselines.iter().zip(ratios) {
                let criterion = match (own, time(baseline)) {
                    (Some(own), Some(base)) => format!("{:.2}x", own / base),
                    _ => "-".to_owned(),
                };
                row.push_str(&format!(" {ratio} | {criterion} |"));
            }
            println!("{row}");
        }
    }
}

/// Nanoseconds, in the unit that reads best.
pub fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Ratios of one subject to one baseline over many interleaved rounds.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub rounds: usize,
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}x ({:.2}-{:.2})", self.median, self.p25, self.p75)
    }
}

/// Runs the subject (`all[0]`) and each baseline (the others) in turn, in batches of about a millisecond each
/// (the order rotating every round), for about `budget`, and returns per baseline the quartiles of the
/// per-round ratio of time per call, subject / baseline.
pub fn interleaved(all: &mut [&mut dyn FnMut()], budget: Duration) -> Vec<Ratio> {
    // Calls per batch: about 1 ms of each function (after a warm-up call).
    let batch: Vec<u32> = all
        .iter_mut()
        .map(|f| {
            f();
            let started = Instant::now();
            let mut calls = 0u32;
            while started.elapsed() < Duration::from_millis(5) {
                f();
                calls += 1;
            }
            (calls / 5).max(1)
        })
        .collect();
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); all.len() - 1];
    let started = Instant::now();
    let mut round = 0;
    while started.elapsed() < budget || round < 20 {
        let mut per_call = vec![0.0; all.len()];
        for k in 0..all.len() {
            let i = (round + k) % all.len();
            let t = Instant::now();
            for _ in 0..batch[i] {
                (all[i])();
            }
            per_call[i] = t.elapsed().as_secs_f64() / f64::from(batch[i]);
        }
        for (j, r) in ratios.iter_mut().enumerate() {
            r.push(per_call[0] / per_call[j + 1]);
        }
        round += 1;
    }
    ratios
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            let at = |q: f64| r[((r.len() - 1) as f64 * q).round() as usize];
            Ratio {
                p25: at(0.25),
                median: at(0.5),
                p75: at(0.75),
                rounds: r.len(),
            }
        })
        .collect()
}

/// For the benches that are plain programs (no criterion): whether a filter given on the command line, as in
/// `cargo bench -- decode`, leaves out the bench called `name`. Options (and the values of criterion's
/// options that take one, e.g. `--measurement-time 3`) are skipped.
pub fn filtered_out(name: &str) -> bool {
    const TAKES_VALUE: [&str; 14] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--profile-time",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--output-format",
        "--color",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filters = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if TAKES_VALUE.contains(&arg.as_str()) {
            i += 2;
            continue;
        }
        if !arg.starts_with('-') {
            filters.push(arg.as_str());
        }
        i += 1;
    }
    !filters.is_empty() && !filters.iter().any(|f| name.contains(f))
}
