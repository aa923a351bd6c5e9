//! `cargo xtask compile-cost`: what a user pays to compile the SDK, measured side by side in one run.
//!
//! Three subjects, each `cargo check`ed and `cargo build`t the way a dependency is (not incremental), with its
//! dependencies already built, so only the crate itself is timed:
//! - `baseline`: the 11-operation Lists crate the SDK was before it covered the whole API, generated here
//!   from `xtask/tests/data/lists.yaml`;
//! - `rules`: the whole-API crate with one product feature (`--features rules`), the Lists API's;
//! - `full`: the whole-API crate with every product (`--features full`).
//!
//! Rounds alternate the subjects, so a slow minute on a shared machine hits them alike; the table gives each
//! one's median wall time and peak memory (the largest process: rustc), and its ratio to the baseline.

use crate::conformance::cargo::Cargo;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Options {
    /// Where the baseline crate and the shared target directory go.
    pub out: PathBuf,
    pub rounds: usize,
}

impl Options {
    pub fn default_out() -> PathBuf {
        crate::repo_root().join("target/compile-cost")
    }
}

struct Subject {
    label: &'static str,
    dir: PathBuf,
    package: String,
    features: Vec<String>,
}

/// One measured cargo run.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    peak_bytes: u64,
}

const COMMANDS: [&str; 2] = ["check", "build"];

pub fn run(options: &Options) -> Result<()> {
    let baseline_dir = options.out.join("baseline");
    let job = crate::Job {
        spec: crate::repo_root().join("xtask/tests/data/lists.yaml"),
        overlays: Vec::new(),
        out: baseline_dir.clone(),
        check: false,
        operation_tests: None,
        emit: crate::emit::Options {
            crate_name: "lists-baseline".to_owned(),
            standalone: true,
            command: "cargo xtask compile-cost".to_owned(),
            spec_label: "xtask/tests/data/lists.yaml".to_owned(),
        },
    };
    crate::run(&job)?;
    // The workspace's lock file, so the baseline builds against the same dependency versions.
    std::fs::copy(
        crate::repo_root().join("Cargo.lock"),
        baseline_dir.join("Cargo.lock"),
    )
    .context("cannot copy Cargo.lock into the baseline crate")?;
    let subjects = [
        Subject {
            label: "baseline (11 operations)",
            dir: baseline_dir,
            package: "lists-baseline".to_owned(),
            features: vec!["full".to_owned()],
        },
        Subject {
            label: "rules",
            dir: crate::repo_root(),
            package: crate::SDK_CRATE.to_owned(),
            features: vec!["rules".to_owned()],
        },
        Subject {
            label: "full",
            dir: crate::repo_root(),
            package: crate::SDK_CRATE.to_owned(),
            features: vec!["full".to_owned()],
        },
    ];
    let cargo = Cargo::new(options.out.join("target"));
    // Dependencies first, so the rounds time only the crates themselves.
    for subject in &subjects[..2] {
        for command in COMMANDS {
            let args = args(command, subject);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = cargo.run(&subject.dir, &args)?;
            if !run.success {
                bail!(
                    "`cargo {command}` of {} failed:\n{}",
                    subject.label,
                    run.excerpt(40)
                );
            }
        }
    }
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); COMMANDS.len()]; subjects.len()];
    for round in 1..=options.rounds {
        for (c, command) in COMMANDS.iter().enumerate() {
            for (s, subject) in subjects.iter().enumerate() {
                let clean = cargo.run(&subject.dir, &["clean", "-p", &subject.package])?;
                if !clean.success {
                    bail!(
                        "`cargo clean -p {}` failed:\n{}",
                        subject.package,
                        clean.excerpt(20)
                    );
                }
                let sample = measure(&cargo, &subject.dir, &args(command, subject))
                    .with_context(|| format!("cargo {command} of {}", subject.label))?;
                println!(
                    "round {round}: cargo {command} {:<26} {:>7.1} s {:>7.0} MiB",
                    subject.label,
                    sample.wall.as_secs_f64(),
                    mib(sample.peak_bytes)
                );
                samples[s][c].push(sample);
            }
        }
    }
    println!("\n{}", table(&subjects, &samples));
    Ok(())
}

fn args(command: &str, subject: &Subject) -> Vec<String> {
    vec![
        command.to_owned(),
        "--quiet".to_owned(),
        "-p".to_owned(),
        subject.package.clone(),
        "--features".to_owned(),
        subject.features.join(","),
    ]
}

/// Runs cargo through `cargo xtask measure`, which reports the peak memory of the largest process below it.
fn measure(cargo: &Cargo, dir: &Path, args: &[String]) -> Result<Sample> {
    let mut measured = vec!["measure".to_owned(), cargo.program_name()];
    measured.extend(args.iter().cloned());
    let me = std::env::current_exe().context("cannot find the xtask binary")?;
    let started = std::time::Instant::now();
    let output = std::process::Command::new(me)
        .args(&measured)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", cargo.target_dir())
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .context("cannot start the measuring process")?;
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "failed:\n{}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peak_bytes = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_bytes="))
        .and_then(|v| v.trim().parse().ok())
        .context("the measuring process reported no peak memory")?;
    Ok(Sample { wall, peak_bytes })
}

/// `cargo xtask measure PROGRAM ARGS...`: runs the program, then prints the peak resident memory of the
/// largest process it waited for (Linux `getrusage(RUSAGE_CHILDREN)`), so each measurement has a process of
/// its own.
pub fn measure_child(program: &str, args: &[String]) -> Result<()> {
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("{program} {} failed: {status}", args.join(" "));
    }
    println!("peak_rss_bytes={}", children_peak_rss_bytes()?);
    Ok(())
}

fn children_peak_rss_bytes() -> Result<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given, which points at one.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if rc != 0 {
        bail!("getrusage failed: {}", std::io::Error::last_os_error());
    }
    // SAFETY: getrusage returned 0, so it filled the struct.
    let usage = unsafe { usage.assume_init() };
    // Linux reports kilobytes.
    Ok(u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(samples: &[Sample]) -> Sample {
    let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    let mut peaks: Vec<u64> = samples.iter().map(|s| s.peak_bytes).collect();
    walls.sort();
    peaks.sort();
    Sample {
        wall: walls.get(walls.len() / 2).copied().unwrap_or_default(),
        peak_bytes: peaks.get(peaks.len() / 2).copied().unwrap_or_default(),
    }
}

fn table(subjects: &[Subject], samples: &[Vec<Vec<Sample>>]) -> String {
    let mut text = String::from(
        "| subject | check | check peak | check / baseline | build | build peak | build / baseline |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let base: Vec<Sample> = samples[0].iter().map(|s| median(s)).collect();
    for (subject, per_command) in subjects.iter().zip(samples) {
        let m: Vec<Sample> = per_command.iter().map(|s| median(s)).collect();
        let ratio = |c: usize| m[c].wall.as_secs_f64() / base[c].wall.as_secs_f64().max(1e-9);
        text.push_str(&format!(
            "| {} | {:.1} s | {:.0} MiB | {:.2}x | {:.1} s | {:.0} MiB | {:.2}x |\n",
            subject.label,
            m[0].wall.as_secs_f64(),
            mib(m[0].peak_bytes),
            ratio(0),
            m[1].wall.as_secs_f64(),
            mib(m[1].peak_bytes),
            ratio(1),
        ));
    }
    text
}
