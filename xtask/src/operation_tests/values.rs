//! Values for a call's arguments, read from the spec: the example the spec gives when it meets its own
//! schema, else one made from the schema's constraints (enum, format, lengths, bounds, pattern, items,
//! required properties), kept only when the schema validator accepts it.

use crate::conformance::validate::Validator;
use serde_json::{json, Map, Value};

/// Schemas nest this deep at most before a value is cut short (recursive schemas).
const MAX_DEPTH: usize = 12;

/// Text values tried, in order, for a string schema whose format gives no better start: the first one the
/// schema accepts (after fitting its length) is used.
const TEXT_CANDIDATES: &[&str] = &[
    "023e105f4ecef8ad9ca31a8372d0c353",
    "example",
    "example.com",
    "192.0.2.1",
    "2001:db8::1",
    "192.0.2.0/24",
    "f174e90a-fafe-4643-bbbc-4a0ed4fc8415",
    "user@example.com",
    "https://example.com",
    "2024-01-01T00:00:00Z",
    "2024-01-01",
    "1",
    "a",
    "A",
    "abc123",
    "example-name",
    "example_name",
];

pub struct Values<'s> {
    validator: &'s Validator<'s>,
}

impl<'s> Values<'s> {
    pub fn new(validator: &'s Validator<'s>) -> Self {
        Values { validator }
    }

    /// A value for a parameter object (`$ref`s followed): its example, its schema's, or one made from the
    /// schema.
    pub fn parameter(&self, param: &'s Value) -> Value {
        let param = self.resolve_ref(param);
        let schema = param.get("schema").map(|s| self.resolve_ref(s));
        self.given_example(param, schema)
            .unwrap_or_else(|| match schema {
                Some(schema) => self.make(schema, 0),
                None => json!("example"),
            })
    }

    /// A value for a media type object of a request body: its example when valid, else one made from the
    /// schema; `None` without schema or example.
    pub fn media(&self, media: &'s Value) -> Option<Value> {
        let schema = media.get("schema").map(|s| self.resolve_ref(s));
        self.given_example(media, schema)
            .or_else(|| schema.map(|schema| self.make(schema, 0)))
    }

    /// A value for a multipart form's media type object: like [`Values::media`], with a value for every
    /// optional part too, since a form of optional parts only would be sent empty.
    pub fn form(&self, media: &'s Value) -> Option<Value> {
        let mut value = self.media(media)?;
        if let Some(schema) = media.get("schema") {
            self.fill_optional(schema, &mut value, 0);
        }
        Some(value)
    }

    /// Adds a value for each property of `schema` (and its `allOf` members) that `value` lacks, but those
    /// only the server writes.
    /// Nested objects are filled the same way, so that a property that tells members apart deep down
    /// (`source.provider`) is set.
    fn fill_optional(&self, schema: &'s Value, value: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (mut properties, mut required, mut unions) = (Vec::new(), Vec::new(), Vec::new());
        self.fields(schema, 0, &mut properties, &mut required, &mut unions);
        let Value::Object(object) = value else {
            return;
        };
        for (name, property) in properties {
            if self.validator.read_only(property) {
                continue;
            }
            let current = object
                .entry(name)
                .or_insert_with(|| self.make(property, depth + 1));
            self.fill_optional(property, current, depth + 1);
        }
    }

    /// The first `example` or `examples` value of a parameter or media type object that meets `schema`.
    fn given_example(&self, holder: &'s Value, schema: Option<&'s Value>) -> Option<Value> {
        let examples = holder
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|all| all.values())
            .filter_map(|e| self.resolve_ref(e).get("value"));
        holder
            .get("example")
            .into_iter()
            .chain(examples)
            .find(|example| schema.is_none_or(|s| self.validator.is_valid(s, example)))
            .cloned()
    }

    /// Follows `$ref`s; a broken one stays as it is (the validator reports it).
    pub fn resolve_ref(&self, value: &'s Value) -> &'s Value {
        self.validator.resolve(value).unwrap_or(value)
    }

    /// A value that meets `schema`, as far as the rules below can make one.
    pub fn make(&self, schema: &'s Value, depth: usize) -> Value {
        let schema = self.resolve_ref(schema);
        let valid = |v: &Value| self.validator.is_valid(schema, v);
        for given in ["example", "default"] {
            if let Some(v) = schema.get(given).filter(|v| !v.is_null() && valid(v)) {
                return v.clone();
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if let Some(v) = values.iter().find(|v| !v.is_null()) {
                return v.clone();
            }
        }
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        // Properties written beside a `oneOf` (or gathered through `allOf`) go into every member's value.
        let shared = self
            .is_object(schema, 0)
            .then(|| self.object(schema, depth));
        for keyword in ["oneOf", "anyOf"] {
            if let Some(members) = schema.get(keyword).and_then(Value::as_array) {
                let made: Vec<Value> = members
                    .iter()
                    .map(|m| {
                        let mut value = self.make(m, depth + 1);
                        if let Some(shared) = &shared {
                            merge(&mut value, shared.clone());
                            self.conform(schema, &mut value, depth);
                        }
                        discriminate(schema, m, &mut value);
                        value
                    })
                    .collect();
                if let Some(v) = made.iter().find(|v| !v.is_null() && valid(v)) {
                    return v.clone();
                }
                // A member's required properties alone may fit several members ("exactly one" fails):
                // with its optional properties too, a member's value usually fits it alone.
                let full = members.iter().zip(&made).map(|(member, value)| {
                    let mut value = value.clone();
                    self.fill_optional(member, &mut value, depth + 1);
                    value
                });
                let full: Vec<Value> = full.collect();
                // A schema may also give its own `type` beside the union (an array whose members describe
                // its items): a value of that type, when it fits, and else still before a member's when
                // that type is not an object (whose members bring the properties), since the generator
                // types such a schema by its `type`.
                let own = self.own(schema, depth);
                let own_fits = own.clone().filter(valid);
                let typed = own.filter(|_| {
                    schema
                        .get("type")
                        .is_some_and(|t| t != &Value::from("object"))
                });
                return full
                    .iter()
                    .find(|v| !v.is_null() && valid(v))
                    .cloned()
                    .or(own_fits)
                    .or(typed)
                    .or_else(|| made.iter().find(|v| !v.is_null()).cloned())
                    .unwrap_or(Value::Null);
            }
        }
        if let Some(shared) = shared {
            return shared;
        }
        if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Value::Null;
            for member in members {
                merge(&mut merged, self.make(member, depth + 1));
            }
            return merged;
        }
        self.own(schema, depth).unwrap_or(Value::Null)
    }

    /// Whether `schema` describes an object: by its `type`, its `properties`, or an `allOf` member's.
    fn is_object(&self, schema: &'s Value, depth: usize) -> bool {
        let schema = self.resolve_ref(schema);
        schema.get("type").and_then(Value::as_str) == Some("object")
            || schema.get("properties").is_some()
            || (depth < MAX_DEPTH
                && schema
                    .get("allOf")
                    .and_then(Value::as_array)
                    .is_some_and(|all| all.iter().any(|m| self.is_object(m, depth + 1))))
    }

    /// The properties and required names of `schema` and of its `allOf` members (later ones win), and the
    /// members that are unions, whose values are merged in.
    fn fields(
        &self,
        schema: &'s Value,
        depth: usize,
        properties: &mut Vec<(String, &'s Value)>,
        required: &mut Vec<String>,
        unions: &mut Vec<&'s Value>,
    ) {
        let schema = self.resolve_ref(schema);
        if depth > MAX_DEPTH {
            return;
        }
        for member in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let resolved = self.resolve_ref(member);
            if resolved.get("oneOf").is_some() || resolved.get("anyOf").is_some() {
                unions.push(resolved);
            }
            self.fields(member, depth + 1, properties, required, unions);
        }
        if depth > 0 && (schema.get("oneOf").is_some() || schema.get("anyOf").is_some()) {
            return;
        }
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            properties.push((name.clone(), property));
        }
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str() {
                if !required.iter().any(|r| r == name) {
                    required.push(name.to_owned());
                }
            }
        }
    }

    /// A value for the schema's own `type` (written or implied by `properties`/`items`), ignoring its
    /// combinators; `None` when it has none.
    fn own(&self, schema: &'s Value, depth: usize) -> Option<Value> {
        let kind = match schema.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(Value::Array(kinds)) => kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k != "null")?,
            _ if schema.get("properties").is_some() || schema.get("required").is_some() => "object",
            _ if schema.get("items").is_some() => "array",
            _ => return None,
        };
        Some(match kind {
            "string" => self.text(schema),
            "integer" => json!(integer(schema)),
            "number" => json!(integer(schema) as f64),
            "boolean" => json!(true),
            "array" => {
                let count = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1);
                let item = schema
                    .get("items")
                    .map_or(Value::Null, |items| self.make(items, depth + 1));
                Value::Array(vec![item; count as usize])
            }
            "object" => self.object(schema, depth),
            _ => return None,
        })
    }

    /// An object with the required properties (gathered through `allOf`), but those only the server writes
    /// (`readOnly`).
    fn object(&self, schema: &'s Value, depth: usize) -> Value {
        let (mut properties, mut required, mut unions) = (Vec::new(), Vec::new(), Vec::new());
        self.fields(schema, 0, &mut properties, &mut required, &mut unions);
        let beside_union = schema.get("oneOf").is_some() || schema.get("anyOf").is_some();
        let mut out = Value::Object(Map::new());
        for union in unions {
            merge(&mut out, self.make(union, depth + 1));
        }
        self.conform(schema, &mut out, depth);
        for name in required {
            let Some((_, property)) = properties.iter().rev().find(|(n, _)| *n == name) else {
                // Required but not described: any value meets the schema. Beside a union, the members
                // describe it (or leave it to the server: `readOnly`), and their values bring it.
                if let (Value::Object(out), false) = (&mut out, beside_union) {
                    out.insert(name, json!("example"));
                }
                continue;
            };
            if self.validator.read_only(property) {
                continue;
            }
            let value = self.make(property, depth + 1);
            if let Value::Object(out) = &mut out {
                out.insert(name, value);
            }
        }
        out
    }

    /// Remakes each property of `value` that its schema (in `schema` or its `allOf` members) refuses: a
    /// member that only names a property as required sets it to any value, which the property's own schema
    /// beside the member may not take.
    fn conform(&self, schema: &'s Value, value: &mut Value, depth: usize) {
        let (mut properties, mut required, mut unions) = (Vec::new(), Vec::new(), Vec::new());
        self.fields(schema, 0, &mut properties, &mut required, &mut unions);
        let Value::Object(object) = value else {
            return;
        };
        let mut seen = std::collections::BTreeSet::new();
        // Later definitions win, as in `fields`.
        for (name, property) in properties.iter().rev() {
            if !seen.insert(name) {
                continue;
            }
            if let Some(current) = object.get_mut(name) {
                if !self.validator.is_valid(property, current) {
                    *current = self.make(property, depth + 1);
                }
            }
        }
    }

    /// Text meeting the schema's format, length and pattern: the first candidate it accepts.
    fn text(&self, schema: &'s Value) -> Value {
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let by_format = match format {
            "uuid" => Some("f174e90a-fafe-4643-bbbc-4a0ed4fc8415"),
            "date-time" => Some("2024-01-01T00:00:00Z"),
            "date" => Some("2024-01-01"),
            "email" => Some("user@example.com"),
            "ipv4" => Some("192.0.2.1"),
            "ipv6" => Some("2001:db8::1"),
            "uri" | "url" => Some("https://example.com"),
            "hostname" => Some("example.com"),
            _ => None,
        };
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        let mut tried = Vec::new();
        for candidate in by_format.into_iter().chain(TEXT_CANDIDATES.iter().copied()) {
            let fitted = fit(candidate, min, max);
            let value = json!(fitted);
            if self.validator.is_valid(schema, &value) {
                return value;
            }
            tried.push(value);
        }
        tried.into_iter().next().unwrap_or_else(|| json!("example"))
    }
}

/// `text` lengthened (repeating its last character) or cut to fit `min..=max` characters.
fn fit(text: &str, min: usize, max: Option<usize>) -> String {
    let mut out: String = text.chars().take(max.unwrap_or(usize::MAX)).collect();
    let last = out.chars().last().unwrap_or('a');
    while out.chars().count() < min {
        out.push(last);
    }
    out
}

/// A whole number within the schema's bounds, 1 when they allow it.
fn integer(schema: &Value) -> i64 {
    let exclusive = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let low = bound("minimum").map(|m| {
        let m = m.ceil() as i64;
        if exclusive("exclusiveMinimum") {
            m + 1
        } else {
            m
        }
    });
    let high = bound("maximum").map(|m| {
        let m = m.floor() as i64;
        if exclusive("exclusiveMaximum") {
            m - 1
        } else {
            m
        }
    });
    let mut value = 1;
    if let Some(low) = low {
        value = value.max(low);
    }
    if let Some(high) = high {
        value = value.min(high);
    }
    value
}

/// Sets the union's `discriminator` property in a member's value to the value that names that member (its
/// `mapping` key, else the member's component name), when the value is an object without it.
fn discriminate(union: &Value, member: &Value, value: &mut Value) {
    let Some(discriminator) = union.get("discriminator") else {
        return;
    };
    let (Some(property), Some(reference), Value::Object(object)) = (
        discriminator.get("propertyName").and_then(Value::as_str),
        member.get("$ref").and_then(Value::as_str),
        value,
    ) else {
        return;
    };
    if object.contains_key(property) {
        return;
    }
    let mapped = discriminator
        .get("mapping")
        .and_then(Value::as_object)
        .and_then(|mapping| {
            mapping
                .iter()
                .find(|(_, to)| to.as_str() == Some(reference))
        })
        .map(|(key, _)| key.clone());
    let name = mapped.or_else(|| reference.rsplit('/').next().map(str::to_owned));
    if let Some(name) = name {
        object.insert(property.to_owned(), Value::String(name));
    }
}

/// Adds `extra` into `into`: objects key by key, anything else replaces a null.
fn merge(into: &mut Value, extra: Value) {
    match (into, extra) {
        (Value::Object(into), Value::Object(extra)) => {
            for (key, value) in extra {
                match into.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        into.insert(key, value);
                    }
                }
            }
        }
        (into @ Value::Null, extra) => *into = extra,
        _ => {}
    }
}
