//! `cargo xtask conformance DIR`: the table row of a spec that passes, an example that contradicts its
//! schema reported with its location, a spec that does not generate failing the run with its error.
//! The crates are checked, linted and tested with cargo, in one output directory (one shared target), so
//! the dependencies build once and a second run over the same spec is quick.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Widgets: every example category once. The component example and `plain` round-trip; `with-extra`
/// has a member the schema does not declare (lossy); `bad-size` contradicts its schema (invalid); the
/// string component has no type of its own (untyped); the 4XX example has no generated type (unmapped).
const WIDGETS: &str = r#"openapi: 3.0.3
info: {title: widgets, version: '1'}
servers: [{url: 'https://api.example.test/v1'}]
paths:
  /accounts/{account_id}/widgets/{widget_id}:
    get:
      operationId: widget-get
      parameters:
        - {name: account_id, in: path, required: true, schema: {type: string}}
        - {name: widget_id, in: path, required: true, schema: {$ref: '#/components/schemas/widget_id'}}
      responses:
        '200':
          description: the widget
          content:
            application/json:
              schema:
                allOf:
                  - $ref: '#/components/schemas/envelope'
                  - properties:
                      result: {$ref: '#/components/schemas/widget'}
              examples:
                plain:
                  value: {success: true, errors: [], messages: [], result: {id: w1, size: 3}}
                with-extra:
                  value: {success: true, errors: [], messages: [], result: {id: w2, size: 4, colour: red}}
                bad-size:
                  value: {success: true, errors: [], messages: [], result: {id: w3, size: big}}
EXTRA        4XX:
          description: failure
          content:
            application/json:
              schema: {$ref: '#/components/schemas/envelope'}
              example: {success: false, errors: [{code: 7003, message: No route}], messages: [], result: null}
components:
  schemas:
    envelope:
      type: object
      required: [success, errors, messages, result]
      properties:
        success: {type: boolean}
        errors: {type: array, items: {$ref: '#/components/schemas/message'}}
        messages: {type: array, items: {$ref: '#/components/schemas/message'}}
        result: {nullable: true}
    message:
      type: object
      required: [code, message]
      properties:
        code: {type: integer}
        message: {type: string}
    widget:
      type: object
      required: [id, size]
      properties:
        id: {$ref: '#/components/schemas/widget_id'}
        size: {type: integer, minimum: 0}
      example: {id: w0, size: 5}
    widget_id:
      type: string
      example: w1
"#;

/// A valid example no `i64` holds: the generated type cannot round-trip it, which fails the spec.
const TOO_BIG: &str = "                too-big:
                  value: {success: true, errors: [], messages: [], result: {id: w4, size: 18446744073709551615}}
";

const BROKEN: &str = r#"openapi: 3.0.3
info: {title: broken, version: '1'}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/nope'}
"#;

const BAD_SIZE_AT: &str = "#/paths/~1accounts~1{account_id}~1widgets~1{widget_id}/get/responses/200/content/application~1json/examples/bad-size/value";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

fn widgets(too_big: bool) -> String {
    WIDGETS.replace("EXTRA", if too_big { TOO_BIG } else { "" })
}

/// `xtask conformance DIR --out OUT [extra...]`; OUT is kept between runs so builds are incremental.
fn conformance(dir: &Path, out: &str, extra: &[&str]) -> (Output, String) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(out);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("conformance")
        .arg(dir)
        .arg("--out")
        .arg(out)
        // The target directory of the fixtures test too, so dependencies build once for both.
        .arg("--target-dir")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"))
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

/// The table row of `spec`, split into its cells.
fn row(text: &str, spec: &str) -> Vec<String> {
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{spec} ")))
        .unwrap_or_else(|| panic!("no row for {spec}:\n{text}"));
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn examples_are_round_tripped_and_failures_fail_the_run() {
    let dir = scratch("mixed");
    write(&dir, "a-widgets.yaml", &widgets(true));
    write(&dir, "b-broken.yaml", BROKEN);
    write(&dir, "notes.txt", "not a spec");
    let (output, text) = conformance(&dir, "conformance-out", &["--keep-going"]);
    assert!(!output.status.success(), "{text}");

    // spec, ops, schemas, lines, lines/op, gen ms, check s, clippy, examples, untyped, unmapped, warnings, result
    let cells = row(&text, "a-widgets.yaml");
    assert_eq!(cells.len(), 13, "{text}");
    assert_eq!(cells[1], "1", "one operation:\n{text}");
    assert!(cells[3].parse::<usize>().is_ok_and(|n| n > 0), "{text}");
    assert_eq!(cells[7], "ok", "clippy:\n{text}");
    assert_eq!(cells[8], "2/1/1/1", "ok/invalid/lossy/failed:\n{text}");
    assert_eq!(cells[9..], ["1", "1", "0", "FAIL"], "{text}");
    assert!(
        text.contains(&format!("invalid example {BAD_SIZE_AT}"))
            && text.contains("/result/size: expected integer, found string"),
        "the invalid example is reported with its location and reason:\n{text}"
    );
    assert!(
        text.contains("lossy (undeclared field dropped)")
            && text.contains("/colour: \"red\" is missing"),
        "{text}"
    );
    assert!(
        text.contains("FAILED round trip #/paths/")
            && text.contains("too-big/value/result: does not decode"),
        "{text}"
    );

    let broken = row(&text, "b-broken.yaml");
    assert_eq!(broken[1..12], ["-"; 11], "{text}");
    assert_eq!(broken[12], "FAIL", "{text}");
    assert!(
        text.contains("generation failed")
            && text.contains("unresolved $ref `#/components/schemas/nope`"),
        "the run shows the generator's error:\n{text}"
    );
    assert!(
        !text.contains("notes.txt"),
        "only *.json, *.yaml, *.yml are specs"
    );

    // Without the example no i64 holds, the same spec passes (and reuses the crate built above).
    let dir = scratch("passing");
    write(&dir, "a-widgets.yaml", &widgets(false));
    let (output, text) = conformance(&dir, "conformance-out", &[]);
    assert!(output.status.success(), "{text}");
    let cells = row(&text, "a-widgets.yaml");
    assert_eq!(cells[7..], ["ok", "2/1/1/0", "1", "1", "0", "ok"], "{text}");
}

#[test]
fn without_keep_going_the_run_stops_at_the_first_failure() {
    let dir = scratch("stop");
    write(&dir, "a-broken.yaml", BROKEN);
    write(&dir, "z-widgets.yaml", &widgets(false));
    let (output, text) = conformance(&dir, "conformance-stop-out", &[]);
    assert!(!output.status.success(), "{text}");
    assert_eq!(row(&text, "a-broken.yaml")[12], "FAIL", "{text}");
    assert_eq!(row(&text, "z-widgets.yaml")[12..], ["not", "run"], "{text}");
    assert!(text.contains("2 of 2 specs did not pass"), "{text}");
}

#[test]
fn a_directory_without_specs_is_an_error() {
    let dir = scratch("empty");
    write(&dir, "README.md", "# nothing here");
    let (output, text) = conformance(&dir, "conformance-empty-out", &[]);
    assert!(!output.status.success());
    assert!(
        text.contains("no specs in") && text.contains("*.yaml"),
        "{text}"
    );

    let (output, text) = conformance(&dir.join("missing"), "conformance-empty-out", &[]);
    assert!(!output.status.success());
    assert!(text.contains("cannot read the spec directory"), "{text}");
}
