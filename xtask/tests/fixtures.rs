//! Hazard fixtures (tests/fixtures/*.yaml, each named after what it covers): each generates a standalone
//! crate whose text is a reviewed snapshot (tests/snapshots/) and which must pass `cargo clippy -D warnings`;
//! the tests below state, by subject, how the output handles each hazard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use xtask::{repo_root, run, Job};

fn fixture_job(name: &str) -> Job {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixture-crates")
        .join(name);
    let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.yaml"));
    Job {
        spec,
        overlays: Vec::new(),
        out,
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
    }
}

/// The fixtures, by name: every `tests/fixtures/*.yaml`.
fn fixture_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// A fixture crate's warnings once written; its lock is held while a test reads, builds or extends the
/// crate, so tests of one fixture never see it half written.
type FixtureGuard = MutexGuard<'static, Option<Vec<String>>>;

fn fixture_lock(name: &str) -> FixtureGuard {
    static LOCKS: Mutex<BTreeMap<String, &'static Mutex<Option<Vec<String>>>>> =
        Mutex::new(BTreeMap::new());
    let lock: &'static Mutex<Option<Vec<String>>> = LOCKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_owned())
        .or_insert_with(|| Box::leak(Box::default()));
    // A test that failed holding the lock leaves the crate as written: the next one may use it.
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the fixture's crate (once per test run) and returns its directory, the generator's warnings and
/// the fixture's lock.
fn fixture_crate(name: &str) -> (PathBuf, Vec<String>, FixtureGuard) {
    let job = fixture_job(name);
    let mut guard = fixture_lock(name);
    if guard.is_none() {
        let report = run(&job).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        // Same dependency versions as the workspace, so the check reuses what is already built.
        std::fs::copy(repo_root().join("Cargo.lock"), job.out.join("Cargo.lock")).unwrap();
        *guard = Some(report.warnings);
    }
    let warnings = guard.clone().unwrap_or_default();
    (job.out, warnings, guard)
}

/// The generated crate as one text: each file but the (hand-written) runtime under its path, then the
/// generator's warnings.
fn generated_text(files: &[xtask::emit::File], warnings: &[String]) -> String {
    let mut text = String::new();
    for file in files.iter().filter(|f| !f.path.starts_with("src/runtime/")) {
        text.push_str(&format!("==> {} <==\n{}\n", file.path, file.contents));
    }
    text.push_str("==> warnings <==\n");
    for warning in warnings {
        text.push_str(warning);
        text.push('\n');
    }
    text
}

/// Every fixture's generated crate is the reviewed snapshot in `tests/snapshots/` (a change is reviewed
/// and accepted with `cargo insta review`, or `INSTA_UPDATE=always` and reading the diff). A new fixture
/// fails here until its snapshot is reviewed and committed.
#[test]
fn each_fixture_generates_its_reviewed_snapshot() {
    for name in fixture_names() {
        let (files, api) =
            xtask::generate(&fixture_job(&name)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        insta::assert_snapshot!(name.clone(), generated_text(&files, &api.warnings));
    }
}

/// Every fixture's crate passes `cargo clippy --all-targets --all-features -D warnings`.
#[test]
fn each_fixture_crate_passes_clippy() {
    for name in fixture_names() {
        let (dir, _, _lock) = fixture_crate(&name);
        clippy(&dir);
    }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

/// The crate's shared types with the types of every call module: a schema one call alone uses lives in that
/// call's module, named after it.
fn read_types(dir: &Path) -> String {
    let mut text = read(dir, "src/types.rs");
    let mut pending = vec![dir.join("src")];
    while let Some(at) = pending.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&at)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() && !path.ends_with("runtime") {
                pending.push(path);
            } else if path.ends_with("mod.rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    text
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

/// allOf: the later member wins, for the envelope's `result` and for a property inside a component.
#[test]
fn all_of_lets_the_later_member_win_and_keeps_null_allowed() {
    let (dir, _, _lock) = fixture_crate("allof-override");
    let widgets = read(&dir, "src/widgets/mod.rs");
    // The one call that returns `widget` names it.
    assert!(
        widgets.contains("pub struct WidgetGetResponse {"),
        "{widgets}"
    );
    // The base's nullable `result`, redefined without a type, may still be `null`; the widget's `type`
    // rules it out.
    let gadgets = read(&dir, "src/gadgets/mod.rs");
    assert!(
        gadgets.contains("pub type GadgetGetResponse = Option<GadgetGetResult>;"),
        "{gadgets}"
    );
    let types = read_types(&dir);
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
        "pub enum RecordGetResponse {",
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
}

/// enum: [null] is a value that can only be null; a null among string values makes the field optional.
#[test]
fn enum_null_is_a_unit_value_and_string_enums_stay_open() {
    let (dir, _, _lock) = fixture_crate("enum-null");
    let types = read_types(&dir);
    assert!(types.contains("pub gone: Option<()>,"), "{types}");
    assert!(
        types.contains("Unknown(String)"),
        "string enums stay open:\n{types}"
    );
    let things = read(&dir, "src/things/mod.rs");
    assert!(
        things.contains("pub fn list("),
        "GET returning an array is `list`:\n{things}"
    );
    assert!(
        things.contains("for value in params.tag.iter().flatten()"),
        "{things}"
    );
}

/// Keywords, digits, symbols, collisions with our own names.
#[test]
fn keywords_digits_symbols_and_our_own_names_are_renamed_without_clashes() {
    let (dir, _, _lock) = fixture_crate("rust-keywords");
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
    let types = read_types(&dir);
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
}

/// Unions: explicit discriminator with mapping, a found one, and the documented fallback.
#[test]
fn unions_are_decided_by_mapping_tag_or_json_kind_and_the_fallback_is_reported() {
    let (dir, warnings, _lock) = fixture_crate("union-discriminators");
    let pets = read(&dir, "src/pets/mod.rs");
    assert!(
        pets.contains("crate::runtime::UnionRule::Tag(\n                \"pet_type\","),
        "{pets}"
    );
    assert!(
        pets.contains("\"kitty\" => Some(") && pets.contains("\"dog\" => Some("),
        "mapping, then the component name:\n{pets}"
    );
    assert!(
        pets.contains("crate::runtime::UnionRule::Tag(\n                \"size\",")
            && pets.contains("\"s\" | \"xs\" => Some("),
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
        warnings
            .iter()
            .any(|w| w.contains("properties/loose") && w.contains("serde_json::Value")),
        "the fallback is reported with its location: {:?}",
        warnings
    );
}

/// Unions nothing tells apart: merged objects, constraint-only members, regrouped kinds, allOf of one
/// primitive; a member that allows anything still falls back, with a warning.
#[test]
fn unions_nothing_tells_apart_are_merged_or_regrouped_and_decode_in_one_step() {
    let (dir, warnings, _lock) = fixture_crate("union-shapes");
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
    let fallbacks: Vec<&String> = warnings
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
}

/// Request unions: a constructor per way of choosing a variant, and no `Unknown` to build a wrong one;
/// components one call uses are named after the call and their role, shared ones keep their name.
#[test]
fn request_unions_are_built_by_constructors_and_keep_no_unknown_variant() {
    let (dir, _, _lock) = fixture_crate("request-unions");
    let entries = read(&dir, "src/entries/mod.rs");
    for expected in [
        "pub enum EntryCreateBodyItem {",
        "pub fn ip(ip: impl Into<String>) -> Self {",
        "pub enum EntryUpdateBody {",
        "pub fn a(name: impl Into<String>, content: impl Into<String>) -> Self {",
        "pub struct EntryGetResponse {",
        "pub type EntryCreateResponse = crate::types::AppEntry;",
    ] {
        assert!(
            entries.contains(expected),
            "missing `{expected}` in:\n{entries}"
        );
    }
    assert!(!entries.contains("Unknown("), "{entries}");
    assert!(!entries.contains("pub type EntryGetResponse"), "{entries}");
    let types = read(&dir, "src/types.rs");
    assert!(types.contains("pub enum AppLabel {"), "{types}");
    decode_test(
        &dir,
        r##"
use fixture_request_unions::entries::*;
use fixture_request_unions::types::AppLabel;
use serde_json::json;

#[test]
fn request_unions_are_built_by_their_constructors_and_serialise_to_their_member() {
    let items = vec![EntryCreateBodyItem::ip("10.0.0.1"), EntryCreateBodyItem::asn(13335)];
    assert_eq!(
        serde_json::to_value(&items).unwrap(),
        json!([{"ip": "10.0.0.1"}, {"asn": 13335}])
    );
    let record = EntryUpdateBody::a("www.example.com", "198.51.100.4");
    assert_eq!(
        serde_json::to_value(&record).unwrap(),
        json!({"type": "A", "name": "www.example.com", "content": "198.51.100.4"})
    );
    assert_eq!(
        serde_json::to_value(EntryUpdateBody::txt("example.com", "v=spf1 -all")).unwrap(),
        json!({"type": "TXT", "name": "example.com", "content": "v=spf1 -all"})
    );
    assert_eq!(serde_json::to_value(AppLabel::string("x")).unwrap(), json!("x"));
    assert_eq!(serde_json::to_value(AppLabel::integer(7)).unwrap(), json!(7));
    // What no member describes is refused, not kept.
    assert!(serde_json::from_value::<EntryCreateBodyItem>(json!({"comment": "none"})).is_err());
    let item: EntryCreateBodyItem = serde_json::from_value(json!({"asn": 1, "comment": "c"})).unwrap();
    assert_eq!(
        item,
        EntryCreateBodyItem::Asn(EntryCreateBodyItemAsn::new(1).with_comment("c"))
    );
}
"##,
    );
}

/// A product (top-level resource) is a Cargo feature, none on by default, and compiles only its own module;
/// a component no call uses is not emitted.
#[test]
fn products_are_features_off_by_default_and_unused_components_are_not_emitted() {
    let (dir, _, _lock) = fixture_crate("constructs");
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
    let shared = read_types(&dir);
    assert!(!shared.contains("Unreferenced"), "{shared}");
}

/// Multipart parts, header and cookie parameters, query arrays, non-JSON and empty responses, a JSON body
/// without a schema and a deprecated call, as the spec describes them.
#[test]
fn bodies_headers_cookies_and_non_json_responses_are_sent_and_read_as_described() {
    let (dir, _, _lock) = fixture_crate("constructs");
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
}

/// Path and query parameters are placed and written as the spec styles them, and checked before sending.
#[test]
fn parameters_are_written_as_the_spec_styles_them_and_checked_before_sending() {
    let (dir, warnings, _lock) = fixture_crate("constructs");
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
    let exports = read(&dir, "src/exports/mod.rs");
    assert!(
        exports.contains("path.literal(\"exports\");\n    path.literal(\"\");"),
        "the trailing slash is kept:\n{exports}"
    );
    let warnings = warnings.join("\n");
    // Untyped numeric parameters are numbers whose bounds are checked before sending.
    assert!(
        !warnings.contains("not checked before sending"),
        "{warnings}"
    );
    for name in ["page", "ratio"] {
        assert!(
            records.contains(&format!(
                "crate::runtime::check_number(\n            \"{name}\","
            )),
            "{name} is checked:\n{records}"
        );
    }
    let settings = read(&dir, "src/hostnames/settings/mod.rs");
    assert!(
        settings.contains("path.param(\"setting_id\", setting_id)?;")
            && settings.contains("path.param(\"hostname\", hostname)?;"),
        "two path parameters in a row keep their names:\n{settings}"
    );
}

/// What cannot be generated or called is left out, with a warning at its spec location; the credentials
/// each call accepts are listed.
#[test]
fn what_cannot_be_called_is_left_out_with_a_warning_at_its_location() {
    let (dir, warnings, _lock) = fixture_crate("constructs");
    let warnings = warnings.join("\n");
    for expected in [
        "records/{record_id}:purge.post: left out of the crate",
        "mixes literal text and parameters",
        "parameter `loose` has no type, or one that cannot be written as text",
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
    let records = read(&dir, "src/records/mod.rs");
    assert!(
        !records.contains("purge"),
        "the call that cannot be made is left out:\n{records}"
    );
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
}

/// Request types leave readOnly out, response types keep writeOnly optional; recursion is boxed only where
/// needed; unions by marker or JSON kind; derives follow the direction a type travels in.
#[test]
fn types_follow_their_direction_recursion_and_union_rules() {
    let (dir, _, _lock) = fixture_crate("constructs");
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
    let types = read_types(&dir);
    for expected in [
        // readOnly left out of the request type, writeOnly optional in the response type
        "pub struct RecordCreateBody",
        // a `oneOf`/`anyOf` of one schema and a null-only member: that schema, optional even when required
        "pub parent: Option<Meta>,",
        "pub weight: Option<i64>,",
        // recursion boxed only where needed
        // (`Tree` is the result of one call, so it is named after it)
        "pub parent: Option<Box<FileDeleteResponse>>,",
        "pub children: Option<Vec<FileDeleteResponse>>,",
        "pub target: Option<Box<crate::files::FileDeleteResponse>>,",
        // unions by a required property only one member has, and by JSON kind
        "crate::runtime::UnionRule::Markers(&[\"address\", \"target\"])",
        "if value.is_array()",
        // one primitive: a number
        "pub ttl: Option<f64>,",
        // additionalProperties beside properties
        "#[serde(flatten)]\n    pub extra: ::std::collections::BTreeMap<String, i64>,",
        // A type calls only send derives Serialize, and Deserialize only with the all-serde feature.
        // (the body's readOnly-free twin of `record`: one call sends it, so it is named after that call)
        "#[non_exhaustive]\n#[derive(Debug, Clone, PartialEq, ::serde::Serialize)]\n#[cfg_attr(feature = \"all-serde\", derive(::serde::Deserialize))]\npub struct RecordCreateBody {",
        // A type calls only receive derives Deserialize, and Serialize only with the all-serde feature.
        "#[deprecated(note = \"deprecated by the API\")]\n#[derive(Debug, Clone, PartialEq, Default, ::serde::Deserialize)]\n#[cfg_attr(feature = \"all-serde\", derive(::serde::Serialize))]\npub struct Old",
    ] {
        assert!(types.contains(expected), "missing `{expected}` in:\n{types}");
    }
    let input = types
        .split("pub struct RecordCreateBody")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap_or_default();
    assert!(
        !input.contains("pub id:")
            && !input.contains("pub created_on:")
            && input.contains("pub secret:"),
        "readOnly properties are not sent:\n{input}"
    );
}

#[test]
fn list_calls_page_by_the_convention_their_parameters_and_envelope_follow() {
    use xtask::ir::{Bound, PagingConvention, Ty};
    let (_, api) = xtask::generate(&fixture_job("paging-and-parameters")).unwrap();
    let op = |spec_id: &str| {
        api.operations
            .iter()
            .find(|op| op.spec_id == spec_id)
            .unwrap_or_else(|| panic!("no operation {spec_id}"))
    };
    let convention = |spec_id: &str| op(spec_id).paging.as_ref().map(|p| &p.convention);
    let idents =
        |steps: &[xtask::ir::Step]| steps.iter().map(|s| s.ident.clone()).collect::<Vec<_>>();

    // Page numbers, counted from the parameter's default, ending on the envelope's totals.
    match convention("records-list") {
        Some(PagingConvention::Pages {
            first,
            total_pages: Some(pages),
            total_count: Some(count),
            ..
        }) => {
            assert_eq!(*first, 1);
            assert_eq!(idents(pages), ["result_info", "total_pages"]);
            assert_eq!(idents(count), ["result_info", "total_count"]);
        }
        other => panic!("records-list: {other:?}"),
    }
    // Page numbers with a bare `result` array: no totals, the first page from the `minimum`.
    match convention("gateways-list") {
        Some(PagingConvention::Pages {
            first: 1,
            total_pages: None,
            total_count: None,
            ..
        }) => {}
        other => panic!("gateways-list: {other:?}"),
    }
    // Cursors, at `result_info.cursors.after` or at `result_info.cursor`.
    match convention("items-list") {
        Some(PagingConvention::Cursor { next, .. }) => {
            assert_eq!(idents(next), ["result_info", "cursors", "after"])
        }
        other => panic!("items-list: {other:?}"),
    }
    match convention("keys-list") {
        Some(PagingConvention::Cursor { next, .. }) => {
            assert_eq!(idents(next), ["result_info", "cursor"])
        }
        other => panic!("keys-list: {other:?}"),
    }
    // No paging parameter, not a GET, or a page "number" that is text: no stream.
    for spec_id in ["reports-list", "gateways-create-many", "names-list"] {
        assert!(convention(spec_id).is_none(), "{spec_id}");
    }

    let param = |spec_id: &str, wire: &str| {
        let op = op(spec_id);
        op.positional
            .iter()
            .chain(&op.params)
            .find(|p| p.wire == wire)
            .unwrap_or_else(|| panic!("{spec_id} has no parameter {wire}"))
            .clone()
    };
    // A list call's page number and size are integers even where the spec says `number`.
    assert_eq!(param("records-list", "page").ty, Ty::Integer);
    let per_page = param("records-list", "per_page");
    assert_eq!(per_page.ty, Ty::Integer);
    assert_eq!(
        (per_page.constraints.minimum, per_page.constraints.maximum),
        (
            Some(Bound {
                value: 5.0,
                exclusive: false
            }),
            Some(Bound {
                value: 500.0,
                exclusive: false
            })
        )
    );
    // Untyped parameters, typed from what they carry.
    for (spec_id, wire, ty) in [
        ("keys-list", "account_id", Ty::String),
        ("keys-list", "limit", Ty::Integer),
        ("gateways-list", "enabled", Ty::Boolean),
        ("gateways-list", "since", Ty::String),
        ("gateways-list", "weight", Ty::Number),
        ("gateways-list", "sort", Ty::Array(Box::new(Ty::String))),
    ] {
        assert_eq!(param(spec_id, wire).ty, ty, "{spec_id} {wire}");
    }
    let ratio = param("gateways-list", "ratio").constraints;
    assert_eq!(
        ratio.minimum,
        Some(Bound {
            value: 0.0,
            exclusive: true
        })
    );
    assert_eq!(ratio.multiple_of, Some(0.25));
    assert_eq!(
        param("gateways-list", "day").constraints.pattern.as_deref(),
        Some("^[0-9]+d$")
    );
    assert_eq!(
        param("records-list", "zone_id")
            .constraints
            .pattern
            .as_deref(),
        Some("^[0-9a-f]{32}$")
    );
    // What nothing types, and a lookahead the `regex` crate cannot compile, are warnings with their location.
    assert_eq!(param("gateways-list", "ahead").constraints.pattern, None);
    let warned = |needle: &str| api.warnings.iter().any(|w| w.contains(needle));
    assert!(
        warned("paths./accounts/{account_id}/gateways.get.parameters[8].schema: `pattern` (the `regex` crate cannot compile it"),
        "{:#?}",
        api.warnings
    );
    assert!(
        warned("paths./accounts/{account_id}/gateways.get.parameters[7].schema: parameter `anything` has no type"),
        "{:#?}",
        api.warnings
    );
    assert_eq!(api.warnings.len(), 2, "{:#?}", api.warnings);

    // The generated crate checks them before sending, streams the list calls, and passes clippy.
    let (dir, _, _lock) = fixture_crate("paging-and-parameters");
    let gateways = read(&dir, "src/gateways/mod.rs");
    for expected in [
        "crate::runtime::paginate_pages(",
        "crate::runtime::check_pattern(\"day\", value, &crate::PATTERN_",
        "crate::runtime::check_number(",
        "for value in params.day.iter().flatten() {",
    ] {
        assert!(
            gateways.contains(expected),
            "missing `{expected}` in:\n{gateways}"
        );
    }
    let manifest = read(&dir, "Cargo.toml");
    assert!(manifest.contains("gateways = [\"patterns\"]"), "{manifest}");
}

#[test]
fn calls_accept_what_their_responses_come_in_and_read_no_body_the_spec_does_not_describe() {
    use xtask::ir::Response;
    let (_, api) = xtask::generate(&fixture_job("response-media")).unwrap();
    let op = |spec_id: &str| {
        api.operations
            .iter()
            .find(|op| op.spec_id == spec_id)
            .unwrap_or_else(|| panic!("no operation {spec_id}"))
    };
    // The success's media type, then JSON (the error envelope) once; a name that is no media type takes anything.
    let expected = [
        ("zone-export", "text/plain, application/json"),
        ("zone-screenshot", "image/png, application/json"),
        ("zone-script", "*/*, application/json"),
        ("thing-delete", "application/json"),
        ("zone-purge", "application/json"),
    ];
    for (spec_id, accept) in expected {
        assert_eq!(op(spec_id).accept, accept, "{spec_id}");
    }
    assert!(matches!(op("zone-export").response, Response::Text));
    // Binary stays bytes, never text.
    assert!(matches!(op("zone-screenshot").response, Response::Bytes));
    assert!(matches!(op("zone-script").response, Response::Bytes));
    // JSON without a schema is a body nothing describes: `()`, whatever comes (an empty body included).
    assert!(
        matches!(op("thing-delete").response, Response::Empty),
        "{:?}",
        op("thing-delete").response
    );
    assert!(matches!(op("zone-purge").response, Response::Empty));

    let (dir, _, _lock) = fixture_crate("response-media");
    let things = read(&dir, "src/things/mod.rs");
    assert!(things.contains("crate::runtime::empty"), "{things}");
    assert!(things.contains("= ();"), "{things}");
    let export = read(&dir, "src/export/mod.rs");
    assert!(
        export.contains("accept: \"text/plain, application/json\""),
        "{export}"
    );
}

/// What a request body sends: `readOnly` wherever the spec says it (also in an `allOf` member), a
/// single-member `oneOf` as that member, and required properties the spec does not describe. Each body is
/// built from its required fields as a user would, and the JSON compared with what the spec asks for.
#[test]
fn request_bodies_send_what_the_spec_requires_and_nothing_read_only() {
    let (dir, _, _lock) = fixture_crate("request-required-and-read-only");
    decode_test(
        &dir,
        r#"
use fixture_request_required_and_read_only::deployments::{DeploymentCreateBody, DeploymentCreateBodyStrategy};
use fixture_request_required_and_read_only::limits::LimitUpdateBody;
use fixture_request_required_and_read_only::rulesets::RulesetCreateBody;
use fixture_request_required_and_read_only::types::AppAction;

#[test]
fn request_bodies() {
    let ruleset = RulesetCreateBody::new("my rules", "zone");
    assert_eq!(
        serde_json::to_value(&ruleset).unwrap(),
        serde_json::json!({"name": "my rules", "kind": "zone"})
    );
    let deployment = DeploymentCreateBody::new(DeploymentCreateBodyStrategy::Percentage, vec!["v1".to_owned()]);
    assert_eq!(
        serde_json::to_value(&deployment).unwrap(),
        serde_json::json!({"strategy": "percentage", "versions": ["v1"]})
    );
    let limit = LimitUpdateBody::new(60, serde_json::json!("rl-1"))
        .with_action(AppAction::new().with_mode("simulate"));
    assert_eq!(
        serde_json::to_value(&limit).unwrap(),
        serde_json::json!({"id": "rl-1", "threshold": 60, "action": {"mode": "simulate"}})
    );
}
"#,
    );
}

/// An `allOf` that mixes objects with a union keeps the union, flattened beside the object members'
/// properties: a request body sends the variant the user built (its `readOnly` properties left out), and
/// a response decodes the part by the union's own rule, keeps a shape it does not know, and encodes back
/// the JSON it came from. A union of `required` lists only is a note on the fields it constrains.
#[test]
fn allof_of_objects_and_a_union_sends_and_decodes_the_union() {
    let (dir, warnings, _lock) = fixture_crate("allof-object-and-union");
    assert!(
        warnings.iter().all(|w| !w.contains("allOf")),
        "{warnings:#?}"
    );
    let rules = read(&dir, "src/rules/mod.rs");
    assert!(
        rules.contains("The spec requires at least one of: `breakout`; `priority` (`anyOf`)."),
        "{rules}"
    );
    decode_test(
        &dir,
        r##"
use fixture_allof_object_and_union::rules::{RuleCreateBody, RuleCreateResponse, RuleCreateResponseAccountAppOrManagedApp};
use fixture_allof_object_and_union::types::AppRequestRuleInput;
use serde_json::{json, Value};

#[test]
fn request_sends_the_union_beside_the_properties() {
    let body = RuleCreateBody::new(AppRequestRuleInput::block("ip.src eq 10.0.0.1")).with_position(2);
    let sent = serde_json::to_value(&body).unwrap();
    assert_eq!(sent, json!({"position": 2, "action": "block", "expression": "ip.src eq 10.0.0.1"}));
    let back: RuleCreateBody = serde_json::from_value(sent).unwrap();
    assert_eq!(back, body);
}

#[test]
fn response_decodes_the_union_part_and_encodes_it_back() {
    let text = r#"{"id": "c1", "priority": 1, "managed_app_id": "m1"}"#;
    let config: RuleCreateResponse = serde_json::from_str(text).unwrap();
    assert_eq!((config.id.as_str(), config.priority), ("c1", Some(1)));
    match &config.account_app_or_managed_app {
        RuleCreateResponseAccountAppOrManagedApp::ManagedApp(app) => assert_eq!(app.managed_app_id, "m1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(serde_json::to_value(&config).unwrap(), serde_json::from_str::<Value>(text).unwrap());

    // Neither app id: a shape this version does not know, kept whole and sent back as it came.
    let text = r#"{"id": "c2", "breakout": true, "other_app_id": "o1"}"#;
    let config: RuleCreateResponse = serde_json::from_str(text).unwrap();
    assert_eq!(
        config.account_app_or_managed_app,
        RuleCreateResponseAccountAppOrManagedApp::Unknown(json!({"other_app_id": "o1"}))
    );
    assert_eq!(serde_json::to_value(&config).unwrap(), serde_json::from_str::<Value>(text).unwrap());
}
"##,
    );
}

/// Array items and map values the spec allows to be `null` decode `null` as `None` (a list of Logpush jobs
/// with a `null` job failed to decode), and are sent as `null`; the items of a parameter never are, and a
/// page of such items still streams.
#[test]
fn nullable_items_and_map_values_decode_null() {
    let (dir, _, _lock) = fixture_crate("nullable-items");
    let types = read_types(&dir);
    for expected in [
        "pub cls: Option<Vec<Option<f64>>>,",
        "pub rows: Option<Vec<Option<TrendRowsItem>>>,",
        "pub labels: Option<::std::collections::BTreeMap<String, Option<String>>>,",
        "pub extra: ::std::collections::BTreeMap<String, Option<f64>>,",
        // Items that say nothing of `null`, or whose `allOf` rules it out, stay plain.
        "pub plain_rows: Option<Vec<Row>>,",
        "pub strict_jobs: Option<Vec<TrendStrictJobsItem>>,",
        "pub dataset: Option<Vec<String>>,",
        "-> crate::Paginator<Option<crate::types::Job>>",
    ] {
        assert!(
            types.contains(expected),
            "missing `{expected}` in:\n{types}"
        );
    }
    decode_test(
        &dir,
        r#"
use fixture_nullable_items::jobs::JobListResponse;
use fixture_nullable_items::types::Trend;
use serde_json::json;

#[test]
fn null_items_and_values() {
    let page: JobListResponse = serde_json::from_value(json!({
        "success": true, "errors": [], "messages": [],
        "result": [{"id": 1, "name": "a"}, null],
        "result_info": {"total_pages": 1}
    }))
    .unwrap();
    assert_eq!(page.result.len(), 2);
    assert_eq!(page.result[0].as_ref().and_then(|job| job.id), Some(1));
    assert!(page.result[1].is_none());

    let trend: Trend = serde_json::from_value(json!({
        "cls": [0.5, null],
        "rows": [null, {"id": 2, "note": "n"}],
        "labels": {"a": "x", "b": null},
        "scores": {"best": 1.0, "p50": null, "p90": 0.25}
    }))
    .unwrap();
    assert_eq!(trend.cls, Some(vec![Some(0.5), None]));
    let rows = trend.rows.as_ref().unwrap();
    assert!(rows[0].is_none());
    assert_eq!(rows[1].as_ref().and_then(|row| row.id), Some(2));
    let labels = trend.labels.as_ref().unwrap();
    assert_eq!((labels["a"].as_deref(), labels["b"].as_deref()), (Some("x"), None));
    let scores = trend.scores.as_ref().unwrap();
    assert_eq!((scores.extra["p50"], scores.extra["p90"]), (None, Some(0.25)));
    // Sent back as it came.
    let sent = serde_json::to_value(&trend).unwrap();
    assert_eq!(sent["cls"], json!([0.5, null]));
    assert_eq!(sent["labels"], json!({"a": "x", "b": null}));
    assert_eq!(sent["scores"]["p50"], json!(null));

    // Items that do not allow `null` still refuse it.
    assert!(serde_json::from_value::<Trend>(json!({"plain_rows": [null]})).is_err());
    assert!(serde_json::from_value::<Trend>(json!({"strict_jobs": [null]})).is_err());
}
"#,
    );
}
