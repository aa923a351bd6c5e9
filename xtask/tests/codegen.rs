//! The `codegen` command as maintainers use it: drift, determinism, check mode, bad input.

use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::{generate, repo_job, repo_root, run, Job};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("codegen-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo_overlays() -> Vec<PathBuf> {
    xtask::repo_spec().unwrap().1
}

/// A job that generates `spec` into `dir/out` as the crate `name`, in memory unless run.
fn scratch_job(dir: &Path, spec: PathBuf, overlays: Vec<PathBuf>, name: &str) -> Job {
    Job {
        spec,
        overlays,
        out: dir.join("out"),
        check: false,
        operation_tests: None,
        emit: xtask::emit::Options {
            crate_name: name.into(),
            standalone: false,
            command: "cargo xtask codegen".into(),
            spec_label: "spec.yaml".into(),
        },
    }
}

/// A small document (the Lists API) for tests that generate standalone crates.
fn lists_spec() -> PathBuf {
    repo_root().join("xtask/tests/data/lists.yaml")
}

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

/// `cargo xtask codegen --spec SPEC --out OUT --crate-name NAME`
fn standalone(spec: &Path, out: &Path, name: &str) -> std::process::Output {
    xtask(&[
        "codegen",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--crate-name",
        name,
    ])
}

/// Every file below `dir`, relative path -> bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push((
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_code_is_up_to_date_with_the_spec() {
    let job = repo_job(repo_overlays(), true);
    if let Err(e) = run(&job) {
        panic!("{e:#}");
    }
}

#[test]
fn two_runs_give_identical_bytes() {
    let job = repo_job(repo_overlays(), true);
    let (first, _) = generate(&job).unwrap();
    let (second, _) = generate(&job).unwrap();
    assert_eq!(first, second);

    let (a, b) = (scratch("determinism-a"), scratch("determinism-b"));
    let spec = lists_spec();
    for out in [&a, &b] {
        let out = out.join("crate");
        let o = standalone(&spec, &out, "same");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (ta, tb) = (tree(&a.join("crate")), tree(&b.join("crate")));
    assert!(
        ta.len() > 5,
        "a standalone crate has its manifest, lib.rs, modules and runtime: {:?}",
        ta.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    // Headers name the output directory, which differs; everything else must be the same bytes.
    let strip = |t: Vec<(String, Vec<u8>)>, dir: &Path| -> Vec<(String, String)> {
        t.into_iter()
            .map(|(p, b)| {
                (
                    p,
                    String::from_utf8(b)
                        .unwrap()
                        .replace(dir.to_str().unwrap(), "OUT"),
                )
            })
            .collect()
    };
    assert_eq!(strip(ta, &a.join("crate")), strip(tb, &b.join("crate")));
}

#[test]
fn check_fails_after_an_overlay_edit_and_writes_nothing() {
    let dir = scratch("edited-overlay");
    let mut overlays = Vec::new();
    let mut edited_any = false;
    for path in repo_overlays() {
        let original = std::fs::read_to_string(&path).unwrap();
        let edited = original.replace(
            "summary: Get bulk operation status",
            "summary: Get the status of a bulk operation",
        );
        edited_any |= edited != original;
        let copy = dir.join(path.file_name().unwrap());
        std::fs::write(&copy, edited).unwrap();
        overlays.push(copy);
    }
    assert!(edited_any, "the edit must change an overlay");

    let before = tree(&repo_root().join("generated"));
    let err = run(&repo_job(overlays, true)).expect_err("an overlay edit must make --check fail");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("stale:") && msg.contains("bulk_operations"),
        "{msg}"
    );
    assert!(msg.contains("run `cargo xtask codegen`"), "{msg}");
    assert_eq!(
        before,
        tree(&repo_root().join("generated")),
        "--check must not write"
    );
}

#[test]
fn orphaned_generated_files_are_listed_by_check_and_removed_by_a_run() {
    let dir = scratch("orphans");
    let out = dir.join("crate");
    let spec = lists_spec();
    let job = |check| Job {
        spec: spec.clone(),
        overlays: Vec::new(),
        out: out.clone(),
        check,
        operation_tests: None,
        emit: xtask::emit::Options {
            crate_name: "orphans".into(),
            standalone: true,
            command: "cargo xtask codegen --spec X --out Y".into(),
            spec_label: "X".into(),
        },
    };
    run(&job(false)).unwrap();
    let orphan = out.join("src/old_resource/mod.rs");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, "// @generated by an older spec\n").unwrap();
    let handwritten = out.join("src/notes.rs");
    std::fs::write(&handwritten, "// written by a person\n").unwrap();

    let msg = format!("{:#}", run(&job(true)).unwrap_err());
    assert!(
        msg.contains("orphaned:") && msg.contains("old_resource"),
        "{msg}"
    );
    let report = run(&job(false)).unwrap();
    assert_eq!(report.sync.removed, ["src/old_resource/mod.rs"]);
    assert!(!orphan.exists() && !orphan.parent().unwrap().exists());
    assert!(
        handwritten.exists(),
        "files without the @generated header are never touched"
    );
    run(&job(true)).unwrap();
}

/// Each bad input: a clear message naming the place, a failing exit code, and nothing written.
#[test]
fn bad_documents_fail_with_their_location_and_write_nothing_and_bad_calls_are_left_out_with_a_warning(
) {
    let ok_envelope = "{type: object, properties: {success: {type: boolean}, errors: {type: array}, messages: {type: array}, result: RESULT}}";
    let spec_with = |paths: &str, schemas: &str| {
        format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n  schemas:\n{schemas}\n")
    };
    let op = |params: &str, result: &str| {
        format!(
            "  /things/{{id}}:\n    get:\n      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}{params}]\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {}",
            ok_envelope.replace("RESULT", result)
        )
    };
    // Document-level failures: nothing can be generated, nothing is written.
    // Operation-level ones (`left_out: true`): that call is left out with a warning naming its location and
    // the reason, and the rest of the crate is generated.
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "invalid-yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x: [unclosed\n".into(),
            vec!["line 4", "column"],
        ),
        (
            "unresolved-ref",
            spec_with(
                &op("", "{$ref: '#/components/schemas/missing'}"),
                "    present: {type: string}",
            ),
            vec![
                "unresolved $ref `#/components/schemas/missing`",
                "paths./things/{id}.get.responses.200",
            ],
        ),
        (
            "header-parameter-object",
            spec_with(
                &op(
                    ", {name: X-Trace, in: header, schema: {type: object, properties: {a: {type: string}}}}",
                    "{type: string}",
                ),
                "    present: {type: string}",
            ),
            vec![
                "paths./things/{id}.get.parameters[1].schema",
                "parameter `X-Trace` has no type, or one that cannot be written as text in a URL or header; it is taken as the text to send",
            ],
        ),
        (
            "undeclared-path-parameter",
            spec_with(
                &op("", "{type: string}").replace("/things/{id}:", "/things/{id}/{other}:"),
                "    present: {type: string}",
            ),
            vec!["path parameter `{other}` is not declared"],
        ),
        (
            "multipart-without-schema",
            spec_with(
                &op("", "{type: string}").replace(
                    "    get:\n",
                    "    post:\n      requestBody: {content: {multipart/form-data: {}}}\n",
                ),
                "    present: {type: string}",
            ),
            vec![
                "paths./things/{id}.post.requestBody.content.multipart/form-data",
                "multipart body without a schema",
            ],
        ),
        (
            "waiter-without-union",
            spec_with(
                &op("", "{type: string}").replace(
                    "    get:\n",
                    "    get:\n      x-sdk-waiter: {success: [done], failure: [failed]}\n",
                ),
                "    present: {type: string}",
            ),
            vec![
                "paths./things/{id}.get.x-sdk-waiter",
                "must be a union decided by a status property",
            ],
        ),
        (
            "waiter-unknown-status",
            spec_with(
                &op("", "{$ref: '#/components/schemas/state'}").replace(
                    "    get:\n",
                    "    get:\n      x-sdk-waiter: {success: [done], failure: [gone]}\n",
                ),
                "    state: {oneOf: [{type: object, required: [s], properties: {s: {type: string, enum: [done]}}}, {type: object, required: [s], properties: {s: {type: string, enum: [busy]}}}]}",
            ),
            vec![
                "paths./things/{id}.get.x-sdk-waiter.failure",
                "`gone` is not a value of the result's `s`",
            ],
        ),
        (
            "waiter-without-id-argument",
            spec_with(
                &op("", "{$ref: '#/components/schemas/state'}")
                    .replace("/things/{id}:", "/things/{id}/state:")
                    .replace(
                        "    get:\n",
                        "    get:\n      x-sdk-waiter: {success: [done], failure: [busy]}\n",
                    ),
                "    state: {oneOf: [{type: object, required: [s], properties: {s: {type: string, enum: [done]}}}, {type: object, required: [s], properties: {s: {type: string, enum: [busy]}}}]}",
            ),
            vec![
                "paths./things/{id}/state.get.x-sdk-waiter",
                "the call must take the operation's id as its one argument",
            ],
        ),
        (
            "not-openapi",
            "just: text\n".into(),
            vec!["is not a valid OpenAPI 3.0 document"],
        ),
    ];
    // An unresolved `$ref` fails the document: the call's half-lowered types would be incomplete.
    let left_out = [
        "undeclared-path-parameter",
        "multipart-without-schema",
        "waiter-without-union",
        "waiter-unknown-status",
        "waiter-without-id-argument",
    ];
    let typed_as_text = ["header-parameter-object"];
    for (name, text, expected) in cases {
        let dir = scratch(&format!("bad-{name}"));
        let spec = dir.join("spec.yaml");
        std::fs::write(&spec, text).unwrap();
        let out = dir.join("out");
        let o = standalone(&spec, &out, "bad");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{name}: expected `{e}` in:\n{stderr}");
        }
        if left_out.contains(&name) || typed_as_text.contains(&name) {
            assert!(
                o.status.success(),
                "{name}: the rest is generated:\n{stderr}"
            );
            assert!(out.join("src/lib.rs").exists(), "{name}");
            let things = std::fs::read_to_string(out.join("src/things/mod.rs")).unwrap_or_default();
            if left_out.contains(&name) {
                assert!(
                    stderr.contains("left out of the crate"),
                    "{name}: the warning says the call is left out:\n{stderr}"
                );
                // Its resource had no other call, so no handle is left either.
                assert!(!things.contains("pub fn get("), "{name}:\n{things}");
                let lib = std::fs::read_to_string(out.join("src/lib.rs")).unwrap();
                assert!(!lib.contains("pub mod things;"), "{name}:\n{lib}");
            } else {
                assert!(
                    things.contains("pub x_trace: Option<String>"),
                    "{name}:\n{things}"
                );
            }
        } else {
            assert!(!o.status.success(), "{name}: must fail");
            assert!(!out.exists(), "{name}: nothing may be written");
        }
    }
    let o = xtask(&[
        "codegen",
        "--spec",
        "/nonexistent/spec.yaml",
        "--out",
        "/nonexistent/out",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot read the spec /nonexistent/spec.yaml")
    );
}

#[test]
fn usage_errors_are_reported() {
    let o = xtask(&["codegen", "--spec", "only-spec.yaml"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("`--spec` and `--out` go together"));
    let o = xtask(&["codegen", "--frobnicate"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown argument `--frobnicate`"));
}

/// Big modules are printed in parts on several threads; the file must be exactly what printing it whole
/// gives (re-printing the parsed file changes nothing), and stay deterministic.
#[test]
fn files_printed_in_parts_equal_the_file_printed_whole() {
    let mut schemas = String::new();
    for i in 0..450 {
        schemas.push_str(&format!(
            "    thing_{i}:\n      type: object\n      description: Thing number {i}.\n      properties:\n        name_{i}: {{type: string}}\n        next: {{$ref: '#/components/schemas/thing_{}'}}\n",
            (i + 1) % 450
        ));
    }
    let text = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /things:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/thing_0'}}\n    put:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/thing_0'}}\ncomponents:\n  schemas:\n{schemas}"
    );
    let dir = scratch("printed-in-parts");
    let spec = dir.join("spec.yaml");
    std::fs::write(&spec, text).unwrap();
    let job = scratch_job(&dir, spec, Vec::new(), "parts");
    let (files, _) = generate(&job).unwrap();
    let types = files.iter().find(|f| f.path == "src/types.rs").unwrap();
    assert_eq!(types.contents.matches("pub struct Thing").count(), 450);
    let body: String = types
        .contents
        .lines()
        .skip_while(|line| line.starts_with("//"))
        .map(|line| format!("{line}\n"))
        .collect();
    let whole = prettyplease::unparse(&syn::parse_file(&body).unwrap());
    assert!(whole == body, "printing in parts changed the output");
    assert_eq!(generate(&job).unwrap().0, files);
}

/// Two copies of the Lists API under different path segments, each with its own bulk-operation waiter:
/// every call that starts an operation returns the handle of the waiter in its own copy, the nearest one in
/// the resource tree, not whichever waiter came last.
#[test]
fn started_calls_link_to_the_nearest_waiter() {
    let mut spec = xtask::load::document(&lists_spec()).unwrap();
    let paths = spec["paths"].as_object().unwrap().clone();
    let mut both = serde_json::Map::new();
    for (path, item) in paths {
        let mut item = item;
        for op in item.as_object_mut().unwrap().values_mut() {
            if let Some(serde_json::Value::String(id)) = op.get_mut("operationId") {
                id.push_str("-copy");
            }
        }
        let copy = path.replacen("/rules/", "/copy/rules/", 1);
        both.insert(copy, item);
    }
    let original = spec["paths"].as_object().unwrap().clone();
    both.extend(original);
    spec["paths"] = serde_json::Value::Object(both);
    let dir = scratch("nearest-waiter");
    let spec_path = dir.join("two-copies.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let job = scratch_job(&dir, spec_path, Vec::new(), "two-copies");
    let (files, api) = generate(&job).unwrap();
    let starting = api
        .operations
        .iter()
        .filter(|op| op.starts.is_some())
        .count();
    assert_eq!(starting, 6, "3 starting calls in each copy");
    let items = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .contents
            .clone()
    };
    let own = items("src/rules/lists/items/mod.rs");
    assert_eq!(
        own.matches("crate::rules::lists::bulk_operations::BulkOperationHandle::new(")
            .count(),
        3,
        "{own}"
    );
    assert!(!own.contains("crate::copy::"), "{own}");
    let copy = items("src/copy/rules/lists/items/mod.rs");
    assert_eq!(
        copy.matches("crate::copy::rules::lists::bulk_operations::BulkOperationHandle::new(")
            .count(),
        3,
        "{copy}"
    );
}

#[test]
fn overlays_apply_in_order_and_an_action_that_matches_nothing_is_an_error_naming_it() {
    let dir = scratch("overlays");
    let rename = dir.join("1-rename.yaml");
    std::fs::write(
        &rename,
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n- target: $.paths['/accounts/{account_id}/rules/lists'].get\n  description: A new summary.\n  update: {summary: Every list of the account}\n",
    )
    .unwrap();
    let job = |overlays: Vec<PathBuf>| scratch_job(&dir, lists_spec(), overlays, "overlaid");
    let (files, _) = generate(&job(vec![rename.clone()])).unwrap();
    let lists = files
        .iter()
        .find(|f| f.path == "src/rules/lists/mod.rs")
        .unwrap();
    assert!(lists.contents.contains("Every list of the account"));

    // A later overlay whose target has gone (as after an upstream rename) stops the generator.
    let stale = dir.join("2-stale.yaml");
    std::fs::write(
        &stale,
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n- target: $.components.schemas.lists_list\n  description: Still there.\n  update: {title: List}\n- target: $.components.schemas.no_such_schema\n  description: Gone upstream.\n  update: {title: Gone}\n",
    )
    .unwrap();
    let err =
        generate(&job(vec![rename, stale])).expect_err("a target that matches nothing must fail");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("2-stale.yaml") && msg.contains("actions[1]") && msg.contains("Gone upstream"),
        "{msg}"
    );

    // Not an overlay document at all.
    let bad = dir.join("3-bad.yaml");
    std::fs::write(&bad, "overlay: 1.0.0\nactions: 7\n").unwrap();
    let err = generate(&job(vec![bad])).expect_err("a malformed overlay must fail");
    assert!(format!("{err:#}").contains("3-bad.yaml"), "{err:#}");
}

#[test]
fn copies_of_one_shape_become_aliases_of_one_definition_and_keep_their_names() {
    // `a_item`/`b_item` and `a_box`/`b_box` are the same shapes under two names; `c_box` has the same fields
    // as the boxes but names a different shape, so it stays a type of its own. Two calls read each box, so
    // the boxes keep their component names.
    let text = "openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/a_box'}}}}
    put:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/a_box'}}}}
  /b:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/b_box'}}}}
    put:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/b_box'}}}}
  /c:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/c_box'}}}}
    put:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/c_box'}}}}
components:
  schemas:
    a_item: {type: object, properties: {code: {type: integer}}}
    b_item: {type: object, description: The same again., properties: {code: {type: integer}}}
    c_item: {type: object, properties: {code: {type: string}}}
    a_box: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/a_item'}}}}
    b_box: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/b_item'}}}}
    c_box: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/c_item'}}}}
";
    let dir = scratch("copies");
    let spec = dir.join("spec.yaml");
    std::fs::write(&spec, text).unwrap();
    let job = scratch_job(&dir, spec, Vec::new(), "copies");
    let (files, _) = generate(&job).unwrap();
    let types = &files
        .iter()
        .find(|f| f.path == "src/types.rs")
        .unwrap()
        .contents;
    for expected in [
        "pub struct ABox {",
        "pub struct AItem {",
        "pub type BBox = ABox;",
        "pub type BItem = AItem;",
        "pub struct CBox {",
        "pub struct CItem {",
        // A copy keeps its own doc, and says what it is the same as.
        "/// The same again.\n///\n/// The same shape as [`crate::types::AItem`]",
    ] {
        assert!(
            types.contains(expected),
            "missing `{expected}` in:\n{types}"
        );
    }
    // Uses keep the names the document gives them.
    let b = &files
        .iter()
        .find(|f| f.path == "src/b/mod.rs")
        .unwrap()
        .contents;
    assert!(b.contains("crate::types::BBox"), "{b}");
}
