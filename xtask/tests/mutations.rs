//! Bad specs never panic the generator: hundreds of mechanical mutations of spec/, the fixtures and (when
//! present) Cloudflare's real documents in ../shared/specs
//! (lines dropped, duplicated or swapped; values replaced by hostile ones) must each end in Ok or a clean
//! error. A fixed-seed generator keeps every run the same.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use xtask::{generate, repo_root, Job};

/// xorshift64*: small, fixed-seed, good enough to pick lines and values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const HOSTILE: &[&str] = &[
    "null",
    "[]",
    "{}",
    "[[]]",
    "[null]",
    "-1",
    "0",
    "''",
    "object",
    "array",
    "string",
    "integer",
    "'#/components/schemas/nope'",
    "'#/components/schemas/lists_messages'",
    "{$ref: '#/components/schemas/lists_completed'}",
    "{oneOf: []}",
    "{allOf: [{type: string}, {type: object}]}",
    "{enum: []}",
    "'{x}'",
    "'/'",
    "true",
    "1e400",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(4) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(i, line);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            _ => {
                if let Some(colon) = lines[i].find(": ") {
                    let value = HOSTILE[rng.below(HOSTILE.len())];
                    lines[i] = format!("{}: {value}", &lines[i][..colon]);
                }
            }
        }
        if lines.is_empty() {
            break;
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_specs_never_panic() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutations");
    std::fs::create_dir_all(&dir).unwrap();
    let mut sources: Vec<PathBuf> = vec![repo_root().join("xtask/tests/data/lists.yaml")];
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")).unwrap()
    {
        sources.push(entry.unwrap().path());
    }
    // Cloudflare's real documents too, when ../shared is beside the checkout (CI has it; a fresh clone may not).
    if let Ok(entries) = std::fs::read_dir(repo_root().join("../shared/specs")) {
        sources.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json")),
        );
    }
    sources.sort();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let (mut ok, mut rejected) = (0, 0);
    for source in &sources {
        let original = std::fs::read_to_string(source).unwrap();
        for round in 0..150 {
            let mutated = mutate(&original, &mut rng);
            let spec = dir.join("spec.yaml");
            std::fs::write(&spec, &mutated).unwrap();
            let job = Job {
                spec,
                overlays: Vec::new(),
                out: dir.join("out"),
                check: true,
                operation_tests: None,
                emit: xtask::emit::Options {
                    crate_name: "mutant".into(),
                    standalone: false,
                    command: "cargo xtask codegen".into(),
                    spec_label: "spec.yaml".into(),
                },
            };
            match catch_unwind(AssertUnwindSafe(|| generate(&job))) {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(e)) => {
                    rejected += 1;
                    assert!(!format!("{e:#}").is_empty());
                }
                Err(_) => panic!(
                    "the generator panicked on mutation {round} of {}:\n{mutated}",
                    source.display()
                ),
            }
        }
    }
    println!("{ok} mutants generated, {rejected} rejected with an error, 0 panics");
    assert!(
        ok > 0 && rejected > 0,
        "the mutations must exercise both paths ({ok} ok, {rejected} rejected)"
    );
}
