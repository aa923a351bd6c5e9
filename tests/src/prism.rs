//! Prism (`@stoplight/prism-cli`) as a child process on a free loopback port: found through $PRISM_BIN, else
//! `prism` on PATH; without it the Prism tests print "skipping: prism not installed" and pass, unless
//! REQUIRE_PRISM=1, where they fail. Shared by the Prism tests of this crate and the per-operation tests.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Prism may take to answer its first request: far above the 10 to 45 s it takes on the whole
/// document, which two Prisms starting at once on a loaded machine can double; only a hang trips it.
const STARTUP_LIMIT: Duration = Duration::from_secs(300);

/// The Prism binary, or None when the tests should be skipped.
pub fn prism_binary() -> Option<PathBuf> {
    let found = match std::env::var_os("PRISM_BIN") {
        Some(bin) if !bin.is_empty() => {
            let bin = PathBuf::from(bin);
            assert!(bin.is_file(), "PRISM_BIN={} is not a file", bin.display());
            Some(bin)
        }
        _ => std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("prism"))
                .find(|candidate| candidate.is_file())
        }),
    };
    if found.is_none() {
        if std::env::var("REQUIRE_PRISM").as_deref() == Ok("1") {
            panic!(
                "REQUIRE_PRISM=1 but Prism was not found: set PRISM_BIN or put `prism` on PATH \
                 (npm install -g @stoplight/prism-cli)"
            );
        }
        println!("skipping: prism not installed");
    }
    found
}

/// The document Prism serves: $PRISM_SPEC, else the SDK's (spec/ with its overlays) written below `dir`.
pub fn spec_path(dir: &Path) -> PathBuf {
    match std::env::var_os("PRISM_SPEC") {
        Some(spec) if !spec.is_empty() => PathBuf::from(spec),
        _ => xtask::write_effective_spec(&dir.join("prism/openapi.json"))
            .unwrap_or_else(|e| panic!("cannot write the spec Prism serves: {e:#}")),
    }
}

/// A running `prism mock`; killed (and reaped) when dropped, including during a panic.
pub struct Prism {
    child: Child,
    port: u16,
    stdout: PathBuf,
    stderr: PathBuf,
    /// How long it took from starting the process to its first answer.
    pub started_in: Duration,
}

impl Prism {
    /// `prism mock SPEC` with `args` (e.g. `--errors`, `--dynamic`), once it answers.
    pub async fn start(binary: &Path, spec: &Path, args: &[&str]) -> Prism {
        assert!(spec.is_file(), "spec not found at {}", spec.display());
        // A free port: bind, read it, release it for Prism.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("find a free port")
            .port();
        let dir =
            std::env::temp_dir().join(format!("sdk-tests-prism-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create log dir");
        let stdout = dir.join("stdout.log");
        let stderr = dir.join("stderr.log");
        let started = Instant::now();
        // Logs go to files, not pipes: a pipe nobody drains would block Prism once full.
        let child = Command::new(binary)
            .arg("mock")
            .arg(spec)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("create stdout log"))
            .stderr(File::create(&stderr).expect("create stderr log"))
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        let mut prism = Prism {
            child,
            port,
            stdout,
            stderr,
            started_in: Duration::ZERO,
        };
        prism.wait_until_ready().await;
        prism.started_in = started.elapsed();
        prism
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Peak resident memory of the Prism process so far (`VmHWM`), in kB, where /proc has it.
    pub fn peak_memory_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    pub fn logs(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let tail = |s: String| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        format!(
            "--- prism stderr ({}) ---\n{}\n--- prism stdout (last 40 lines) ---\n{}",
            self.stderr.display(),
            read(&self.stderr),
            tail(read(&self.stdout))
        )
    }

    /// Polls until Prism answers any HTTP request, for at most STARTUP_LIMIT.
    async fn wait_until_ready(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll prism") {
                panic!(
                    "prism exited before answering ({status}) on port {}\n{}",
                    self.port,
                    self.logs()
                );
            }
            if http.get(format!("{}/", self.url())).send().await.is_ok() {
                return;
            }
            if started.elapsed() > STARTUP_LIMIT {
                panic!(
                    "prism did not answer on port {} within {STARTUP_LIMIT:?}\n{}",
                    self.port,
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Logs are kept for a failed test (their path is in the panic message when Prism would not start).
        if !std::thread::panicking() {
            if let Some(dir) = self.stdout.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}
