//! `cargo xtask codegen [--check] [--spec PATH [--overlay PATH]... --out DIR [--crate-name NAME]]`
//! `cargo xtask conformance DIR [--out DIR] [--target-dir DIR] [--keep-going] [--verbose]`

use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::{run, Job};

const USAGE: &str = "\
usage: cargo xtask codegen [--check] [--spec PATH [--overlay PATH]... --out DIR [--crate-name NAME]]
       cargo xtask conformance DIR [--out DIR] [--target-dir DIR] [--keep-going] [--verbose]
       cargo xtask compile-cost [--rounds N] [--out DIR]
       cargo xtask spec [--out FILE]

  codegen                 regenerate generated/ from spec/openapi.json with the overlays in spec/overlays/
  codegen --check         write nothing; fail listing the files that are out of date
  --spec PATH --out DIR   generate a complete standalone crate (runtime included) for any OpenAPI 3.0 document
  --overlay PATH          apply this OpenAPI Overlay 1.0 document to the spec first (repeatable, in order)
  --crate-name NAME       package name of that crate (default: the name of DIR)

  conformance DIR         for each spec in DIR (*.json, *.yaml, *.yml, by name): generate a standalone crate
                          into OUT/<spec name>, cargo check and clippy -D warnings it, round-trip every example
                          the spec gives through its generated type; print a table, fail if any spec fails
  --out DIR               where the crates and their shared target/ go (default: target/conformance)
  --target-dir DIR        the cargo target directory the crates share (default: OUT/target)
  --keep-going            run every spec even after one fails (default: stop at the first failure)
  --verbose               list every generator warning and every example that was only validated

  spec                    write the document the SDK is generated from (spec/openapi.json with the overlays
                          applied) as JSON, to FILE (default target/spec/openapi.json), e.g. for a mock server

  compile-cost            cargo check and cargo build of the SDK with the `rules` feature and with `full`,
                          beside the 11-operation Lists crate, in alternating rounds (default 3): median wall
                          time, peak memory and the ratio to that baseline, as a table";

/// Generation builds and drops millions of small token trees: mimalloc is about 1.4x faster at that than the
/// system allocator (BENCHMARKS.md, section 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => codegen(&args[1..]),
        Some("conformance") => conformance(&args[1..]),
        Some("compile-cost") => compile_cost(&args[1..]),
        Some("spec") => effective_spec(&args[1..]),
        Some("measure") => match args.get(1) {
            Some(program) => xtask::compile_cost::measure_child(program, &args[2..]),
            None => bail!("`measure` needs a program to run\n{USAGE}"),
        },
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task `{other}`\n{USAGE}"),
    }
}

/// The value after `flag`, or a usage error naming it.
fn flag_value<'a>(rest: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<String> {
    rest.next()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("`{flag}` needs a value\n{USAGE}"))
}

fn codegen(args: &[String]) -> Result<()> {
    let (mut check, mut spec, mut out, mut crate_name) = (false, None, None, None);
    let mut overlays = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |flag: &str| flag_value(&mut rest, flag);
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => spec = Some(value("--spec")?),
            "--overlay" => overlays.push(PathBuf::from(value("--overlay")?)),
            "--out" => out = Some(value("--out")?),
            "--crate-name" => crate_name = Some(value("--crate-name")?),
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    let job = match (spec, out) {
        (None, None) => {
            if crate_name.is_some() || !overlays.is_empty() {
                bail!("`--crate-name` and `--overlay` go with `--spec` and `--out`");
            }
            xtask::repo_job(xtask::repo_spec()?.1, check)
        }
        (Some(spec), Some(out)) => standalone_job(spec, out, crate_name, overlays, check)?,
        _ => bail!("`--spec` and `--out` go together\n{USAGE}"),
    };
    let report = run(&job)?;
    print_report(&job, &report, check);
    Ok(())
}

/// A crate generated from `spec` into `out` (`--spec`, `--out`), named after `out` unless `--crate-name`
/// says otherwise.
fn standalone_job(
    spec: String,
    out: String,
    crate_name: Option<String>,
    overlays: Vec<PathBuf>,
    check: bool,
) -> Result<Job> {
    let out_path = PathBuf::from(&out);
    let name = match crate_name {
        Some(name) => name,
        None => out_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        bail!("`{name}` is not a valid crate name; pass --crate-name");
    }
    let command_overlays: String = overlays
        .iter()
        .map(|o| format!(" --overlay {}", o.display()))
        .collect();
    Ok(Job {
        spec: PathBuf::from(&spec),
        overlays,
        out: out_path,
        check,
        operation_tests: None,
        emit: xtask::emit::Options {
            crate_name: name.clone(),
            standalone: true,
            command: format!(
                "cargo xtask codegen --spec {spec}{command_overlays} --out {out} --crate-name {name}"
            ),
            spec_label: spec.clone(),
        },
    })
}

/// The warnings on stderr, then what was written (or checked) on stdout.
fn print_report(job: &Job, report: &xtask::Report, check: bool) {
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let s = &report.sync;
    if check {
        println!("{}: up to date ({} files)", job.out.display(), s.unchanged);
    } else {
        println!(
            "{}: {} operations, {} types; {} files written, {} removed, {} unchanged",
            job.out.display(),
            report.operations,
            report.types,
            s.changed.len(),
            s.removed.len(),
            s.unchanged
        );
    }
    if let (Some(dir), Some(t)) = (&job.operation_tests, &report.tests_sync) {
        if check {
            println!("{}: up to date ({} files)", dir.display(), t.unchanged);
        } else {
            println!(
                "{}: a test case per operation; {} files written, {} removed, {} unchanged",
                dir.display(),
                t.changed.len(),
                t.removed.len(),
                t.unchanged
            );
        }
    }
}

/// `cargo xtask spec [--out FILE]`: the document the SDK is generated from (spec/ with its overlays).
fn effective_spec(args: &[String]) -> Result<()> {
    let out = match args {
        [] => xtask::repo_root().join("target/spec/openapi.json"),
        [flag, path] if flag == "--out" => PathBuf::from(path),
        _ => bail!("usage: cargo xtask spec [--out FILE]\n{USAGE}"),
    };
    let path = xtask::write_effective_spec(&out)?;
    println!("{}", path.display());
    Ok(())
}

fn compile_cost(args: &[String]) -> Result<()> {
    let mut options = xtask::compile_cost::Options {
        out: xtask::compile_cost::Options::default_out(),
        rounds: 3,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |flag: &str| flag_value(&mut rest, flag);
        match arg.as_str() {
            "--rounds" => {
                let text = value("--rounds")?;
                options.rounds =
                    text.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        anyhow::anyhow!("`--rounds {text}`: a whole number from 1")
                    })?;
            }
            "--out" => options.out = PathBuf::from(value("--out")?),
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    xtask::compile_cost::run(&options)
}

fn conformance(args: &[String]) -> Result<()> {
    let (mut dir, mut out, mut target_dir, mut keep_going, mut verbose) =
        (None, None, None, false, false);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--out" => {
                out = Some(PathBuf::from(rest.next().ok_or_else(|| {
                    anyhow::anyhow!("`--out` needs a value\n{USAGE}")
                })?))
            }
            "--target-dir" => {
                target_dir = Some(PathBuf::from(rest.next().ok_or_else(|| {
                    anyhow::anyhow!("`--target-dir` needs a value\n{USAGE}")
                })?))
            }
            "--keep-going" => keep_going = true,
            "--verbose" | "-v" => verbose = true,
            flag if flag.starts_with('-') => bail!("unknown argument `{flag}`\n{USAGE}"),
            path if dir.is_none() => dir = Some(PathBuf::from(path)),
            extra => bail!("one spec directory only; `{extra}` is one too many\n{USAGE}"),
        }
    }
    let Some(dir) = dir else {
        bail!("`conformance` needs the directory holding the specs\n{USAGE}");
    };
    let out = out.unwrap_or_else(xtask::conformance::Options::default_out);
    let options = xtask::conformance::Options {
        dir,
        target_dir: target_dir.unwrap_or_else(|| out.join("target")),
        out,
        keep_going,
        verbose,
    };
    let summary = xtask::conformance::run(&options)?;
    let unsuccessful = summary.unsuccessful();
    if unsuccessful > 0 {
        bail!(
            "{unsuccessful} of {} specs did not pass",
            summary.rows.len()
        );
    }
    Ok(())
}
