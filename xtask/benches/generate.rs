//! In-process generation time (`xtask::generate`: load, lower, emit; no cargo, nothing written) for
//! synthetic specs of 1 to 32 copies of the Lists spec, for `xtask/tests/data/lists.yaml`, and for each document in
//! `../shared/specs/` when that folder is there. The table at the end gives time per operation and per type,
//! and how time grows with size (exponent 1.0 is linear). Peak memory is `generation_memory`.
//!
//! Then the whole-document-sized inputs (`specs::whole_documents`), also in the criterion group, get more
//! numbers: the wall time of the CLI (`xtask codegen --spec .. --out ..`), into a new directory and again
//! into its own output, and the ratio of `xtask::generate` to the formatting floor (`syn::parse_file` +
//! `prettyplease::unparse` of the sources it generated), interleaved in the same run.
//!
//! BENCHMARKS.md has the numbers.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

#[path = "../../tests/benches/support/criterion_results.rs"]
mod criterion_results;
#[path = "support/specs.rs"]
mod specs;

const GROUP: &str = "generate";

/// The allocator of the CLI (`xtask/src/main.rs`), so in-process times are the ones `cargo xtask codegen` gets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Timed CLI runs per whole-document input.
const CLI_RUNS: usize = 7;

/// Time for the interleaved generate / floor rounds per input; the helper runs at least 20 rounds, which at
/// seconds a round is what bounds it.
const FLOOR_BUDGET: Duration = Duration::from_secs(20);

/// Criterion's parameter for an input: `synthetic_x8`, `cloudflare.yaml`, ...
fn parameter(input: &specs::Input) -> String {
    input.label.replace("spec/", "").replace(' ', "_")
}

struct Size {
    parameter: String,
    label: String,
    copies: Option<usize>,
    operations: usize,
    types: usize,
}

fn generate(c: &mut Criterion, inputs: &[specs::Input]) -> Vec<Size> {
    let mut sizes = Vec::new();
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for input in inputs {
        let job = input.job();
        let (files, api) = xtask::generate(&job)
            .unwrap_or_else(|e| panic!("{} does not generate: {e:#}", input.label));
        assert!(files.len() > 2);
        let parameter = parameter(input);
        group.throughput(Throughput::Elements(api.operations.len() as u64));
        group.bench_function(BenchmarkId::from_parameter(&parameter), |b| {
            b.iter(|| xtask::generate(&job).expect("generate"))
        });
        sizes.push(Size {
            parameter,
            label: input.label.clone(),
            copies: input.copies,
            operations: api.operations.len(),
            types: api.types.len(),
        });
    }
    group.finish();
    sizes
}

fn report(results: &criterion_results::Results, sizes: &[Size]) {
    use criterion_results::human;
    let measured: Vec<(&Size, f64)> = sizes
        .iter()
        .filter_map(|s| Some((s, results.median_ns(GROUP, &s.parameter, "")?)))
        .collect();
    if measured.is_empty() {
        return;
    }
    let base = measured
        .iter()
        .find(|(s, _)| s.copies == Some(1))
        .map(|(s, t)| t / s.operations as f64);
    println!("\n| spec | operations | types | median time | per operation | per type | per operation vs x1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (size, ns) in &measured {
        let per_op = ns / size.operations as f64;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            size.label,
            size.operations,
            size.types,
            human(*ns),
            human(per_op),
            human(ns / size.types as f64),
            base.map_or("-".to_owned(), |b| format!("{:.2}x", per_op / b)),
        );
    }
    let synthetic: Vec<(f64, f64)> = measured
        .iter()
        .filter(|(s, _)| s.copies.is_some())
        .map(|(s, t)| ((s.operations as f64).ln(), t.ln()))
        .collect();
    if synthetic.len() >= 2 {
        // Least-squares slope of log(time) against log(operations): 1.0 is linear, 2.0 quadratic.
        let n = synthetic.len() as f64;
        let (sx, sy) = synthetic
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let (num, den) = synthetic.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
            (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
        });
        println!(
            "\ngeneration time grows as operations^{:.2} over the synthetic specs (1.00 = linear)",
            num / den
        );
    }
}

/// Where the time goes: the fastest of three runs of each stage, per operation, for the synthetic specs.
fn stages(inputs: &[specs::Input]) {
    use criterion_results::human;
    println!(
        "\n| spec | operations | load / op | lower / op | emit / op |\n|---|---:|---:|---:|---:|"
    );
    for input in inputs.iter().filter(|i| i.copies.is_some()) {
        let job = input.job();
        let mut best = [f64::MAX; 3];
        let mut operations = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let doc = xtask::load::load(&job.spec).expect("load");
            let load = t.elapsed();
            let t = Instant::now();
            let api = xtask::lower::lower(&doc).expect("lower");
            let lower = t.elapsed();
            let t = Instant::now();
            let files = xtask::emit::emit(&api, &job.emit);
            let emit = t.elapsed();
            black_box(files);
            operations = api.operations.len();
            for (b, d) in best.iter_mut().zip([load, lower, emit]) {
                *b = b.min(d.as_nanos() as f64);
            }
        }
        let per = |ns: f64| human(ns / operations as f64);
        println!(
            "| {} | {operations} | {} | {} | {} |",
            input.label,
            per(best[0]),
            per(best[1]),
            per(best[2])
        );
    }
}

/// Wall time of the CLI on one input, and what it wrote.
struct Cli {
    /// Into a directory that does not exist yet: every file is written.
    fresh: Timing,
    /// Into the directory a previous run wrote: every file is compared, none is written (what
    /// `cargo xtask codegen` does when the spec did not change).
    again: Timing,
    files: usize,
    lines: usize,
}

struct Timing {
    median: Duration,
    min: Duration,
}

impl Timing {
    fn of(mut times: Vec<Duration>) -> Timing {
        times.sort();
        Timing {
            median: times[times.len() / 2],
            min: times[0],
        }
    }
}

/// `xtask codegen --spec <input> --out <dir>`: one untimed run (page cache, counts), then [`CLI_RUNS`]
/// timed ones, each into a new directory, then as many into the first run's directory. The directories are
/// removed only after the timing: ext4 allocates inodes slowly right after many were deleted, which would
/// time the file system's cleanup of the previous run instead of the generator.
fn cli(input: &specs::Input, scratch: &Path) -> Cli {
    let run = |out: &Path| {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("codegen")
            .arg("--spec")
            .arg(&input.path)
            .arg("--out")
            .arg(out)
            .arg("--crate-name")
            .arg("cli-out")
            .output()
            .expect("start xtask");
        let elapsed = started.elapsed();
        assert!(
            output.status.success(),
            "xtask codegen failed on {}: {}",
            input.label,
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    };
    let first = scratch.join("cli-out");
    run(&first);
    let (mut files, mut lines) = (0, 0);
    let mut pending = vec![first.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the CLI's output") {
            let path = entry.expect("read the CLI's output").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files += 1;
                lines += std::fs::read(&path)
                    .expect("read a written file")
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
            }
        }
    }
    let fresh_dirs: Vec<_> = (0..CLI_RUNS)
        .map(|i| scratch.join(format!("cli-out-{i}")))
        .collect();
    let fresh = Timing::of(fresh_dirs.iter().map(|dir| run(dir)).collect());
    let again = Timing::of((0..CLI_RUNS).map(|_| run(&first)).collect());
    for dir in fresh_dirs.iter().chain([&first]) {
        std::fs::remove_dir_all(dir).expect("remove the CLI's output");
    }
    Cli {
        fresh,
        again,
        files,
        lines,
    }
}

/// `xtask::generate` against the formatting floor: parsing and printing the Rust sources that same call
/// generates, which emission cannot do without.
fn floor_ratio(input: &specs::Input) -> criterion_results::Ratio {
    let job = input.job();
    let (files, _) = xtask::generate(&job).expect("generate");
    let sources: Vec<String> = files
        .into_iter()
        .filter(|f| f.path != "Cargo.toml")
        .map(|f| f.contents)
        .collect();
    let mut subject = || {
        black_box(xtask::generate(&job).expect("generate"));
    };
    let mut floor = || {
        for source in &sources {
            let file = syn::parse_file(source).expect("generated code parses");
            black_box(prettyplease::unparse(&file));
        }
    };
    criterion_results::interleaved(&mut [&mut subject, &mut floor], FLOOR_BUDGET)[0]
}

/// The component schemas an input defines.
fn component_schemas(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read the input");
    let spec: serde_json::Value =
        serde_json::from_str(&text).expect("a whole-document input is JSON");
    spec["components"]["schemas"]
        .as_object()
        .map_or(0, |schemas| schemas.len())
}

/// The CLI and floor measurements of the whole-document inputs criterion measured, and their table.
fn whole_documents(
    results: &criterion_results::Results,
    inputs: &[specs::Input],
    sizes: &[Size],
    scratch: &Path,
) {
    use criterion_results::human;
    let mut rows = Vec::new();
    for input in inputs {
        let parameter = parameter(input);
        let Some(in_process) = results.median_ns(GROUP, &parameter, "") else {
            continue;
        };
        let size = sizes
            .iter()
            .find(|s| s.parameter == parameter)
            .expect("a measured input has a size");
        let schemas = component_schemas(&input.path);
        println!(
            "{}: {} operations, {schemas} component schemas, {} types generated",
            input.label, size.operations, size.types
        );
        let cli = cli(input, scratch);
        let ratio = floor_ratio(input);
        rows.push(format!(
            "| {} | {} | {schemas} | {} | {} | {} ({}) | {} ({}) | {} | {} | {ratio} |",
            input.label,
            size.operations,
            size.types,
            human(in_process),
            human(cli.fresh.median.as_nanos() as f64),
            human(cli.fresh.min.as_nanos() as f64),
            human(cli.again.median.as_nanos() as f64),
            human(cli.again.min.as_nanos() as f64),
            cli.files,
            cli.lines,
        ));
    }
    if rows.is_empty() {
        return;
    }
    println!(
        "\n| input | operations | schemas | types | in-process median | CLI, new directory: median (min) | CLI, again into its output: median (min) | files written | lines written | generate / floor, interleaved |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}

fn main() {
    let results = criterion_results::Results::since_now();
    let dir = specs::scratch_dir();
    let mut inputs = specs::inputs(&dir);
    let first_whole = inputs.len();
    inputs.extend(specs::whole_documents(&dir));
    let mut criterion = Criterion::default().configure_from_args();
    let sizes = generate(&mut criterion, &inputs);
    criterion.final_summary();
    report(&results, &sizes);
    if results.measured(GROUP, "synthetic_x1", "") {
        stages(&inputs);
    }
    whole_documents(&results, &inputs[first_whole..], &sizes, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
