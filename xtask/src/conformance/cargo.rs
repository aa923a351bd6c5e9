//! Running cargo on a generated crate: one shared target directory for every spec, so the dependencies
//! build once; output captured, so a failure can show its start.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Cargo {
    program: OsString,
    target_dir: PathBuf,
}

pub struct Run {
    pub success: bool,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The first `max` lines of what cargo said (diagnostics go to stderr, test output to stdout).
    pub fn excerpt(&self, max: usize) -> String {
        let all: Vec<&str> = self.stderr.lines().chain(self.stdout.lines()).collect();
        let mut text = all.iter().take(max).copied().collect::<Vec<_>>().join("\n");
        if all.len() > max {
            text.push_str(&format!("\n... ({} more lines)", all.len() - max));
        }
        text
    }
}

impl Cargo {
    /// The cargo that runs this program (`CARGO`, set by `cargo run`), else the one on `PATH`.
    pub fn new(target_dir: PathBuf) -> Self {
        Cargo {
            program: std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")),
            target_dir,
        }
    }

    /// The cargo program, as given to `Command`.
    pub fn program_name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// The target directory every run shares.
    pub fn target_dir(&self) -> &Path {
        &self.target_dir
    }

    /// `cargo ARGS` in `dir`. An error only when cargo cannot be started; a failing build is a `Run`.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Result<Run> {
        let started = Instant::now();
        let output = Command::new(&self.program)
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .with_context(|| {
                format!(
                    "cannot run `{} {}` in {}",
                    self.program.to_string_lossy(),
                    args.join(" "),
                    dir.display()
                )
            })?;
        Ok(Run {
            success: output.status.success(),
            elapsed: started.elapsed(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
