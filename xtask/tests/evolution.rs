//! Evolution without breakage: a user program compiled against a crate generated from a small document still
//! compiles against the crate generated from that document with optional additions (a request field, a
//! response field, a query parameter, a union variant, an enum value). And the code that such additions
//! would break (struct literals, patterns naming every field, matches without a wildcard) is rejected
//! already, against the first crate, so users cannot write it.

use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::{repo_root, run, Job};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// Generates the crate `evolution-{version}` with the programs in `tests/evolution/` as its examples, each
/// starting with `extern crate evolution_{version} as evolution;` so the same text uses either crate. (Two
/// crates of one name would share their build in the shared target dir: cargo hashes a root package without
/// its path, so the second would be taken as already built.)
fn generate(version: &str, overlays: Vec<PathBuf>) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("evolution")
        .join(version);
    let job = Job {
        spec: data("evolution.yaml"),
        overlays,
        out: out.clone(),
        check: false,
        emit: xtask::emit::Options {
            crate_name: format!("evolution-{version}"),
            standalone: true,
            command: "cargo xtask codegen --spec xtask/tests/data/evolution.yaml --out DIR"
                .to_owned(),
            spec_label: "xtask/tests/data/evolution.yaml".to_owned(),
        },
        operation_tests: None,
    };
    run(&job).unwrap_or_else(|e| panic!("{version}: {e:#}"));
    // Same dependency versions as the workspace, so the check reuses what is already built.
    std::fs::copy(repo_root().join("Cargo.lock"), out.join("Cargo.lock")).unwrap();
    let examples = out.join("examples");
    std::fs::create_dir_all(&examples).unwrap();
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evolution");
    for entry in std::fs::read_dir(programs).unwrap() {
        let path = entry.unwrap().path();
        let program = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            examples.join(path.file_name().unwrap()),
            format!("extern crate evolution_{version} as evolution;\n{program}"),
        )
        .unwrap();
    }
    out
}

/// `cargo check` of the examples (`--examples`, or `--example NAME`), going on past failures: the exit
/// status and what rustc said.
fn check_examples(dir: &Path, which: &[&str]) -> (bool, String) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
    let o = Command::new(env!("CARGO"))
        .args([
            "check",
            "--quiet",
            "--keep-going",
            "--all-features",
            "--message-format=short",
        ])
        .args(which)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The errors rustc gave for one example, as `path:line:col: error[E....]` lines.
fn errors_in<'a>(output: &'a str, example: &str) -> Vec<&'a str> {
    output
        .lines()
        .filter(|l| l.starts_with(&format!("examples/{example}.rs:")) && l.contains("error"))
        .collect()
}

#[test]
fn a_program_for_the_old_document_compiles_against_the_new_one() {
    let v1 = generate("v1", Vec::new());
    let v2 = generate("v2", vec![data("evolution-additions.overlay.yaml")]);

    // The second crate really has the additions.
    let types = std::fs::read_to_string(v2.join("src/types.rs")).unwrap();
    for added in [
        "pub label: Option<String>",
        "pub weight: Option<f64>",
        "Triangle(Triangle)",
        "Blue,",
    ] {
        assert!(types.contains(added), "`{added}` is not in:\n{types}");
    }
    let widgets = std::fs::read_to_string(v2.join("src/widgets/mod.rs")).unwrap();
    assert!(widgets.contains("pub expand: Option<String>"), "{widgets}");

    for (version, dir) in [("first", &v1), ("second", &v2)] {
        let (compiled, output) = check_examples(dir, &["--example", "user"]);
        assert!(
            compiled,
            "the user program does not compile against the {version} crate:\n{output}"
        );
        let (_, output) = check_examples(dir, &["--examples"]);
        // What the additions would break does not compile against either: the attributes that forbid
        // it are there.
        for (program, code) in [
            ("breaks_struct_literal", "E0639"),
            ("breaks_struct_pattern", "E0638"),
            ("breaks_union_match", "E0004"),
            ("breaks_enum_match", "E0004"),
        ] {
            let errors = errors_in(&output, program);
            assert!(
                errors.iter().any(|e| e.contains(code)),
                "{program} should fail with {code} against the {version} crate:\n{output}"
            );
        }
    }
}
