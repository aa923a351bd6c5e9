//! Which members of an example its schema does not declare. A generated struct keeps only the properties
//! the spec names, so such a member (allowed, since `additionalProperties` is not false) is missing after
//! a round trip: that is reported as "lossy: undeclared field", not as a failure of the generator.

use super::validate::Validator;
use crate::location::Location;
use serde_json::Value;

/// Schemas nest this deep at most before the walk stops (a `$ref` or `allOf` cycle).
const MAX_DEPTH: usize = 256;

/// JSON pointers (into `instance`) of the object members that no schema applying there declares in its
/// `properties`, where none of those schemas sets `additionalProperties: false`.
pub fn undeclared<'s>(
    validator: &Validator<'s>,
    schema: &'s Value,
    instance: &Value,
) -> Vec<String> {
    let mut out = Vec::new();
    walk(validator, &[schema], instance, "", 0, &mut out);
    out
}

/// `schemas` all apply to `instance` (JSON Schema's `allOf` semantics): a member is declared when any of
/// them declares it.
fn walk<'s>(
    validator: &Validator<'s>,
    schemas: &[&'s Value],
    instance: &Value,
    at: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut applying = Vec::new();
    for schema in schemas {
        expand(validator, schema, instance, depth, &mut applying);
    }
    match instance {
        Value::Object(members) => {
            let closed = applying
                .iter()
                .any(|s| s.get("additionalProperties") == Some(&Value::Bool(false)));
            for (name, value) in members {
                let declared: Vec<&'s Value> = applying
                    .iter()
                    .filter_map(|s| s.get("properties")?.get(name))
                    .collect();
                let member_at = at.member(name);
                if declared.is_empty() {
                    if !closed {
                        out.push(member_at.clone());
                    }
                    // A map's values may be structs that drop members of their own.
                    let extra: Vec<&'s Value> = applying
                        .iter()
                        .filter_map(|s| s.get("additionalProperties"))
                        .filter(|s| s.is_object())
                        .collect();
                    if !extra.is_empty() {
                        walk(validator, &extra, value, &member_at, depth + 1, out);
                    }
                } else {
                    walk(validator, &declared, value, &member_at, depth + 1, out);
                }
            }
        }
        Value::Array(items) => {
            let item_schemas: Vec<&'s Value> =
                applying.iter().filter_map(|s| s.get("items")).collect();
            for (i, item) in items.iter().enumerate() {
                walk(validator, &item_schemas, item, &at.index(i), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// `schema` with its `$ref`s followed and its `allOf` members, plus the `oneOf`/`anyOf` members that
/// `instance` matches (all of them when it matches none, so nothing is wrongly called undeclared).
fn expand<'s>(
    validator: &Validator<'s>,
    schema: &'s Value,
    instance: &Value,
    depth: usize,
    out: &mut Vec<&'s Value>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(schema) = validator.resolve(schema) else {
        return;
    };
    out.push(schema);
    for member in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        expand(validator, member, instance, depth + 1, out);
    }
    for keyword in ["oneOf", "anyOf"] {
        let Some(members) = schema.get(keyword).and_then(Value::as_array) else {
            continue;
        };
        let matching: Vec<&'s Value> = members
            .iter()
            .filter(|m| validator.is_valid(m, instance))
            .collect();
        let chosen = if matching.is_empty() {
            members.iter().collect()
        } else {
            matching
        };
        for member in chosen {
            expand(validator, member, instance, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests;
