//! The examples a spec gives, each with the schema it must satisfy and the generated Rust type it must
//! round-trip through; the integration test that does those round trips inside the generated crate; and
//! the reading of that test's output.
//!
//! Collected: `example`/`examples` of every component schema, of schemas nested in components where the
//! generator made a named type for that very schema (matched by `TypeDef::origin`), and of request and
//! response media types. Types come from the model (`ir::Api`), never from names in the spec.

use super::validate::Validator;
use crate::ir::{Api, Operation, Response, TypeDef};
use crate::location::{self, Location};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Schemas nest this deep at most before the walk stops (a cycle through inline schemas cannot happen,
/// but a hostile document can be deep).
const MAX_DEPTH: usize = 128;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The name of the test written into each generated crate.
pub const TEST_NAME: &str = "conformance_examples";

/// What each line of the test's output that reports one example starts with.
const MARKER: &str = "[conformance] #";

pub struct Example<'s> {
    /// JSON pointer of the example in the spec (`#/components/schemas/X/example`).
    pub location: String,
    /// The example, or why it cannot be read (an `externalValue`, a `$ref` that does not resolve).
    pub value: Result<&'s Value, String>,
    /// The schema the example must satisfy; `None` when the spec gives none (then anything is valid).
    pub schema: Option<&'s Value>,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Decode `member` of the example (the whole example when `None`) into the Rust type at this path.
    Typed {
        rust_type: String,
        member: Option<String>,
    },
    /// A component schema the generator made no named type for; the example is only validated.
    Untyped(String),
    /// A request or response example with no generated type to decode into; only validated.
    Unmapped(String),
}

/// Every example in `spec`, in document order: component schemas first, then paths.
pub fn collect<'s>(
    spec: &'s Value,
    validator: &Validator<'s>,
    api: &Api,
    krate: &str,
) -> Vec<Example<'s>> {
    let mut by_origin: HashMap<&str, &TypeDef> = HashMap::new();
    let mut unused = HashSet::new();
    for def in &api.types {
        if def.features.is_empty() {
            // Not emitted: no call uses it (see `lower::features`).
            unused.insert(def.origin.as_str());
        } else {
            by_origin.entry(def.origin.as_str()).or_insert(def);
        }
    }
    let cx = Context {
        validator,
        by_origin,
        unused,
        krate,
    };
    let mut out = Vec::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let at = location::component("schemas", name);
            cx.schema_examples(schema, &at, true, 0, &mut out);
        }
    }
    let operations: HashMap<&str, &Operation> = api
        .operations
        .iter()
        .map(|op| (op.origin.as_str(), op))
        .collect();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_at = "#/paths".member(path);
            let Ok((item, _)) = cx.follow(item, &item_at) else {
                continue;
            };
            for method in METHODS {
                let Some(op) = item.get(*method).filter(|op| op.is_object()) else {
                    continue;
                };
                let op_at = item_at.member(method);
                // The generator names an operation's origin `paths.{path}.{method}` (lower::operation).
                let generated = operations
                    .get(format!("paths.{path}.{method}").as_str())
                    .copied();
                cx.operation_examples(op, &op_at, generated, &mut out);
            }
        }
    }
    out
}

struct Context<'a, 's> {
    validator: &'a Validator<'s>,
    /// Generated types by the JSON pointer of the schema they came from.
    by_origin: HashMap<&'a str, &'a TypeDef>,
    /// Schemas whose type is left out of the crate because no call uses it.
    unused: HashSet<&'a str>,
    /// The generated crate's library name, as test code refers to it.
    krate: &'a str,
}

impl<'s> Context<'_, 's> {
    fn rust_path(&self, module: &[String], name: &str) -> String {
        let mut path = format!("::{}", self.krate);
        for segment in module {
            path.push_str("::");
            path.push_str(segment);
        }
        format!("{path}::{name}")
    }

    /// `value` with its `$ref` followed (chains too), and the pointer it was found at.
    fn follow(&self, value: &'s Value, at: &str) -> Result<(&'s Value, String), String> {
        let mut current = value;
        let mut location = at.to_owned();
        for _ in 0..MAX_DEPTH {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return Ok((current, location));
            };
            current = self.validator.pointer(reference)?;
            location = reference.to_owned();
        }
        Err(format!("{at}: `$ref` chain too long (a cycle?)"))
    }

    fn schema_examples(
        &self,
        schema: &'s Value,
        at: &str,
        component: bool,
        depth: usize,
        out: &mut Vec<Example<'s>>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(s) = schema.as_object() else {
            return;
        };
        let values = example_values(self, s, at);
        if !values.is_empty() {
            let target = match self.schema_type(schema, at) {
                Some(rust_type) => Some(Target::Typed {
                    rust_type,
                    member: None,
                }),
                // Nested schemas without a type of their own are out of scope (their parent's examples
                // cover them); a component's are counted as untyped, never dropped.
                None if component && self.unused.contains(at) => Some(Target::Untyped(
                    "no call uses this schema, so the crate has no type for it".to_owned(),
                )),
                None if component => Some(Target::Untyped(self.untyped_reason(schema))),
                None => None,
            };
            if let Some(target) = target {
                for (location, value) in values {
                    out.push(Example {
                        location,
                        value,
                        schema: Some(schema),
                        target: target.clone(),
                    });
                }
            }
        }
        if s.contains_key("$ref") {
            return;
        }
        // The same child locations lowering gives inline types (lower::schema), so origins match.
        if let Some(properties) = s.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let child = at.property(name);
                self.schema_examples(property, &child, false, depth + 1, out);
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(child) = s.get(key).filter(|c| c.is_object()) {
                self.schema_examples(child, &at.member(key), false, depth + 1, out);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (i, member) in s
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema_examples(member, &at.member(key).index(i), false, depth + 1, out);
            }
        }
    }

    /// The generated type of the schema at `at`; for a component that only refers to another component,
    /// that component's type.
    fn schema_type(&self, schema: &'s Value, at: &str) -> Option<String> {
        if let Some(def) = self.by_origin.get(at) {
            return Some(self.rust_path(&def.path.module, &def.path.name));
        }
        let (_, target) = self.follow(schema, at).ok()?;
        let def = self.by_origin.get(target.as_str())?;
        Some(self.rust_path(&def.path.module, &def.path.name))
    }

    /// Why a component schema has no generated type, as far as its shape tells.
    fn untyped_reason(&self, schema: &'s Value) -> String {
        let resolved = self.validator.resolve(schema).unwrap_or(schema);
        let names_itself = ["properties", "oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| resolved.get(*k).is_some())
            || resolved
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|values| values.iter().any(Value::is_string));
        if names_itself {
            "no generated type: no generated call uses this schema".to_owned()
        } else {
            let shape = match resolved.get("type").and_then(Value::as_str) {
                Some(ty) => format!("`type: {ty}`"),
                None => "a schema without `type`".to_owned(),
            };
            format!("no named type: {shape} is typed in place where it is used")
        }
    }

    fn operation_examples(
        &self,
        op: &'s Value,
        op_at: &str,
        generated: Option<&Operation>,
        out: &mut Vec<Example<'s>>,
    ) {
        if let Some(body) = op.get("requestBody") {
            if let Ok((body, body_at)) = self.follow(body, &op_at.member("requestBody")) {
                self.content_examples(body, &body_at, out, |_, _| {
                    Target::Unmapped(
                        "a request body: no generated type is known to this check".to_owned(),
                    )
                });
            }
        }
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return;
        };
        let decoded = self.decoded_response(responses, op_at);
        for (code, response) in responses {
            let response_at = op_at.member("responses").member(code);
            let Ok((response, at)) = self.follow(response, &response_at) else {
                continue;
            };
            self.content_examples(response, &at, out, |media, value| {
                let Some(op) = generated else {
                    return Target::Unmapped("no generated call for this operation".to_owned());
                };
                if !is_success(code) {
                    return Target::Unmapped(
                        "an error response: the runtime reads it into `Error`, not a generated type"
                            .to_owned(),
                    );
                }
                match &decoded {
                    Some((c, m)) if c == code && m == media => {}
                    Some((c, m)) => {
                        return Target::Unmapped(format!(
                            "not the response the generated call decodes (that is {c} {m})"
                        ))
                    }
                    None => {
                        return Target::Unmapped(
                            "the generated call decodes no JSON response".to_owned(),
                        )
                    }
                }
                let Some((rust_type, member)) = response_type(self, op) else {
                    return Target::Unmapped(
                        "this kind of response is not mapped to a generated type yet".to_owned(),
                    );
                };
                if let Some(member) = &member {
                    if value.and_then(|v| v.get(member)).is_none() {
                        return Target::Unmapped(format!(
                            "the example has no `{member}`, the part the generated call returns"
                        ));
                    }
                }
                Target::Typed { rust_type, member }
            });
        }
    }

    /// Examples of each media type under `content` of a request body or response.
    fn content_examples(
        &self,
        holder: &'s Value,
        at: &str,
        out: &mut Vec<Example<'s>>,
        target: impl Fn(&str, Option<&'s Value>) -> Target,
    ) {
        let Some(content) = holder.get("content").and_then(Value::as_object) else {
            return;
        };
        for (media, media_type) in content {
            let Some(m) = media_type.as_object() else {
                continue;
            };
            let media_at = at.member("content").member(media);
            for (location, value) in example_values(self, m, &media_at) {
                out.push(Example {
                    target: target(media, value.as_ref().ok().copied()),
                    location,
                    value,
                    schema: m.get("schema"),
                });
            }
        }
    }

    /// The response the generated call decodes: the first 2xx by status text, its first JSON media type
    /// (the rule in lower::operation::envelope_result).
    fn decoded_response(
        &self,
        responses: &'s serde_json::Map<String, Value>,
        op_at: &str,
    ) -> Option<(String, String)> {
        let mut codes: Vec<&String> = responses.keys().filter(|c| is_success(c)).collect();
        codes.sort_by_key(|c| c.to_ascii_uppercase());
        let code = codes.first()?;
        let (response, _) = self
            .follow(
                responses.get(code.as_str())?,
                &op_at.member("responses").member(code),
            )
            .ok()?;
        let media = response
            .get("content")?
            .as_object()?
            .keys()
            .find(|m| m.contains("json"))?;
        Some(((*code).clone(), media.clone()))
    }
}

/// The generated type a call's success response decodes into, and the member of the body it is.
#[allow(unreachable_patterns)] // response shapes added to the model later are reported as unmapped
fn response_type(cx: &Context<'_, '_>, op: &Operation) -> Option<(String, Option<String>)> {
    match &op.response {
        Response::Enveloped(_) | Response::EnvelopedNullable(_) => Some((
            cx.rust_path(&op.resource, &op.response_type),
            Some("result".to_owned()),
        )),
        _ => None,
    }
}

fn is_success(code: &str) -> bool {
    code.eq_ignore_ascii_case("2XX") || code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c))
}

/// `example`, and each of `examples` (a map of Example Objects, or a list as JSON Schema has it), with
/// their locations.
fn example_values<'s>(
    cx: &Context<'_, 's>,
    holder: &'s serde_json::Map<String, Value>,
    at: &str,
) -> Vec<(String, Result<&'s Value, String>)> {
    let mut out = Vec::new();
    if let Some(example) = holder.get("example") {
        out.push((at.member("example"), Ok(example)));
    }
    match holder.get("examples") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                out.push((at.member("examples").index(i), Ok(item)));
            }
        }
        Some(Value::Object(named)) => {
            for (name, example) in named {
                let example_at = at.member("examples").member(name);
                let value = match cx.follow(example, &example_at) {
                    Ok((example, _)) => {
                        match (example.get("value"), example.get("externalValue")) {
                            (Some(value), _) => Ok(value),
                            (None, Some(external)) => Err(format!(
                                "an `externalValue` ({}), which is not fetched",
                                super::validate::short(external)
                            )),
                            (None, None) => Err("an example object without `value`".to_owned()),
                        }
                    }
                    Err(e) => Err(e),
                };
                out.push((example_at.member("value"), value));
            }
        }
        _ => {}
    }
    out
}

/// One round trip for the generated test.
#[derive(Debug, Clone)]
pub struct Case {
    pub location: String,
    /// The JSON to decode (the example, or the member of it the type stands for).
    pub json: String,
    pub rust_type: String,
    /// Whether the example satisfies its schema: only valid ones fail the test.
    pub valid: bool,
    /// Pointers (into `json`) of members the schema does not declare: dropping them is lossy, not wrong.
    pub undeclared: Vec<String>,
}

/// The test file: one case per example, each decoded into its type and encoded again, compared as JSON.
pub fn test_file(cases: &[Case]) -> String {
    let mut text = String::from(TEST_PRELUDE);
    text.push_str("const CASES: &[Case] = &[\n");
    for case in cases {
        let undeclared: Vec<String> = case.undeclared.iter().map(|p| format!("{p:?}")).collect();
        let _ = write!(
            text,
            "    Case {{\n        location: {:?},\n        json: {},\n        valid: {},\n        undeclared: &[{}],\n        round_trip: round_trip::<{}>,\n    }},\n",
            case.location,
            raw_string(&case.json),
            case.valid,
            undeclared.join(", "),
            case.rust_type,
        );
    }
    text.push_str("];\n");
    text
}

/// A raw string literal holding `text` whatever it contains.
fn raw_string(text: &str) -> String {
    let mut longest = 0;
    for (i, _) in text.match_indices('"') {
        let run = text[i + 1..].chars().take_while(|c| *c == '#').count();
        longest = longest.max(run + 1);
    }
    let hashes = "#".repeat(longest);
    format!("r{hashes}\"{text}\"{hashes}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundTrip {
    Ok,
    Lossy,
    Failed,
}

impl RoundTrip {
    /// The word the test prints for it.
    pub fn word(self) -> &'static str {
        match self {
            RoundTrip::Ok => "ok",
            RoundTrip::Lossy => "lossy",
            RoundTrip::Failed => "failed",
        }
    }
}

/// The outcome the test printed for each case, by index, with its detail.
pub fn parse_results(stdout: &str) -> HashMap<usize, (RoundTrip, String)> {
    let mut results = HashMap::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix(MARKER) else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        let (Some(index), Some(status)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let Some(status) = [RoundTrip::Ok, RoundTrip::Lossy, RoundTrip::Failed]
            .into_iter()
            .find(|s| s.word() == status)
        else {
            continue;
        };
        results.insert(index, (status, parts.next().unwrap_or_default().to_owned()));
    }
    results
}

/// Everything in the test file before the cases. It prints one `[conformance] #<index> <ok|lossy|failed>
/// <location>[: detail]` line per case, which `parse_results` reads.
const TEST_PRELUDE: &str = r##"// Written by `cargo xtask conformance`, not by the SDK generator: each example the spec gives, decoded
// into its generated type and encoded again. Remade on every conformance run.

use serde_json::Value;

struct Case {
    location: &'static str,
    json: &'static str,
    /// Whether the example satisfies its own schema; only valid ones fail the test.
    valid: bool,
    /// Members the schema does not declare: dropping them is lossy, not a failure.
    undeclared: &'static [&'static str],
    round_trip: fn(&str) -> Result<Value, String>,
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> Result<Value, String> {
    let decoded: T = serde_json::from_str(json).map_err(|e| format!("does not decode: {e}"))?;
    serde_json::to_value(&decoded).map_err(|e| format!("does not encode again: {e}"))
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        text
    } else {
        format!("{}...", text.chars().take(80).collect::<String>())
    }
}

/// `1` and `1.0` are the same JSON number.
fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    a == b || ((a.is_f64() || b.is_f64()) && a.as_f64() == b.as_f64())
}

/// Where `after` differs from `before`: (pointer, what changed, whether a member went missing).
fn differences(before: &Value, after: &Value, at: &str, out: &mut Vec<(String, String, bool)>) {
    let member = |key: &str| format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (key, value) in b {
                match a.get(key) {
                    Some(other) => differences(value, other, &member(key), out),
                    None => out.push((member(key), format!("{} is missing after the round trip", short(value)), true)),
                }
            }
            for (key, value) in a.iter().filter(|(key, _)| !b.contains_key(key.as_str())) {
                out.push((member(key), format!("{} was added by the round trip", short(value)), false));
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (b, a)) in b.iter().zip(a).enumerate() {
                differences(b, a, &format!("{at}/{i}"), out);
            }
        }
        (Value::Number(b), Value::Number(a)) if same_number(b, a) => {}
        _ if before == after => {}
        _ => out.push((at.to_owned(), format!("{} became {}", short(before), short(after)), false)),
    }
}

fn outcome(case: &Case) -> (&'static str, String) {
    let before: Value = match serde_json::from_str(case.json) {
        Ok(value) => value,
        Err(e) => return ("failed", format!("the example is not JSON: {e}")),
    };
    let after = match (case.round_trip)(case.json) {
        Ok(value) => value,
        Err(e) => return ("failed", e),
    };
    let mut found = Vec::new();
    differences(&before, &after, "", &mut found);
    if found.is_empty() {
        return ("ok", String::new());
    }
    let lossy = found
        .iter()
        .all(|(at, _, missing)| *missing && case.undeclared.contains(&at.as_str()));
    let list: Vec<String> = found
        .iter()
        .map(|(at, what, _)| if at.is_empty() { what.clone() } else { format!("{at}: {what}") })
        .collect();
    (if lossy { "lossy" } else { "failed" }, list.join("; "))
}

#[test]
fn examples_round_trip() {
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let (status, detail) = outcome(case);
        let detail = if detail.is_empty() { detail } else { format!(": {detail}") };
        println!("[conformance] #{i} {status} {}{detail}", case.location);
        if status == "failed" && case.valid {
            failures.push(format!("{}{detail}", case.location));
        }
    }
    assert!(
        failures.is_empty(),
        "{} valid example(s) do not survive the round trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_strings_hold_any_text() {
        assert_eq!(raw_string("1"), "r\"1\"");
        assert_eq!(raw_string(r#"{"a":1}"#), "r#\"{\"a\":1}\"#");
        assert_eq!(
            raw_string(r##"{"$ref":"#/x"}"##),
            "r##\"{\"$ref\":\"#/x\"}\"##"
        );
    }

    #[test]
    fn results_are_read_by_index() {
        let out = "running 1 test\n[conformance] #0 ok #/a/example\n[conformance] #2 failed #/b/example: /x: 1 became 2\nnoise\n";
        let results = parse_results(out);
        assert_eq!(results.len(), 2);
        assert_eq!(results[&0].0, RoundTrip::Ok);
        assert_eq!(
            results[&2],
            (RoundTrip::Failed, "#/b/example: /x: 1 became 2".to_owned())
        );
    }
}
