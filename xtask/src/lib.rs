//! The SDK generator behind `cargo xtask codegen`: load the OpenAPI document, lower it to a small
//! model, emit Rust with quote + prettyplease, write (or check) the crate.

pub mod compile_cost;
pub mod conformance;
pub mod emit;
pub mod ident;
pub mod ir;
pub mod load;
pub mod location;
pub mod lower;
pub mod operation_tests;
pub mod output;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The document the SDK in this repository is generated from: Cloudflare's, verbatim.
pub const REPO_SPEC: &str = "spec/openapi.json";
/// Our changes to it, as OpenAPI Overlays applied in file-name order.
pub const REPO_OVERLAYS: &str = "spec/overlays";

/// The repository's spec and its overlays, as the default `codegen` job reads them.
pub fn repo_spec() -> Result<(PathBuf, Vec<PathBuf>)> {
    let root = repo_root();
    Ok((
        root.join(REPO_SPEC),
        load::overlays_in(&root.join(REPO_OVERLAYS))?,
    ))
}

/// Writes the repository's spec with its overlays applied, as JSON, to `out`; returns `out`.
pub fn write_effective_spec(out: &Path) -> Result<PathBuf> {
    let (spec, overlays) = repo_spec()?;
    let document = load::effective_document(&spec, &overlays)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_vec(&document).context("cannot write the document as JSON")?;
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(out.to_path_buf())
}

/// The job `cargo xtask codegen` runs: the repository's spec with `overlays`, into `generated/`.
pub fn repo_job(overlays: Vec<PathBuf>, check: bool) -> Job {
    Job {
        spec: repo_root().join(REPO_SPEC),
        overlays,
        out: repo_root().join("generated"),
        check,
        operation_tests: Some(repo_root().join(OPERATION_TESTS)),
        emit: emit::Options {
            crate_name: SDK_CRATE.to_owned(),
            standalone: false,
            command: "cargo xtask codegen".to_owned(),
            spec_label: format!("{REPO_SPEC} with the overlays in {REPO_OVERLAYS}"),
        },
    }
}

/// The crate of generated per-operation tests (its `src/cases/`), beside the hand-written harness that runs
/// them against a mock server of the spec.
pub const OPERATION_TESTS: &str = "tests/operations";

/// The package name of the SDK crate in `generated/`.
pub const SDK_CRATE: &str = "cloudflare-sdk";

/// The workspace root (xtask lives one level below it).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// What one `codegen` run does.
pub struct Job {
    pub spec: PathBuf,
    /// OpenAPI Overlays applied to `spec` in this order before anything else reads it.
    pub overlays: Vec<PathBuf>,
    pub out: PathBuf,
    pub check: bool,
    /// Where a test case per operation is written too (see `operation_tests`), if anywhere.
    pub operation_tests: Option<PathBuf>,
    /// How the crate is written: its name, the command named in headers, standalone or not.
    pub emit: emit::Options,
}

#[derive(Debug)]
pub struct Report {
    pub sync: output::Sync,
    /// The operation tests' files, when the job writes them.
    pub tests_sync: Option<output::Sync>,
    pub warnings: Vec<String>,
    pub operations: usize,
    pub types: usize,
}

/// Everything but the writing: spec in, files out (in memory), so a bad spec changes nothing on disk.
pub fn generate(job: &Job) -> Result<(Vec<emit::File>, ir::Api)> {
    let doc = load::load_with_overlays(&job.spec, &job.overlays)?;
    let api = with_deep_stack(|| lower::lower(&doc))?
        .with_context(|| format!("cannot generate code from {}", job.spec.display()))?;
    let mut files = emit::emit(&api, &job.emit);
    if job.emit.standalone {
        files.extend(runtime_sources()?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, api))
}

/// Stack for lowering: it follows `$ref` chains recursively, and a chain can be as long as the document
/// has schemas (thousands). Reserved, not committed, so unused depth costs nothing.
const LOWERING_STACK: usize = 1 << 30;

/// Runs `work` on a thread with [`LOWERING_STACK`] bytes of stack.
fn with_deep_stack<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("lower".into())
            .stack_size(LOWERING_STACK)
            .spawn_scoped(scope, work)
            .context("cannot start the lowering thread")?;
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("internal: lowering panicked"))
    })
}

pub fn run(job: &Job) -> Result<Report> {
    let (files, api) = generate(job)?;
    // Both sets are made before either is written, so a failure changes nothing on disk.
    let tests = match &job.operation_tests {
        Some(dir) => Some((dir, operation_test_files(job, &api)?)),
        None => None,
    };
    let sync = output::sync(&job.out, &files, job.check, &job.emit.command)?;
    let tests_sync = match tests {
        Some((dir, files)) => Some(output::sync(dir, &files, job.check, &job.emit.command)?),
        None => None,
    };
    Ok(Report {
        sync,
        tests_sync,
        warnings: api.warnings,
        operations: api.operations.len(),
        types: api.types.len(),
    })
}

/// The per-operation test cases for `api`, generated from the job's spec with its overlays.
pub fn operation_test_files(job: &Job, api: &ir::Api) -> Result<Vec<emit::File>> {
    let document = load::effective_document(&job.spec, &job.overlays)?;
    let options = operation_tests::Options {
        sdk: job.emit.crate_name.replace('-', "_"),
        command: job.emit.command.clone(),
        spec_label: job.emit.spec_label.clone(),
    };
    operation_tests::emit(api, &document, &options)
}

/// The hand-written runtime, read from the SDK crate in this repository, for standalone crates.
pub fn runtime_sources() -> Result<Vec<emit::File>> {
    let root = repo_root().join("generated/src/runtime");
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read the runtime sources in {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let contents = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                files.push(emit::File {
                    path: format!("src/runtime/{relative}"),
                    contents,
                });
            }
        }
    }
    Ok(files)
}
