//! A JSON Schema validator for OpenAPI 3.0 schema objects, read straight from the spec's
//! `serde_json::Value`. It tells an example that contradicts its own schema (the spec's mistake, reported
//! as invalid) from a valid one (which the generated type must then round-trip).
//!
//! Covered: local `$ref`, `type`, `nullable`, `enum`, `required`, `properties`, `additionalProperties`,
//! `items`, `allOf`, `oneOf` (exactly one), `anyOf`, `not`, string lengths, `pattern`, `format: date-time`,
//! number bounds (3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` and 3.1's numeric ones), item
//! counts, `uniqueItems`, property counts. Anything else (`multipleOf`, other formats) is not checked.

use crate::location::Location;
use regex::Regex;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Schemas nest this deep at most before the validator gives up (a `$ref` or `allOf` cycle).
const MAX_DEPTH: usize = 256;
/// `$ref` chains longer than this are taken for cycles.
const MAX_REF_CHAIN: usize = 64;

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance (`""` is the instance itself).
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(the example itself): {}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

pub struct Validator<'s> {
    /// The whole spec, for `$ref`s.
    root: &'s Value,
    /// Compiled `pattern`s; `None` for one Rust's regex syntax cannot read (ECMA-262 lookaround, say),
    /// which is then not checked rather than reported against the example.
    patterns: RefCell<HashMap<String, Option<Regex>>>,
    /// Whether schemas are read as the generator types them (see [`Validator::as_generated`]).
    as_generated: bool,
    /// Whether the instance is a request body (see [`Validator::for_requests`]).
    request: bool,
}

impl<'s> Validator<'s> {
    /// JSON Schema as written: a keyword applies only to the kind of value it is about, so a schema with
    /// `properties` and no `type` also takes a string, a number or `null`.
    pub fn new(root: &'s Value) -> Self {
        Validator {
            root,
            patterns: RefCell::new(HashMap::new()),
            as_generated: false,
            request: false,
        }
    }

    /// For request bodies: a `readOnly` property listed in `required` need not be there, as OpenAPI says
    /// (the server writes it).
    pub fn for_requests(root: &'s Value) -> Self {
        Validator {
            request: true,
            ..Validator::new(root)
        }
    }

    /// Whether a property's schema is `readOnly`: said on it (through `$ref`s) or on one of its `allOf`
    /// members.
    pub fn read_only(&self, property: &'s Value) -> bool {
        let marked = |s: &Value| s.get("readOnly") == Some(&Value::Bool(true));
        let Ok(property) = self.resolve(property) else {
            return false;
        };
        marked(property)
            || property
                .get("allOf")
                .and_then(Value::as_array)
                .is_some_and(|all| all.iter().any(|m| self.resolve(m).is_ok_and(marked)))
    }

    /// Whether `name` is `readOnly` where `instance` gets its definition: in the schema's own `properties`,
    /// or in a member that applies to it (every `allOf` member, each `oneOf`/`anyOf` member it meets),
    /// through `$ref`s. A `required` list beside a `oneOf` names properties its members define: Cloudflare's
    /// DNS record requires `proxiable` and `created_on`, which every record type defines read-only.
    fn read_only_where_defined(
        &self,
        s: &'s serde_json::Map<String, Value>,
        name: &str,
        instance: &Value,
        depth: usize,
    ) -> bool {
        let own = s.get("properties").and_then(|p| p.get(name));
        if own.is_some_and(|p| self.read_only(p)) {
            return true;
        }
        if depth > MAX_DEPTH {
            return false;
        }
        let members = |keyword: &str| {
            s.get(keyword)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        };
        let defines = |member: &'s Value| {
            self.resolve(member)
                .ok()
                .and_then(Value::as_object)
                .is_some_and(|m| self.read_only_where_defined(m, name, instance, depth + 1))
        };
        members("allOf").any(defines)
            || members("oneOf")
                .chain(members("anyOf"))
                .filter(|member| {
                    let mut violations = Vec::new();
                    self.check(member, instance, "", depth + 1, &mut violations);
                    violations.is_empty()
                })
                .any(defines)
    }

    /// The schemas as the generator types them: one with `properties` and no `type` describes an object (a
    /// struct), so any other value breaks it, `null` too unless the schema is `nullable`; and a property of
    /// a `oneOf`/`anyOf` member that leaves it undescribed must meet another member's description of it.
    pub fn as_generated(root: &'s Value) -> Self {
        Validator {
            as_generated: true,
            ..Validator::new(root)
        }
    }

    /// Every violation of `schema` by `instance`, in document order.
    pub fn validate(&self, schema: &'s Value, instance: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check(schema, instance, "", 0, &mut out);
        out
    }

    pub fn is_valid(&self, schema: &'s Value, instance: &Value) -> bool {
        self.validate(schema, instance).is_empty()
    }

    /// Follows `$ref` (also chains of them) to the schema it names. A `$ref`'s siblings are ignored, as
    /// OpenAPI 3.0 says and as the generator reads them.
    pub fn resolve(&self, schema: &'s Value) -> Result<&'s Value, String> {
        let mut current = schema;
        for _ in 0..MAX_REF_CHAIN {
            let Some(reference) = current.get("$ref") else {
                return Ok(current);
            };
            let Some(reference) = reference.as_str() else {
                return Err("`$ref` is not a string".to_owned());
            };
            current = self.pointer(reference)?;
        }
        Err(format!(
            "`$ref` chain longer than {MAX_REF_CHAIN} links (a cycle?)"
        ))
    }

    /// The value at a local reference (`#/components/schemas/X`).
    pub fn pointer(&self, reference: &str) -> Result<&'s Value, String> {
        let pointer = reference.strip_prefix('#').ok_or_else(|| {
            format!("`$ref: {reference}` is not a local reference (`#/...`), which is not followed")
        })?;
        self.root
            .pointer(pointer)
            .ok_or_else(|| format!("`$ref: {reference}` does not resolve"))
    }

    fn check(
        &self,
        schema: &'s Value,
        instance: &Value,
        at: &str,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let mut fail = |message: String| out.push(violation(at, message));
        if depth > MAX_DEPTH {
            fail(format!(
                "cannot check: schemas nest deeper than {MAX_DEPTH} levels (a cycle?)"
            ));
            return;
        }
        let schema = match self.resolve(schema) {
            Ok(schema) => schema,
            Err(e) => {
                fail(format!("cannot check: {e}"));
                return;
            }
        };
        let Some(s) = schema.as_object() else {
            // JSON Schema's boolean schemas: `true` allows everything, `false` nothing.
            if schema == &Value::Bool(false) {
                fail("no value is allowed here (the schema is `false`)".to_owned());
            }
            return;
        };

        let enumeration = s.get("enum").and_then(Value::as_array);
        if self.as_generated
            && !instance.is_object()
            && s.get("type").is_none()
            && s.contains_key("properties")
            && !(instance.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true))
        {
            fail(format!(
                "{} where the schema's `properties` (it gives no `type`) describe an object",
                kind(instance)
            ));
            return;
        }
        if instance.is_null() {
            let nullable = s.get("nullable").and_then(Value::as_bool) == Some(true)
                || enumeration.is_some_and(|values| values.iter().any(Value::is_null));
            if nullable {
                return;
            }
            if s.get("type")
                .is_some_and(|expected| type_mismatch(expected, instance).is_some())
            {
                fail("null is not allowed (the schema is not `nullable`)".to_owned());
                return;
            }
        } else if let Some(expected) = s.get("type") {
            if let Some(message) = type_mismatch(expected, instance) {
                // The keywords below assume the right type; their messages would only repeat this one.
                fail(message);
                return;
            }
        }
        if let Some(values) = enumeration {
            if !values.iter().any(|v| json_equal(v, instance)) {
                fail(format!(
                    "{} is not one of the allowed values {}",
                    short(instance),
                    short(&Value::Array(values.clone()))
                ));
            }
        }

        match instance {
            Value::String(text) => self.check_string(s, text, &mut fail),
            Value::Number(n) => check_number(s, n.as_f64().unwrap_or(f64::NAN), &mut fail),
            Value::Array(items) => self.check_array(s, items, at, depth, out),
            Value::Object(members) => self.check_object(s, members, instance, at, depth, out),
            Value::Null | Value::Bool(_) => {}
        }
        self.check_composition(s, instance, at, depth, out);
    }

    /// An array against `minItems`, `maxItems`, `uniqueItems` and `items`.
    fn check_array(
        &self,
        s: &'s serde_json::Map<String, Value>,
        items: &[Value],
        at: &str,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let mut fail = |message: String| out.push(violation(at, message));
        check_count(s, items.len(), "minItems", "maxItems", "items", &mut fail);
        if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            for (i, a) in items.iter().enumerate() {
                if let Some(j) = items[..i].iter().position(|b| json_equal(a, b)) {
                    fail(format!(
                        "items {j} and {i} are equal, but `uniqueItems` is set"
                    ));
                }
            }
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &at.index(i), depth + 1, out);
            }
        }
    }

    /// An object against `minProperties`, `maxProperties`, `required` (a required `readOnly` property is
    /// excused in a request), `properties` and `additionalProperties`.
    fn check_object(
        &self,
        s: &'s serde_json::Map<String, Value>,
        members: &serde_json::Map<String, Value>,
        instance: &Value,
        at: &str,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let mut fail = |message: String| out.push(violation(at, message));
        check_count(
            s,
            members.len(),
            "minProperties",
            "maxProperties",
            "properties",
            &mut fail,
        );
        let properties = s.get("properties").and_then(Value::as_object);
        for name in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            // OpenAPI: a required `readOnly` property is required in answers only.
            let excused = self.request && self.read_only_where_defined(s, name, instance, depth);
            if !members.contains_key(name) && !excused {
                fail(format!("the required property `{name}` is missing"));
            }
        }
        let additional = s.get("additionalProperties");
        for (name, value) in members {
            let member_at = at.member(name);
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.check(property, value, &member_at, depth + 1, out),
                None => match additional {
                    Some(Value::Bool(false)) => out.push(Violation {
                        pointer: member_at,
                        message:
                            "this property is not declared and `additionalProperties` is false"
                                .to_owned(),
                    }),
                    Some(extra @ Value::Object(_)) => {
                        self.check(extra, value, &member_at, depth + 1, out)
                    }
                    _ => {}
                },
            }
        }
    }

    /// `allOf` (every member), `oneOf` (exactly one), `anyOf` (at least one) and `not`.
    fn check_composition(
        &self,
        s: &'s serde_json::Map<String, Value>,
        instance: &Value,
        at: &str,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        for member in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(member, instance, at, depth + 1, out);
        }
        for keyword in ["oneOf", "anyOf"] {
            let Some(members) = s.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let mut first_failures = Vec::new();
            let mut matching = Vec::new();
            for (i, member) in members.iter().enumerate() {
                let mut violations = Vec::new();
                self.check(member, instance, at, depth + 1, &mut violations);
                if violations.is_empty() && self.as_generated {
                    self.check_described_elsewhere(
                        members,
                        i,
                        instance,
                        at,
                        depth,
                        &mut violations,
                    );
                }
                match violations.first() {
                    None => matching.push(i),
                    Some(v) if v.pointer == at => {
                        first_failures.push(format!("#{i}: {}", v.message))
                    }
                    Some(v) => first_failures.push(format!("#{i}: {}: {}", v.pointer, v.message)),
                }
            }
            if matching.is_empty() {
                out.push(Violation {
                    pointer: at.to_owned(),
                    message: format!(
                        "matches none of the {} `{keyword}` members ({})",
                        members.len(),
                        first_failures.join("; ")
                    ),
                });
            } else if keyword == "oneOf" && matching.len() > 1 {
                let list: Vec<String> = matching.iter().map(|i| format!("#{i}")).collect();
                out.push(Violation {
                    pointer: at.to_owned(),
                    message: format!(
                        "matches {} `oneOf` members ({}), but exactly one must match",
                        matching.len(),
                        list.join(", ")
                    ),
                });
            }
        }
        if let Some(not) = s.get("not") {
            let mut violations = Vec::new();
            self.check(not, instance, at, depth + 1, &mut violations);
            if violations.is_empty() {
                out.push(Violation {
                    pointer: at.to_owned(),
                    message: "matches the schema under `not`".to_owned(),
                });
            }
        }
    }

    /// As the generator types a union of objects it cannot tell apart (one struct, each property typed by
    /// the members that describe it): a property of `instance` that member `own` leaves undescribed (so
    /// JSON Schema lets any value through it) must meet another member's description of it.
    fn check_described_elsewhere(
        &self,
        members: &'s [Value],
        own: usize,
        instance: &Value,
        at: &str,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let Value::Object(fields) = instance else {
            return;
        };
        for (name, value) in fields {
            if !self.descriptions(&members[own], name, depth).is_empty() {
                continue;
            }
            let elsewhere: Vec<&'s Value> = members
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != own)
                .flat_map(|(_, member)| self.descriptions(member, name, depth))
                .collect();
            let mut first = Vec::new();
            for (i, description) in elsewhere.iter().enumerate() {
                let mut violations = Vec::new();
                self.check(
                    description,
                    value,
                    &at.member(name),
                    depth + 1,
                    &mut violations,
                );
                if violations.is_empty() {
                    first.clear();
                    break;
                }
                if i == 0 {
                    first = violations;
                }
            }
            out.extend(first.into_iter().map(|v| Violation {
                message: format!(
                    "{} (as the members that describe `{name}` say; the one this answer meets leaves it undescribed)",
                    v.message
                ),
                ..v
            }));
        }
    }

    /// The schemas of property `name` that `schema` describes: in its `properties` or an `allOf` member's,
    /// through `$ref`s.
    fn descriptions(&self, schema: &'s Value, name: &str, depth: usize) -> Vec<&'s Value> {
        let Ok(schema) = self.resolve(schema) else {
            return Vec::new();
        };
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        let mut found: Vec<&'s Value> = schema
            .get("properties")
            .and_then(|p| p.get(name))
            .into_iter()
            .collect();
        for member in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            found.extend(self.descriptions(member, name, depth + 1));
        }
        found
    }

    fn check_string(
        &self,
        s: &serde_json::Map<String, Value>,
        text: &str,
        fail: &mut impl FnMut(String),
    ) {
        // JSON Schema counts lengths in Unicode scalar values, not bytes.
        check_count(
            s,
            text.chars().count(),
            "minLength",
            "maxLength",
            "characters",
            fail,
        );
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            let mut cache = self.patterns.borrow_mut();
            let compiled = cache
                .entry(pattern.to_owned())
                .or_insert_with(|| Regex::new(pattern).ok());
            if let Some(regex) = compiled {
                if !regex.is_match(text) {
                    fail(format!(
                        "{} does not match the pattern `{pattern}`",
                        short(&Value::String(text.to_owned()))
                    ));
                }
            }
        }
        if s.get("format").and_then(Value::as_str) == Some("date-time") && !is_date_time(text) {
            fail(format!(
                "{} is not an RFC 3339 date-time (`format: date-time`)",
                short(&Value::String(text.to_owned()))
            ));
        }
    }
}

/// Why `instance` is not of the `type` the schema names (a string, or a list as in 3.1), if it is not.
fn type_mismatch(expected: &Value, instance: &Value) -> Option<String> {
    let names: Vec<&str> = match expected {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    // A `type` this validator does not know (`file`, say) constrains nothing here.
    let known = [
        "string", "number", "integer", "boolean", "array", "object", "null",
    ];
    if names.is_empty() || names.iter().any(|n| !known.contains(n)) {
        return None;
    }
    if names.iter().any(|n| has_type(n, instance)) {
        return None;
    }
    Some(format!(
        "expected {}, found {}",
        names.join(" or "),
        kind(instance)
    ))
}

fn has_type(name: &str, instance: &Value) -> bool {
    match name {
        "string" => instance.is_string(),
        "number" => instance.is_number(),
        // An integer is a number without a fractional part, however it is written (`1.0` included).
        "integer" => match instance {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        "boolean" => instance.is_boolean(),
        "array" => instance.is_array(),
        "object" => instance.is_object(),
        "null" => instance.is_null(),
        _ => true,
    }
}

/// The JSON type of a value, as `type` would name it.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_number(s: &serde_json::Map<String, Value>, n: f64, fail: &mut impl FnMut(String)) {
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    // 3.0: `exclusiveMinimum: true` turns `minimum` exclusive; 3.1: `exclusiveMinimum` is the bound itself.
    let exclusive = |key: &str| s.get(key).and_then(Value::as_bool) == Some(true);
    if let Some(min) = bound("minimum") {
        if exclusive("exclusiveMinimum") && n <= min {
            fail(format!(
                "{n} is not greater than the exclusive minimum {min}"
            ));
        } else if n < min {
            fail(format!("{n} is less than the minimum {min}"));
        }
    }
    if let Some(max) = bound("maximum") {
        if exclusive("exclusiveMaximum") && n >= max {
            fail(format!("{n} is not less than the exclusive maximum {max}"));
        } else if n > max {
            fail(format!("{n} is greater than the maximum {max}"));
        }
    }
    if let Some(min) = bound("exclusiveMinimum") {
        if n <= min {
            fail(format!(
                "{n} is not greater than the exclusive minimum {min}"
            ));
        }
    }
    if let Some(max) = bound("exclusiveMaximum") {
        if n >= max {
            fail(format!("{n} is not less than the exclusive maximum {max}"));
        }
    }
}

/// `minX`/`maxX` on a count (`what` names the counted things in the message).
fn check_count(
    s: &serde_json::Map<String, Value>,
    count: usize,
    min_key: &str,
    max_key: &str,
    what: &str,
    fail: &mut impl FnMut(String),
) {
    let count = count as u64;
    if let Some(min) = s.get(min_key).and_then(Value::as_u64) {
        if count < min {
            fail(format!("{count} {what}, fewer than `{min_key}: {min}`"));
        }
    }
    if let Some(max) = s.get(max_key).and_then(Value::as_u64) {
        if count > max {
            fail(format!("{count} {what}, more than `{max_key}: {max}`"));
        }
    }
}

/// RFC 3339 `date-time`: `2020-01-01T08:00:00Z`, with optional fraction and a `Z` or `+hh:mm` offset.
fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|d| d.len() == range.len() && d.iter().all(u8::is_ascii_digit))
    };
    let number = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    };
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape
        || !(1..=12).contains(&number(5..7))
        || !(1..=31).contains(&number(8..10))
        || number(11..13) > 23
        || number(14..16) > 59
        || number(17..19) > 60
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && digits(i + 1..i + 3)
                && b.get(i + 3) == Some(&b':')
                && digits(i + 4..i + 6)
                && number(i + 1..i + 3) <= 23
                && number(i + 4..i + 6) <= 59
        }
        _ => false,
    }
}

/// JSON equality with numbers compared by value (`1`, `1.0` and `1e0` are the same number).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || ((x.is_f64() || y.is_f64()) && x.as_f64() == y.as_f64())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A value for a message, cut short when long.
pub fn short(value: &Value) -> String {
    const MAX: usize = 80;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests;

/// A violation at `at`.
fn violation(at: &str, message: String) -> Violation {
    Violation {
        pointer: at.to_owned(),
        message,
    }
}
