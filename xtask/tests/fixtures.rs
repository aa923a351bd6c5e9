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
        overlays: Vec::new(),
        out: out.clone(),
        check: false,
        operation_tests: None,
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
        .args([
            "clippy",
            "--quiet",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])
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

/// Adds `tests/decode.rs` to a fixture crate and runs it.
fn decode_test(dir: &Path, source: &str) {
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(dir.join("tests/decode.rs"), source).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
    let o = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--all-features", "--test", "decode"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: decode test failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&o.stdout),
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
        types.contains("pub created_on: Option<::time::OffsetDateTime>"),
        "{types}"
    );
    for expected in [
        // the enum that pins `type` survives the base's plain string, so the union is decided by it
        "pub enum Record {",
        "/// `type`: `A`.",
        "/// `type`: `TXT`.",
        // `required` beside `allOf`
        "pub name: String,",
        "pub content: Option<String>,",
        // an array with its own `anyOf` is still an array
        "pub tags: Option<Vec<String>>,",
    ] {
        assert!(
            types.contains(expected),
            "missing `{expected}` in:\n{types}"
        );
    }
    clippy(&dir);

    // enum: [null] is a value that can only be null; a null among string values makes the field optional.
    let (dir, _) = fixture_crate("enum-null");
    let types = read(&dir, "src/types.rs");
    assert!(types.contains("pub gone: Option<()>,"), "{types}");
    assert!(
        types.contains(
            "pub labels: Option<\n        ::std::collections::BTreeMap<String, String>,\n    >,"
        ) || types.contains("BTreeMap<String, String>"),
        "{types}"
    );
    assert!(
        types.contains("Unknown(String)"),
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
    assert!(call.contains("pub self_: String"), "{call}");
    assert!(call.contains("pub n2fa: Option<bool>"), "{call}");
    let long_module = std::fs::read_dir(dir.join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|name| name.starts_with("a_very_long"))
        .expect("the long path segment is a module");
    assert!(long_module.len() <= 64, "{long_module}");
    let types = read(&dir, "src/types.rs");
    assert!(
        types.lines().all(|line| !line.contains("AVeryLongSchemaNameAVeryLongSchemaNameAVeryLongSchemaNameAVeryLongSchemaNameAVeryLongSchemaNameAVeryLongSchemaNameAVeryLong")),
        "type names are cut to a readable length"
    );
    for expected in [
        "#[serde(rename = \"type\")]\n    pub type_: String",
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
        // Prelude names stay std's: the spec's `Result`, `Option` and `String` are renamed.
        "pub struct Result2 {",
        "pub text: String,",
        "pub choice: Option<Option2>,",
        "pub words: Option<Vec<String>>,",
        "pub nested: Option<Box<String2>>,",
        "pub enum Option2 {",
        "pub result: Option<Box<Result2>>,",
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
    assert!(pets.contains("raw_union_tag(&raw, \"pet_type\")"), "{pets}");
    assert!(
        pets.contains("Some(\"kitty\")") && pets.contains("Some(\"dog\")"),
        "mapping, then the component name:\n{pets}"
    );
    assert!(
        pets.contains("raw_union_tag(&raw, \"size\")") && pets.contains("Some(\"s\" | \"xs\")"),
        "{pets}"
    );
    assert!(
        pets.contains("pub type PetGetResponseLoose = ::serde_json::Value;"),
        "{pets}"
    );
    assert!(
        pets.contains("if value.is_string()")
            && pets.contains("if value.is_i64() || value.is_u64()"),
        "a string-or-integer union is decided by the JSON kind:\n{pets}"
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

    // Unions nothing tells apart: merged objects, constraint-only members, regrouped kinds, allOf of one
    // primitive; a member that allows anything still falls back, with a warning.
    let (dir, report) = fixture_crate("union-shapes");
    let shapes = read(&dir, "src/shapes/mod.rs");
    for expected in [
        // objects merged: required only where every member requires it; a property defined differently
        // is a union of its own (here decided by the JSON kind)
        "which nothing in the spec tells apart: `first`, `second`.",
        "pub struct ShapeGetResponseMerged {",
        "pub id: String,",
        "pub size: Option<ShapeGetResponseMergedSize>,",
        "pub enum ShapeGetResponseMergedSize {",
        // members that only add `required` to the properties beside them
        "pub struct ShapeGetResponseConstrained {",
        "pub hostnames: Option<Vec<String>>,",
        // several arrays: one array of the union of their items; several objects (one from a nested
        // `oneOf`) beside a string: one object variant, their merge
        "Array(Vec<ShapeGetResponseMixedArrayItem>),",
        "pub struct ShapeGetResponseMixedObject {",
        "pub image: Option<String>,",
        "pub label: Option<String>,",
        // allOf of strings: a string
        "pub identifier: Option<String>,",
        "pub type ShapeGetResponseAnything = ::serde_json::Value;",
    ] {
        assert!(
            shapes.contains(expected),
            "missing `{expected}` in:\n{shapes}"
        );
    }
    let fallbacks: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("serde_json::Value"))
        .collect();
    assert!(
        fallbacks.len() == 1 && fallbacks[0].contains("properties/anything"),
        "only the member allowing anything falls back: {fallbacks:?}"
    );
    decode_test(
        &dir,
        r##"
use fixture_union_shapes::shapes::*;

#[test]
fn merged_and_regrouped_unions_decode_in_one_step() {
    let merged: ShapeGetResponseMerged =
        serde_json::from_str(r#"{"id": "a", "size": 3, "extra": true}"#).unwrap();
    assert_eq!(merged.size, Some(ShapeGetResponseMergedSize::Integer(3)));
    assert_eq!(merged.extra_2, Some(true));
    let mixed: ShapeGetResponseMixed = serde_json::from_str(r#"["x", {"label": "y"}]"#).unwrap();
    assert!(matches!(mixed, ShapeGetResponseMixed::Array(ref items) if items.len() == 2));
    let mixed: ShapeGetResponseMixed = serde_json::from_str(r#"{"image": "i"}"#).unwrap();
    assert!(matches!(mixed, ShapeGetResponseMixed::Object(ref o) if o.image.as_deref() == Some("i")));
    let unknown: ShapeGetResponseMixed = serde_json::from_str("42").unwrap();
    assert_eq!(unknown, ShapeGetResponseMixed::Unknown(serde_json::json!(42)));
    assert_eq!(serde_json::to_value(&unknown).unwrap(), serde_json::json!(42));
}
"##,
    );
    clippy(&dir);

    // Bodies, parameters, responses, unions, recursion, deprecation, extra properties.
    let (dir, report) = fixture_crate("constructs");
    // One Cargo feature per product (top-level resource), none on by default; each product's module is
    // compiled only with its feature; a component no call uses is not emitted.
    let manifest = read(&dir, "Cargo.toml");
    for expected in [
        "[features]\ndefault = []\n",
        "\nfiles = []\n",
        "\nrecords = []\n",
        "full = [\"",
    ] {
        assert!(
            manifest.contains(expected),
            "missing `{expected}` in:\n{manifest}"
        );
    }
    let lib = read(&dir, "src/lib.rs");
    assert!(
        lib.contains("#[cfg(feature = \"files\")]\npub mod files;"),
        "{lib}"
    );
    let shared = read(&dir, "src/types.rs");
    assert!(!shared.contains("Unreferenced"), "{shared}");
    let files = read(&dir, "src/files/mod.rs");
    for expected in [
        // multipart: one part per property, the binary one as bytes
        "pub struct FileCreateForm",
        "pub file: Vec<u8>,",
        "crate::runtime::PartValue::Bytes",
        // an array of binary strings: one file part per item
        "pub attachments: Option<Vec<Vec<u8>>>,",
        "Part `attachments`, once per file.",
        "for value in value {",
        "crate::runtime::json_text(\"meta\", value)?",
        // header and cookie parameters
        "headers.push((\"X-Request-Tag\", value.clone()));",
        "cookies.push(format!(\"{}={}\", \"session\", value.clone()));",
        "headers.push((\"cookie\", cookies.join(\"; \")));",
        // query arrays of enums
        "for value in params.kinds.iter().flatten()",
        // non-JSON and empty responses
        "pub type FileGetResponse = String;",
        "crate::runtime::text",
        "pub type FileGetFileBytesResponse = Vec<u8>;",
        "crate::runtime::bytes",
        "pub type FileUpdateResponse = ();",
        "crate::runtime::empty",
        "content_type: \"application/octet-stream\"",
        "content_type: \"text/plain\"",
        // a JSON body without a schema: any value, `{}` when required and not given
        "pub body: Option<::serde_json::Value>,",
        "crate::runtime::Body::Json(Vec::from(&b\"{}\"[..]))",
        // deprecated operation
        "#[deprecated(note = \"deprecated by the API\")]",
    ] {
        assert!(
            files.contains(expected),
            "missing `{expected}` in:\n{files}"
        );
    }
    let warnings = report.warnings.join("\n");
    let records = read(&dir, "src/records/mod.rs");
    for expected in [
        // a number path parameter, formatted from its value
        "record_number: i64",
        "path.param(\"record_number\", &record_number.to_string())?;",
        // query objects: `name[key]` for deepObject, the keys themselves for form
        "pub name_exact: Option<String>,",
        "query.push((\"name[exact]\", value.clone()));",
        "query.push((\"since\", value.clone()));",
        "query.push((\"limit\", value.to_string()));",
        // timestamps in the query are the RFC 3339 text given
        "pub before: Option<String>,",
        // `explode: false` arrays are one comma-separated value
        "if let Some(values) = &params.ids {",
        ".map(|value| value.to_string())",
        "query.push((\"names\", values.join(\",\")));",
        // a value that cannot be written as text is the text to send
        "pub loose: Option<String>,",
        // no `type`, only numeric bounds: an integer when they are whole, else a number
        "pub page: Option<i64>,",
        "pub ratio: Option<f64>,",
    ] {
        assert!(
            records.contains(expected),
            "missing `{expected}` in:\n{records}"
        );
    }
    assert!(
        !records.contains("purge"),
        "the call that cannot be made is left out:\n{records}"
    );
    let exports = read(&dir, "src/exports/mod.rs");
    assert!(
        exports.contains("path.literal(\"exports\");\n    path.literal(\"\");"),
        "the trailing slash is kept:\n{exports}"
    );
    for expected in [
        "records/{record_id}:purge.post: left out of the crate",
        "mixes literal text and parameters",
        "parameter `loose` has no type, or one that cannot be written as text",
        "schema: `minimum` of parameter `page` is not checked before sending",
        "schema: `minimum`, `maximum` of parameter `ratio` are not checked before sending",
        "files.post.requestBody.content.multipart/form-data.schema: parts beyond the listed properties",
        "exports/.get.responses: only a `default` response and no 2XX one",
        "scripts/{script_name}.put.requestBody.content.multipart/form-data.schema: a multipart body must be an object with `properties` (one part each); the body is sent as `application/javascript` instead",
        "grants.get.security: the runtime cannot send oauth; those alternatives are left out",
        "grants.get: left out of the crate",
    ] {
        assert!(
            warnings.contains(expected),
            "missing `{expected}` in:\n{warnings}"
        );
    }
    let lib = read(&dir, "src/lib.rs");
    assert!(
        !lib.contains("pub mod grants;"),
        "a call no credentials can authorize is left out"
    );
    for expected in [
        "&[runtime::AuthScheme::Header(\"X-Auth-User-Service-Key\")],\n];",
        "&[runtime::AuthScheme::Basic],",
        "&[runtime::AuthScheme::Query(\"api_key\"), runtime::AuthScheme::Cookie(\"session\")],",
    ] {
        assert!(lib.contains(expected), "missing `{expected}` in:\n{lib}");
    }
    let settings = read(&dir, "src/hostnames/settings/mod.rs");
    assert!(
        settings.contains("path.param(\"setting_id\", setting_id)?;")
            && settings.contains("path.param(\"hostname\", hostname)?;"),
        "two path parameters in a row keep their names:\n{settings}"
    );
    let rules = read(&dir, "src/rules/mod.rs");
    for expected in [
        // a readOnly property the body requires is kept, optional, with a note
        "Read-only in the spec, yet listed as required here",
        "pub id: Option<String>,",
        "pub note: Option<String>,",
        // a nullable `result` is returned as an `Option`, so `result: null` decodes
        "pub type RuleDeleteResponse = Option<RuleDeleteResult>;",
        "pub struct RuleDeleteResult {",
    ] {
        assert!(
            rules.contains(expected),
            "missing `{expected}` in:\n{rules}"
        );
    }
    let scripts = read(&dir, "src/scripts/mod.rs");
    assert!(
        scripts.contains("content_type: \"application/javascript\"")
            && scripts.contains("pub body: Vec<u8>,"),
        "a multipart body that cannot be sent gives way to the next media type:\n{scripts}"
    );
    let types = read(&dir, "src/types.rs");
    for expected in [
        // readOnly left out of the request type, writeOnly optional in the response type
        "pub struct RecordInput",
        // a `oneOf`/`anyOf` of one schema and a null-only member: that schema, optional even when required
        "pub parent: Option<Meta>,",
        "pub weight: Option<i64>,",
        // recursion boxed only where needed
        "pub parent: Option<Box<Tree>>,",
        "pub children: Option<Vec<Tree>>,",
        "pub target: Option<Box<Tree>>,",
        // unions by a required property only one member has, and by JSON kind
        "crate::runtime::raw_union_marker(&raw, &[\"address\", \"target\"])",
        "if value.is_array()",
        // one primitive: a number
        "pub ttl: Option<f64>,",
        // additionalProperties beside properties
        "#[serde(flatten)]\n    pub extra: ::std::collections::BTreeMap<String, i64>,",
        // A type calls only send derives Serialize, and Deserialize only with the all-serde feature.
        "#[cfg(feature = \"records\")]\n#[derive(Debug, Clone, PartialEq, ::serde::Serialize)]\n#[cfg_attr(feature = \"all-serde\", derive(::serde::Deserialize))]\npub struct RecordInput {",
        // A type calls only receive derives Deserialize, and Serialize only with the all-serde feature.
        "#[deprecated(note = \"deprecated by the API\")]\n#[derive(Debug, Clone, PartialEq, Default, ::serde::Deserialize)]\n#[cfg_attr(feature = \"all-serde\", derive(::serde::Serialize))]\npub struct Old",
    ] {
        assert!(types.contains(expected), "missing `{expected}` in:\n{types}");
    }
    let input = types
        .split("pub struct RecordInput")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap_or_default();
    assert!(
        !input.contains("pub id:")
            && !input.contains("pub created_on:")
            && input.contains("pub secret:"),
        "readOnly properties are not sent:\n{input}"
    );
    clippy(&dir);
}
