//! In-process generation time (`xtask::generate`: load, lower, emit; no cargo, nothing written) for
//! synthetic specs of 1 to 32 copies of the Lists spec, for `spec/cloudflare.yaml`, and for each document in
//! `../shared/specs/` when that folder is there. The table at the end gives time per operation and per type,
//! and how time grows with size (exponent 1.0 is linear). Peak memory is `generation_memory`.
//!
//! BENCHMARKS.md has the numbers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

#[path = "../../tests/benches/support/criterion_results.rs"]
mod criterion_results;
#[path = "support/specs.rs"]
mod specs;

const GROUP: &str = "generate";

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
            let files = xtask::emit::emit(&api, &job.emit).expect("emit");
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

fn main() {
    let results = criterion_results::Results::since_now();
    let dir = specs::scratch_dir();
    let inputs = specs::inputs(&dir);
    let mut criterion = Criterion::default().configure_from_args();
    let sizes = generate(&mut criterion, &inputs);
    criterion.final_summary();
    report(&results, &sizes);
    if results.measured(GROUP, "synthetic_x1", "") {
        stages(&inputs);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
