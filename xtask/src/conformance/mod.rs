//! `cargo xtask conformance DIR`: for every spec in DIR, generate a standalone crate and hold it to what
//! a user of it would expect: it builds, clippy has nothing to say, and every example the spec gives
//! round-trips through its generated type. Prints what it finds per spec, then one table row per spec.
//!
//! A spec fails on a generation error, a `cargo check` error, a clippy warning, or a valid example that
//! does not round-trip. Without `--keep-going` the run stops at the first failing spec (the rest are
//! listed as not run); with it every spec is run. Either way the run fails at the end if any spec did.

pub mod cargo;
mod declared;
mod examples;
mod table;
pub mod validate;

use crate::{emit, generate, output, repo_root, Job};
use anyhow::{bail, Context, Result};
use cargo::{Cargo, Run};
use examples::{Case, RoundTrip, Target, TEST_NAME};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;
use table::{Counts, Row, Verdict};
use validate::{Validator, Violation};

/// How many lines of cargo's output a failure shows.
const EXCERPT_LINES: usize = 60;
/// How many violations of one invalid example are listed.
const MAX_VIOLATIONS: usize = 10;
const SPEC_EXTENSIONS: &[&str] = &["json", "yaml", "yml"];

pub struct Options {
    /// The directory holding the specs (not searched recursively).
    pub dir: PathBuf,
    /// Where the crates go, one directory per spec.
    pub out: PathBuf,
    /// The cargo target directory they share (dependencies build once).
    pub target_dir: PathBuf,
    /// Run every spec even after one failed.
    pub keep_going: bool,
    /// List every generator warning and every example that was only validated.
    pub verbose: bool,
}

impl Options {
    /// The default output directory: `target/conformance` in this workspace.
    pub fn default_out() -> PathBuf {
        repo_root().join("target").join("conformance")
    }
}

pub struct Summary {
    pub rows: Vec<Row>,
}

impl Summary {
    /// Specs that failed or were not run because an earlier one failed.
    pub fn unsuccessful(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict != Verdict::Ok)
            .count()
    }
}

/// Runs every spec in `options.dir` and prints the table. An error only when the run cannot start (no
/// specs, an unreadable directory); failing specs are rows of the summary.
pub fn run(options: &Options) -> Result<Summary> {
    let specs = spec_files(&options.dir)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let cargo = Cargo::new(options.target_dir.clone());
    let mut rows = Vec::with_capacity(specs.len());
    let mut stopped = false;
    for spec in &specs {
        let mut row = Row::new(spec.file_name.clone());
        if stopped {
            row.verdict = Verdict::NotRun;
        } else {
            println!("== {}", spec.path.display());
            if let Err(e) = run_spec(spec, options, &cargo, &mut row) {
                println!("  FAIL: {}", indent_rest(&format!("{e:#}")));
                row.verdict = Verdict::Fail;
            }
            println!(
                "  => {}",
                if row.verdict == Verdict::Ok {
                    "ok"
                } else {
                    "FAIL"
                }
            );
            stopped = row.verdict == Verdict::Fail && !options.keep_going;
        }
        rows.push(row);
    }
    println!();
    print!("{}", table::render(&rows));
    Ok(Summary { rows })
}

struct Spec {
    path: PathBuf,
    file_name: String,
    /// The crate's directory below the output directory: the file name without its extension.
    stem: String,
}

/// The spec files in `dir`, sorted by name. Two specs that would share a crate directory are an error.
fn spec_files(dir: &Path) -> Result<Vec<Spec>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the spec directory {}", dir.display()))?;
    let mut specs = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let is_spec = path.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SPEC_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if !is_spec {
            continue;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        specs.push(Spec {
            path,
            file_name,
            stem,
        });
    }
    specs.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    if specs.is_empty() {
        bail!(
            "no specs in {} (looked for *.{})",
            dir.display(),
            SPEC_EXTENSIONS.join(", *.")
        );
    }
    for (i, spec) in specs.iter().enumerate() {
        if spec.stem == "target" {
            bail!(
                "{}: its crate would go into the shared build directory `target`; rename the spec",
                spec.path.display()
            );
        }
        if let Some(other) = specs[..i].iter().find(|o| o.stem == spec.stem) {
            bail!(
                "{} and {} would both be generated into `{}`; rename one",
                other.file_name,
                spec.file_name,
                spec.stem
            );
        }
    }
    Ok(specs)
}

/// A package name for the spec's crate. Prefixed, so no spec can name it after a dependency (`serde`)
/// or start it with a digit.
fn crate_name(stem: &str) -> String {
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("conformance-{cleaned}")
}

/// One spec, start to end; fills `row` as it goes. An error ends the spec (the row then fails); problems
/// after which the remaining steps still tell something (clippy, examples) only mark the row failed.
fn run_spec(spec: &Spec, options: &Options, cargo: &Cargo, row: &mut Row) -> Result<()> {
    let (job, name) = conformance_job(spec, options);
    let dir = job.out.clone();
    let started = Instant::now();
    let (files, api) = generate(&job).context("generation failed")?;
    let generate_ms = started.elapsed().as_secs_f64() * 1000.0;
    let lines: usize = files
        .iter()
        .filter(|f| f.path.ends_with(".rs") && !f.path.starts_with("src/runtime/"))
        .map(|f| f.contents.lines().count())
        .sum();
    row.operations = Some(api.operations.len());
    row.schemas = Some(api.types.len());
    row.lines = Some(lines);
    row.generate_ms = Some(generate_ms);
    row.warnings = Some(api.warnings.len());
    println!(
        "  generated {} operations, {} types, {lines} lines in {generate_ms:.1} ms -> {}",
        api.operations.len(),
        api.types.len(),
        dir.display()
    );
    println!("  generator warnings: {}", api.warnings.len());
    if options.verbose {
        for warning in &api.warnings {
            println!("    warning: {warning}");
        }
    }

    // The examples test of an earlier run goes first, so check and clippy judge only what was generated.
    let test_file = dir.join("tests").join(format!("{TEST_NAME}.rs"));
    if test_file.exists() {
        std::fs::remove_file(&test_file)
            .with_context(|| format!("cannot remove {}", test_file.display()))?;
    }
    output::sync(&dir, &files, false, &job.emit.command)?;
    // Same dependency versions as the workspace, which CI has already vetted.
    let lock = repo_root().join("Cargo.lock");
    if lock.exists() {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .with_context(|| format!("cannot copy {} into {}", lock.display(), dir.display()))?;
    }

    let doc = crate::load::document(&spec.path)?;
    let validator = Validator::new(&doc);
    let checked = check_examples(&doc, &validator, &api, &name);
    report_invalid(&checked);

    compile_checks(cargo, &dir, row)?;
    examples_test(cargo, &dir, &test_file, &checked, options, row)
}

/// The job that generates `spec` into its own directory under `options.out`, and the crate's name.
fn conformance_job(spec: &Spec, options: &Options) -> (Job, String) {
    let dir = options.out.join(&spec.stem);
    let name = crate_name(&spec.stem);
    let label = spec.path.display().to_string();
    let job = Job {
        spec: spec.path.clone(),
        overlays: Vec::new(),
        out: dir.clone(),
        check: false,
        operation_tests: None,
        emit: emit::Options {
            crate_name: name.clone(),
            standalone: true,
            command: format!(
                "cargo xtask codegen --spec {label} --out {} --crate-name {name}",
                dir.display()
            ),
            spec_label: label,
        },
    };
    (job, name)
}

/// `cargo check` (once to build, then the crate alone, timed) and `cargo clippy -D warnings`; a check
/// that fails ends the spec, clippy's failure only marks the row.
fn compile_checks(cargo: &Cargo, dir: &Path, row: &mut Row) -> Result<()> {
    let warm = cargo.run(
        dir,
        &["check", "--quiet", "--all-targets", "--all-features"],
    )?;
    if !warm.success {
        bail!("`cargo check` failed:\n{}", warm.excerpt(EXCERPT_LINES));
    }
    touch(&dir.join("src").join("lib.rs"))?;
    let timed = cargo.run(
        dir,
        &["check", "--quiet", "--all-targets", "--all-features"],
    )?;
    if !timed.success {
        bail!(
            "`cargo check` failed the second time:\n{}",
            timed.excerpt(EXCERPT_LINES)
        );
    }
    row.check_s = Some(timed.elapsed.as_secs_f64());
    println!(
        "  cargo check: ok ({:.1} s the first time, {:.1} s for the crate alone)",
        warm.elapsed.as_secs_f64(),
        timed.elapsed.as_secs_f64()
    );

    let clippy = cargo.run(
        dir,
        &[
            "clippy",
            "--quiet",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    row.clippy = Some(clippy.success);
    if clippy.success {
        println!("  cargo clippy -D warnings: ok");
    } else {
        row.verdict = Verdict::Fail;
        println!(
            "  cargo clippy -D warnings: FAIL\n{}",
            indent(&clippy.excerpt(EXCERPT_LINES))
        );
    }
    Ok(())
}

/// The round trips of the spec's valid examples through the generated types (a test file written into the
/// crate and run), counted into the row.
fn examples_test(
    cargo: &Cargo,
    dir: &Path,
    test_file: &Path,
    checked: &[Checked],
    options: &Options,
    row: &mut Row,
) -> Result<()> {
    let cases: Vec<Case> = checked.iter().filter_map(|c| c.case.clone()).collect();
    let test = if cases.is_empty() {
        None
    } else {
        if let Some(parent) = test_file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(test_file, examples::test_file(&cases))
            .with_context(|| format!("cannot write {}", test_file.display()))?;
        Some(cargo.run(
            dir,
            &[
                "test",
                "--quiet",
                "--all-features",
                "--test",
                TEST_NAME,
                "--",
                "--nocapture",
            ],
        )?)
    };
    let counts = report_round_trips(checked, test.as_ref(), options.verbose);
    row.examples = Some(counts);
    if counts.failed > 0 {
        row.verdict = Verdict::Fail;
    }
    if let Some(test) = &test {
        // Cases without a printed result, or a failure with every valid example fine: the test did not
        // build or did not run as intended, and cargo's output says why.
        let unreported = examples::parse_results(&test.stdout).len() < cases.len();
        if !test.success && (unreported || counts.failed == 0) {
            row.verdict = Verdict::Fail;
            println!(
                "  the examples test failed:\n{}",
                indent(&test.excerpt(EXCERPT_LINES))
            );
        }
    }
    Ok(())
}

/// One example after validation, and its place among the round trips if it has a type.
struct Checked {
    location: String,
    violations: Vec<Violation>,
    target: Target,
    /// Index into the test's cases, and the case itself.
    case_index: Option<usize>,
    case: Option<Case>,
}

fn check_examples<'s>(
    doc: &'s Value,
    validator: &Validator<'s>,
    api: &crate::ir::Api,
    crate_name: &str,
) -> Vec<Checked> {
    let krate = crate_name.replace('-', "_");
    let mut out = Vec::new();
    let mut cases = 0;
    for example in examples::collect(doc, validator, api, &krate) {
        let value = match example.value {
            Ok(value) => value,
            Err(why) => {
                out.push(Checked {
                    location: example.location,
                    violations: Vec::new(),
                    target: Target::Unmapped(why),
                    case_index: None,
                    case: None,
                });
                continue;
            }
        };
        let violations = example
            .schema
            .map(|s| validator.validate(s, value))
            .unwrap_or_default();
        let mut checked = Checked {
            location: example.location,
            violations,
            target: example.target,
            case_index: None,
            case: None,
        };
        if let Target::Typed { rust_type, member } = &checked.target {
            // The round trip is of the member alone, so its location points at that member.
            let (subject, prefix) = match member {
                Some(m) => (value.get(m), format!("/{}", crate::location::escape(m))),
                None => (Some(value), String::new()),
            };
            if let Some(subject) = subject {
                let undeclared = example
                    .schema
                    .map(|s| declared::undeclared(validator, s, value))
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| {
                        p.strip_prefix(prefix.as_str())
                            .filter(|rest| rest.starts_with('/'))
                            .map(str::to_owned)
                    })
                    .collect();
                checked.case_index = Some(cases);
                cases += 1;
                checked.case = Some(Case {
                    location: format!("{}{prefix}", checked.location),
                    json: subject.to_string(),
                    rust_type: rust_type.clone(),
                    valid: checked.violations.is_empty(),
                    undeclared,
                });
            }
        }
        out.push(checked);
    }
    out
}

fn report_invalid(checked: &[Checked]) {
    for c in checked.iter().filter(|c| !c.violations.is_empty()) {
        println!(
            "  invalid example {} (it contradicts its own schema):",
            c.location
        );
        for v in c.violations.iter().take(MAX_VIOLATIONS) {
            println!("      {v}");
        }
        if c.violations.len() > MAX_VIOLATIONS {
            println!("      ... and {} more", c.violations.len() - MAX_VIOLATIONS);
        }
    }
}

/// Counts every example and lists the ones that need a look.
fn report_round_trips(checked: &[Checked], test: Option<&Run>, verbose: bool) -> Counts {
    let results = test
        .map(|t| examples::parse_results(&t.stdout))
        .unwrap_or_default();
    let mut counts = Counts::default();
    for c in checked {
        let valid = c.violations.is_empty();
        let location = c.case.as_ref().map_or(c.location.as_str(), |k| &k.location);
        let outcome = c.case_index.map(|i| match results.get(&i) {
            Some((status, rest)) => {
                let detail = rest
                    .strip_prefix(location)
                    .unwrap_or(rest)
                    .trim_start_matches(": ");
                (*status, detail.to_owned())
            }
            None => (
                RoundTrip::Failed,
                "no result: the examples test did not build or run".to_owned(),
            ),
        });
        if !valid {
            counts.invalid += 1;
            if let (true, Some((status, detail))) = (verbose, &outcome) {
                println!(
                    "  invalid example {location} round trip: {} {detail}",
                    status.word()
                );
            }
            continue;
        }
        match (&c.target, outcome) {
            (_, Some((RoundTrip::Ok, _))) => counts.ok += 1,
            (_, Some((RoundTrip::Lossy, detail))) => {
                counts.lossy += 1;
                println!("  lossy (undeclared field dropped) {location}: {detail}");
            }
            (_, Some((RoundTrip::Failed, detail))) => {
                counts.failed += 1;
                println!("  FAILED round trip {location}: {detail}");
            }
            (Target::Untyped(why), None) => {
                counts.untyped += 1;
                if verbose {
                    println!("  untyped {}: {why}", c.location);
                }
            }
            (Target::Unmapped(why), None) => {
                counts.unmapped += 1;
                if verbose {
                    println!("  unmapped {}: {why}", c.location);
                }
            }
            (Target::Typed { .. }, None) => {
                counts.unmapped += 1;
                if verbose {
                    println!("  unmapped {}: the example has no such member", c.location);
                }
            }
        }
    }
    println!(
        "  examples: {} ok, {} invalid, {} lossy, {} failed, {} untyped, {} unmapped",
        counts.ok, counts.invalid, counts.lossy, counts.failed, counts.untyped, counts.unmapped
    );
    counts
}

/// Marks `path` as changed, so the next `cargo check` rebuilds the crate (and only the crate).
fn touch(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .with_context(|| format!("cannot touch {}", path.display()))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Indents every line but the first, for a message that follows a label.
fn indent_rest(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n    ")
}
