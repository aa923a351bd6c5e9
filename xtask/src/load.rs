//! Stage 1: read the OpenAPI document. YAML loading sits behind this one function (serde_yaml is
//! archived). Syntax errors name the line and column; structural errors name the path in the document.
//!
//! The text is parsed into a `serde_json::Value` first and the document is read from that one
//! representation: openapiv3 deserializes `$ref`-or-item twice on failure and panics when the two
//! attempts disagree, which they can when the first one reads YAML directly.

use anyhow::{Context, Result};
use openapiv3::{OpenAPI, Paths};
use serde::Deserialize;
use std::path::Path;

pub fn load(path: &Path) -> Result<OpenAPI> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the spec {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not a valid OpenAPI 3.0 document", path.display()))
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
    let value = to_value(text)?;
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
    let value = to_value(text)?;
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
