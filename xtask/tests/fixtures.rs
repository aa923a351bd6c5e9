//! Hazard fixtures (tests/fixtures/*.yaml, each named after what it covers): each generates a standalone
//! crate that must pass `cargo clippy -D warnings`, and the output must handle the hazard as intended.

use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::{repo_root, run, Job};

fn fixture_crate(name: &str) -> (PathBuf, xtask::Report) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixture-crates")
        .join(name);
    let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.yaml"));
    let job = Job {
        spec,
        out: out.clone(),
        check: false,
        emit: xtask::emit::Options {
            crate_name: format!("fixture-{name}"),
            standalone: true,
            command: format!(
                "cargo xtask codegen --spec xtask/tests/fixtures/{name}.yaml --out DIR"
            ),
            spec_label: format!("xtask/tests/fixtures/{name}.yaml"),
        },
    };
    let report = run(&job).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    // Same dependency versions as the workspace, so the check reuses what is already built.
    std::fs::copy(repo_root().join("Cargo.lock"), out.join("Cargo.lock")).unwrap();
    (out, report)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

fn clippy(dir: &Path) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
    let o = Command::new(env!("CARGO"))
        .args(["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: cargo clippy failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn fixtures_compile_without_warnings_and_handle_their_hazard() {
    // allOf: the later member wins, for the envelope's `result` and for a property inside a component.
    let (dir, _) = fixture_crate("allof-override");
    let widgets = read(&dir, "src/widgets/mod.rs");
    assert!(
        widgets.contains("pub type WidgetGetResponse = crate::types::Widget;"),
        "{widgets}"
    );
    let types = read(&dir, "src/types.rs");
    assert!(
        types.contains("pub size: i64,"),
        "the later `size: integer` wins:\n{types}"
    );
    assert!(
        types.contains("where members disagree the later one wins (`size`)"),
        "{types}"
    );
    assert!(
        types.contains("pub created_on: ::std::option::Option<::time::OffsetDateTime>"),
        "{types}"
    );
    clippy(&dir);

    // enum: [null] is a value that can only be null; a null among string values makes the field optional.
    let (dir, _) = fixture_crate("enum-null");
    let types = read(&dir, "src/types.rs");
    assert!(
        types.contains("pub gone: ::std::option::Option<()>,"),
        "{types}"
    );
    assert!(types.contains("pub labels: ::std::option::Option<\n        ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,\n    >,") || types.contains("BTreeMap<::std::string::String, ::std::string::String>"), "{types}");
    assert!(
        types.contains("Unknown(::std::string::String)"),
        "string enums stay open:\n{types}"
    );
    let things = read(&dir, "src/things/mod.rs");
    assert!(
        things.contains("pub fn list(") || things.contains("pub async fn list("),
        "GET returning an array is `list`:\n{things}"
    );
    assert!(
        things.contains("for value in params.tag.iter().flatten()"),
        "{things}"
    );
    clippy(&dir);

    // Keywords, digits, symbols, collisions with our own names.
    let (dir, _) = fixture_crate("rust-keywords");
    let lib = read(&dir, "src/lib.rs");
    assert!(
        lib.contains("pub mod types_;") && lib.contains("pub mod types;"),
        "a `types` resource must not clash with the types module:\n{lib}"
    );
    let call = read(&dir, "src/types_/match_/mod.rs");
    assert!(
        call.contains("path_2: &str"),
        "a parameter named `path` must not shadow the call's local:\n{call}"
    );
    assert!(call.contains("pub self_: ::std::string::String"), "{call}");
    assert!(
        call.contains("pub n2fa: ::std::option::Option<bool>"),
        "{call}"
    );
    let types = read(&dir, "src/types.rs");
    for expected in [
        "#[serde(rename = \"type\")]\n    pub type_: ::std::string::String",
        "#[serde(rename = \"fn\")]\n    pub fn_: i64",
        "pub foo_bar: ",
        "rename = \"foo-bar\",",
        "pub foo_bar: ",
        "rename = \"foo_bar\",",
        "pub foo_bar_2: ",
        "rename = \"@id\",",
        "rename = \"2fa\",",
        "pub n2fa: ",
        "pub struct Struct2",
        "Plus,",
        "Minus,",
        "Unknown2,",
        "N2x,",
    ] {
        assert!(
            types.contains(expected),
            "missing `{expected}` in:\n{types}"
        );
    }
    clippy(&dir);

    // Unions: explicit discriminator with mapping, a found one, and the documented fallback.
    let (dir, report) = fixture_crate("union-discriminators");
    let pets = read(&dir, "src/pets/mod.rs");
    assert!(pets.contains("union_tag(&value, \"pet_type\")"), "{pets}");
    assert!(
        pets.contains("Some(\"kitty\")") && pets.contains("Some(\"dog\")"),
        "mapping, then the component name:\n{pets}"
    );
    assert!(
        pets.contains("union_tag(&value, \"size\")") && pets.contains("Some(\"s\" | \"xs\")"),
        "{pets}"
    );
    assert!(
        pets.contains("pub type PetGetResponseLoose = ::serde_json::Value;"),
        "{pets}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("properties/loose") && w.contains("serde_json::Value")),
        "the fallback is reported with its location: {:?}",
        report.warnings
    );
    clippy(&dir);
}
