//! The inputs of the generation benches: synthetic specs of growing size made from `spec/cloudflare.yaml`,
//! the spec itself, and the real Cloudflare documents in `../shared/specs/` when that folder is there.
//!
//! A synthetic spec of size N holds N renamed copies of the Lists spec's paths and components: copy `k`
//! moves every path under an extra segment `c<k>` after the account scope (so its calls live in their own
//! resource, `client.c<k>()...`), suffixes every operation id with `-c<k>` and every component name with
//! `_c<k>`, and rewrites every `$ref` to match. Security schemes are shared. Operations and schemas grow
//! exactly N-fold, and the shapes stay the real ones.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use xtask::{emit, Job};

/// Copies of the Lists spec in the synthetic specs.
pub const SIZES: [usize; 6] = [1, 2, 4, 8, 16, 32];

pub struct Input {
    /// `synthetic x8`, `spec/cloudflare.yaml`, `cloudflare-2024-08-dns.json`, ...
    pub label: String,
    /// The copies of the Lists spec, for synthetic specs.
    pub copies: Option<usize>,
    pub path: PathBuf,
}

impl Input {
    pub fn job(&self) -> Job {
        Job {
            spec: self.path.clone(),
            out: std::env::temp_dir().join("xtask-bench-out-unused"),
            check: true,
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

/// The Lists spec (`spec/cloudflare.yaml`) with its paths and components copied `copies` times.
pub fn synthetic(lists: &Value, copies: usize) -> Value {
    let mut paths = Map::new();
    let mut components = Map::new();
    if let Some(schemes) = lists.pointer("/components/securitySchemes") {
        components.insert("securitySchemes".to_owned(), schemes.clone());
    }
    for k in 0..copies {
        let suffix = format!("_c{k}");
        let segment = format!("c{k}");
        for (path, item) in lists["paths"].as_object().expect("paths") {
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
            let Some(defs) = lists["components"][section].as_object() else {
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
    let mut spec = lists.clone();
    spec["paths"] = Value::Object(paths);
    spec["components"] = Value::Object(components);
    spec
}

/// Every input, synthetic specs written as JSON to `dir`. Prints a note when `../shared/specs` is absent.
pub fn inputs(dir: &Path) -> Vec<Input> {
    let root = xtask::repo_root();
    let lists_path = root.join("spec/cloudflare.yaml");
    let text = std::fs::read_to_string(&lists_path).expect("read spec/cloudflare.yaml");
    let lists: Value = serde_yaml::from_str(&text).expect("spec/cloudflare.yaml is YAML");
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
        label: "spec/cloudflare.yaml".to_owned(),
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
