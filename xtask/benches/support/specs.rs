//! The inputs of the generation benches: synthetic specs of growing size made from `xtask/tests/data/lists.yaml`,
//! the spec itself, and the real Cloudflare documents in `../shared/specs/` when that folder is there.
//!
//! A synthetic spec of size N holds N renamed copies of the Lists spec's paths and components: copy `k`
//! moves every path under an extra segment `c<k>` after the account scope (so its calls live in their own
//! resource, `client.c<k>()...`), suffixes every operation id with `-c<k>` and every component name with
//! `_c<k>`, and rewrites every `$ref` to match. Security schemes are shared. Operations and schemas grow
//! exactly N-fold, and the shapes stay the real ones.
//!
//! The whole-document inputs are about the size of Cloudflare's whole document (about 1,500 operations), which
//! is not in this repository: the Lists spec x136, and (when `../shared/specs` is there) its three real cuts
//! combined, each source copied under its own tag (`l<k>`, `r<k>`, `d<k>`) so names cannot clash.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use xtask::{emit, Job};

/// Copies of the Lists spec in the synthetic specs.
pub const SIZES: [usize; 6] = [1, 2, 4, 8, 16, 32];

pub struct Input {
    /// `synthetic x8`, `xtask/tests/data/lists.yaml`, `cloudflare-2024-08-dns.json`, ...
    pub label: String,
    /// The copies of the Lists spec, for synthetic specs.
    pub copies: Option<usize>,
    pub path: PathBuf,
}

impl Input {
    pub fn job(&self) -> Job {
        Job {
            spec: self.path.clone(),
            overlays: Vec::new(),
            out: std::env::temp_dir().join("xtask-bench-out-unused"),
            check: true,
            operation_tests: None,
            emit: emit::Options {
                crate_name: "bench-sdk".to_owned(),
                command: "cargo bench".to_owned(),
                spec_label: self.label.clone(),
                standalone: false,
            },
        }
    }
}

const SECTIONS: [&str; 7] = [
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "examples",
    "links",
];

fn rename_refs(value: &mut Value, suffix: &str) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                match inner {
                    Value::String(target)
                        if key == "$ref" && target.starts_with("#/components/") =>
                    {
                        target.push_str(suffix);
                    }
                    _ => rename_refs(inner, suffix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, suffix)),
        _ => {}
    }
}

/// `/accounts/{account_id}/rules/lists` -> `/accounts/{account_id}/c3/rules/lists`.
fn move_path(path: &str, segment: &str) -> String {
    let mut parts: Vec<&str> = path.split('/').collect();
    let at = 3.min(parts.len());
    parts.insert(at, segment);
    parts.join("/")
}

/// One source of a combined spec: `copies` copies of `spec`, copy `k` tagged `<tag><k>`.
pub struct Source<'a> {
    pub spec: &'a Value,
    /// Lowercase letters, distinct per source: tag `c` with copy 11 and tag `c1` with copy 1 would clash.
    pub tag: &'a str,
    pub copies: usize,
}

/// The paths and components of every source, copied and renamed; `info`, `servers` and the rest come from
/// the first source, security schemes from all of them.
pub fn combine(sources: &[Source]) -> Value {
    for (i, source) in sources.iter().enumerate() {
        assert!(
            !source.tag.is_empty() && source.tag.chars().all(|c| c.is_ascii_lowercase()),
            "tag `{}` is not lowercase letters",
            source.tag
        );
        assert!(
            sources[..i].iter().all(|s| s.tag != source.tag),
            "tag `{}` is used twice",
            source.tag
        );
    }
    let mut paths = Map::new();
    let mut components = Map::new();
    let mut schemes = Map::new();
    for source in sources {
        if let Some(defs) = source.spec["components"]["securitySchemes"].as_object() {
            for (name, def) in defs {
                schemes.entry(name.clone()).or_insert_with(|| def.clone());
            }
        }
    }
    if sources
        .iter()
        .any(|s| s.spec.pointer("/components/securitySchemes").is_some())
    {
        components.insert("securitySchemes".to_owned(), Value::Object(schemes));
    }
    for source in sources {
        for k in 0..source.copies {
            let segment = format!("{}{k}", source.tag);
            let suffix = format!("_{segment}");
            for (path, item) in source.spec["paths"].as_object().expect("paths") {
                let mut item = item.clone();
                rename_refs(&mut item, &suffix);
                if let Some(methods) = item.as_object_mut() {
                    for op in methods.values_mut() {
                        if let Some(Value::String(id)) = op.get_mut("operationId") {
                            id.push_str(&format!("-{segment}"));
                        }
                    }
                }
                paths.insert(move_path(path, &segment), item);
            }
            for section in SECTIONS {
                let Some(defs) = source.spec["components"][section].as_object() else {
                    continue;
                };
                let out = components
                    .entry(section)
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("a section is an object");
                for (name, def) in defs {
                    let mut def = def.clone();
                    rename_refs(&mut def, &suffix);
                    out.insert(format!("{name}{suffix}"), def);
                }
            }
        }
    }
    let mut spec = sources.first().expect("a source").spec.clone();
    spec["paths"] = Value::Object(paths);
    spec["components"] = Value::Object(components);
    spec
}

/// The Lists spec (`xtask/tests/data/lists.yaml`) with its paths and components copied `copies` times, tag `c`.
pub fn synthetic(lists: &Value, copies: usize) -> Value {
    combine(&[Source {
        spec: lists,
        tag: "c",
        copies,
    }])
}

/// Writes `spec` as JSON to `dir/<file>` and returns it as an input labelled `label`.
fn write_input(dir: &Path, file: &str, label: &str, spec: &Value) -> Input {
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_vec(spec).expect("serialize")).expect("write spec");
    Input {
        label: label.to_owned(),
        copies: None,
        path,
    }
}

/// The whole-document-sized inputs, written as JSON to `dir`: the Lists spec x136 (1,496 operations), and
/// lists x110 + rulesets x6 + dns x11 of `../shared/specs` (1,495 operations) when the three are there.
pub fn whole_documents(dir: &Path) -> Vec<Input> {
    let root = xtask::repo_root();
    let lists = xtask::load::document(&root.join("xtask/tests/data/lists.yaml"))
        .expect("read xtask/tests/data/lists.yaml");
    std::fs::create_dir_all(dir).expect("create the bench's spec folder");
    let mut inputs = vec![write_input(
        dir,
        "whole-lists-x136.json",
        "whole-document size (Lists x136)",
        &synthetic(&lists, 136),
    )];
    let shared = root.join("../shared/specs");
    let read = |name: &str| -> Option<Value> {
        let path = shared.join(format!("cloudflare-2024-08-{name}.json"));
        path.exists()
            .then(|| xtask::load::document(&path).expect("a shared spec is JSON"))
    };
    match (read("lists"), read("rulesets"), read("dns")) {
        (Some(lists), Some(rulesets), Some(dns)) => {
            let spec = combine(&[
                Source {
                    spec: &lists,
                    tag: "l",
                    copies: 110,
                },
                Source {
                    spec: &rulesets,
                    tag: "r",
                    copies: 6,
                },
                Source {
                    spec: &dns,
                    tag: "d",
                    copies: 11,
                },
            ]);
            inputs.push(write_input(
                dir,
                "whole-real-cuts.json",
                "whole-document size (real cuts)",
                &spec,
            ));
        }
        _ => println!(
            "note: the lists, rulesets and dns cuts are not all in {}; no whole-document input from them",
            shared.display()
        ),
    }
    inputs
}

/// Every input, synthetic specs written as JSON to `dir`. Prints a note when `../shared/specs` is absent.
pub fn inputs(dir: &Path) -> Vec<Input> {
    let root = xtask::repo_root();
    let lists_path = root.join("xtask/tests/data/lists.yaml");
    let lists = xtask::load::document(&lists_path).expect("read xtask/tests/data/lists.yaml");
    std::fs::create_dir_all(dir).expect("create the bench's spec folder");
    let mut inputs = Vec::new();
    for copies in SIZES {
        let path = dir.join(format!("synthetic-x{copies}.json"));
        let spec = synthetic(&lists, copies);
        std::fs::write(&path, serde_json::to_vec(&spec).expect("serialize")).expect("write spec");
        inputs.push(Input {
            label: format!("synthetic x{copies}"),
            copies: Some(copies),
            path,
        });
    }
    inputs.push(Input {
        label: "xtask/tests/data/lists.yaml".to_owned(),
        copies: None,
        path: lists_path,
    });
    let shared = root.join("../shared/specs");
    match std::fs::read_dir(&shared) {
        Ok(entries) => {
            let mut real: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            real.sort();
            for path in real {
                inputs.push(Input {
                    label: path.file_name().unwrap().to_string_lossy().into_owned(),
                    copies: None,
                    path,
                });
            }
        }
        Err(_) => println!(
            "note: {} is absent; benchmarking spec/ and the synthetic specs only",
            shared.display()
        ),
    }
    inputs
}

/// Where the synthetic specs are written for this run.
pub fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("xtask-bench-specs-{}", std::process::id()))
}
