//! Stage 1: read the OpenAPI document, and apply the OpenAPI Overlays that carry our changes to it. YAML
//! loading sits behind this one module (serde_yaml is archived). Syntax errors name the line and column;
//! structural errors name the path in the document; an overlay action that matches nothing names the
//! action.
//!
//! The text is parsed into a `serde_json::Value` first and the document is read from that one
//! representation: openapiv3 deserializes `$ref`-or-item twice on failure and panics when the two
//! attempts disagree, which they can when the first one reads YAML directly.

use anyhow::{Context, Result};
use openapiv3::{OpenAPI, Paths};
use roas_overlay::apply::{Apply, ApplyOptions};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub fn load(path: &Path) -> Result<OpenAPI> {
    load_with_overlays(path, &[])
}

/// The document at `path` with each overlay applied in turn, read as OpenAPI.
pub fn load_with_overlays(path: &Path, overlays: &[PathBuf]) -> Result<OpenAPI> {
    let text = read(path)?;
    let invalid = || format!("{} is not a valid OpenAPI 3.0 document", path.display());
    if overlays.is_empty() {
        return parse(&text).with_context(invalid);
    }
    let overlaid = || apply_overlays(to_value(&text)?, overlays);
    let value = overlaid().with_context(|| format!("cannot read {}", path.display()))?;
    read_value(value, overlaid).with_context(|| format!("{} (with its overlays)", invalid()))
}

/// The document (or any JSON or YAML file) at `path` as plain JSON, for readers that need more than the
/// OpenAPI model (examples, the validator, tests that edit a spec).
pub fn document(path: &Path) -> Result<serde_json::Value> {
    effective_document(path, &[])
}

/// The document at `path` with the overlays applied, as JSON: what the SDK is generated from (a mock server
/// serves this).
pub fn effective_document(path: &Path, overlays: &[PathBuf]) -> Result<serde_json::Value> {
    let text = read(path)?;
    let value = to_value(&text).with_context(|| format!("cannot read {}", path.display()))?;
    apply_overlays(value, overlays)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the spec {}", path.display()))
}

/// Applies each OpenAPI Overlay 1.0 document in `overlays`, in order. An action whose target matches
/// nothing is an error naming the overlay and the action, so a fix cannot be lost silently when the document
/// it applies to changes.
fn apply_overlays(
    mut document: serde_json::Value,
    overlays: &[PathBuf],
) -> Result<serde_json::Value> {
    for path in overlays {
        let overlay = read_overlay(path)?;
        if let Err(e) = overlay.apply(&mut document, ApplyOptions::ErrorOnZeroMatch.into()) {
            let action = overlay.actions.get(e.action_index);
            let what = action
                .and_then(|a| a.description.as_deref())
                .map(|d| format!(" ({})", d.trim()))
                .unwrap_or_default();
            anyhow::bail!("{}: actions[{}]{what}: {e}", path.display(), e.action_index);
        }
    }
    Ok(document)
}

fn read_overlay(path: &Path) -> Result<roas_overlay::v1_0::Overlay> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the overlay {}", path.display()))?;
    let value =
        to_value(&text).with_context(|| format!("cannot read the overlay {}", path.display()))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        anyhow::anyhow!(
            "{} is not an OpenAPI Overlay 1.0 document: at `{}`: {}",
            path.display(),
            e.path(),
            e.inner()
        )
    })
}

/// The overlays in `dir` (`*.yaml`, `*.yml`, `*.json`), in the order of their file names; none when `dir`
/// does not exist.
pub fn overlays_in(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the overlays in {}", dir.display()))?
    {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// JSON is parsed as JSON (faster, exact positions), anything else as YAML.
fn to_value(text: &str) -> Result<serde_json::Value> {
    Ok(if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        serde_yaml::from_str(text).map_err(|e| match e.location() {
            Some(at) => anyhow::anyhow!("line {}, column {}: {e}", at.line(), at.column()),
            None => anyhow::anyhow!("{e}"),
        })?
    })
}

pub fn parse(text: &str) -> Result<OpenAPI> {
    read_value(to_value(text)?, || to_value(text))
}

/// The document read from `value`; `again` gives the same value again, to explain a failure.
fn read_value(
    value: serde_json::Value,
    again: impl FnOnce() -> Result<serde_json::Value>,
) -> Result<OpenAPI> {
    let version = value
        .get("openapi")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    if !version.starts_with("3.0") {
        anyhow::bail!("`openapi: {version}`: only OpenAPI 3.0.x documents are supported");
    }
    // The document is read from the value by move, so its strings are not copied. Tracking the path costs
    // half again as much, so it is only done to explain a failure, from the text parsed again.
    if let Some(doc) = read_in_parallel(value) {
        return Ok(doc);
    }
    let value = again()?;
    serde_path_to_error::deserialize::<_, OpenAPI>(&value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            anyhow::anyhow!("{inner}")
        } else {
            anyhow::anyhow!("at `{path}`: {inner}")
        }
    })
}

/// The document read from `value` with its paths read on a second thread, as they are about half of it.
/// `None` when either part does not read.
fn read_in_parallel(mut value: serde_json::Value) -> Option<OpenAPI> {
    let paths = value
        .get_mut("paths")
        .map(|paths| std::mem::replace(paths, serde_json::Value::Object(Default::default())));
    std::thread::scope(|scope| {
        let paths = scope.spawn(|| paths.map(Paths::deserialize).transpose());
        let mut doc = OpenAPI::deserialize(value).ok()?;
        if let Some(paths) = paths.join().ok()?.ok()? {
            doc.paths = paths;
        }
        Some(doc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_syntax_errors_name_line_and_column() {
        let err = parse("openapi: 3.0.3\ninfo: [unclosed\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("column"), "{msg}");
    }

    #[test]
    fn structural_errors_name_the_path() {
        let err = parse("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: 7\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("at `paths`") && msg.contains("expected struct Responses"),
            "{msg}"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = load(Path::new("/nonexistent/spec.yaml")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/spec.yaml"));
    }

    #[test]
    fn swagger_2_is_refused() {
        let err = parse("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n").unwrap_err();
        assert!(format!("{err:#}").contains("only OpenAPI 3.0"), "{err:#}");
    }
}
