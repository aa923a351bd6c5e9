use super::*;
use serde_json::json;

/// Violations of `schema` (placed at `#/components/schemas/S` of a spec that also holds `others`) by
/// `instance`, as `pointer: message` lines.
fn violations(schema: Value, others: Value, instance: Value) -> Vec<String> {
    let mut schemas = others.as_object().cloned().unwrap_or_default();
    schemas.insert("S".to_owned(), schema);
    let spec = json!({ "components": { "schemas": schemas } });
    let validator = Validator::new(&spec);
    let Some(target) = spec.pointer("/components/schemas/S") else {
        panic!("the test spec has no S");
    };
    validator
        .validate(target, &instance)
        .iter()
        .map(|v| format!("{}: {}", v.pointer, v.message))
        .collect()
}

fn check(schema: Value, instance: Value) -> Vec<String> {
    violations(schema, json!({}), instance)
}

fn assert_one(found: &[String], pointer: &str, needle: &str) {
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with(&format!("{pointer}: ")) && found[0].contains(needle),
        "expected `{pointer}: ...{needle}...`, got {found:#?}"
    );
}

#[test]
fn types() {
    for (ty, good, bad) in [
        ("string", json!("a"), json!(1)),
        ("number", json!(1.5), json!("1")),
        ("integer", json!(-3), json!(1.5)),
        ("boolean", json!(true), json!(0)),
        ("array", json!([]), json!({})),
        ("object", json!({}), json!([])),
    ] {
        assert!(check(json!({"type": ty}), good).is_empty(), "{ty}");
        assert_one(
            &check(json!({"type": ty}), bad),
            "",
            &format!("expected {ty}"),
        );
    }
    assert!(
        check(json!({"type": "integer"}), json!(2.0)).is_empty(),
        "2.0 has no fractional part"
    );
    assert!(
        check(json!({"type": "number"}), json!(2)).is_empty(),
        "an integer is a number"
    );
    assert!(
        check(json!({}), json!({"anything": [1]})).is_empty(),
        "no `type`: anything"
    );
    assert!(check(json!({"type": ["string", "null"]}), json!(null)).is_empty());
}

#[test]
fn null_needs_nullable_or_an_enum_with_null() {
    assert_one(
        &check(json!({"type": "string"}), json!(null)),
        "",
        "nullable",
    );
    assert!(check(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
    assert!(check(json!({"type": "object", "enum": [null]}), json!(null)).is_empty());
    assert!(check(json!({}), json!(null)).is_empty());
    assert_one(
        &check(json!({"type": "object", "enum": [null]}), json!({})),
        "",
        "not one of the allowed values [null]",
    );
}

#[test]
fn enums_compare_numbers_by_value() {
    let schema = json!({"enum": ["a", 1, {"k": [true]}]});
    assert!(check(schema.clone(), json!("a")).is_empty());
    assert!(check(schema.clone(), json!(1.0)).is_empty());
    assert!(check(schema.clone(), json!({"k": [true]})).is_empty());
    assert_one(&check(schema, json!("b")), "", "\"b\" is not one of");
}

#[test]
fn objects_required_properties_and_extras() {
    let schema = json!({
        "type": "object",
        "required": ["id", "size"],
        "properties": {"id": {"type": "string"}, "size": {"type": "integer"}, "a/b": {"type": "string"}}
    });
    assert!(check(schema.clone(), json!({"id": "x", "size": 1, "extra": 1})).is_empty());
    assert_one(
        &check(schema.clone(), json!({"id": "x"})),
        "",
        "required property `size` is missing",
    );
    assert_one(
        &check(schema.clone(), json!({"id": "x", "size": "big"})),
        "/size",
        "expected integer, found string",
    );
    assert_one(
        &check(schema, json!({"id": "x", "size": 1, "a/b": 2})),
        "/a~1b",
        "expected string",
    );

    let closed = json!({"type": "object", "properties": {"id": {}}, "additionalProperties": false});
    assert_one(
        &check(closed, json!({"id": 1, "x": 2})),
        "/x",
        "`additionalProperties` is false",
    );
    let map = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert!(check(map.clone(), json!({"a": 1, "b": 2})).is_empty());
    assert_one(
        &check(map, json!({"a": 1, "b": "2"})),
        "/b",
        "expected integer",
    );
    assert_one(
        &check(
            json!({"minProperties": 1, "maxProperties": 1}),
            json!({"a": 1, "b": 2}),
        ),
        "",
        "more than `maxProperties: 1`",
    );
}

#[test]
fn arrays_items_counts_and_uniqueness() {
    let schema =
        json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2});
    assert!(check(schema.clone(), json!(["a", "b"])).is_empty());
    assert_one(
        &check(schema.clone(), json!([])),
        "",
        "fewer than `minItems: 1`",
    );
    assert_one(
        &check(schema.clone(), json!(["a", "b", "c"])),
        "",
        "more than `maxItems: 2`",
    );
    assert_one(&check(schema, json!(["a", 3])), "/1", "expected string");
    assert_one(
        &check(json!({"uniqueItems": true}), json!([1, 2, 1.0])),
        "",
        "items 0 and 2 are equal",
    );
}

#[test]
fn strings_lengths_patterns_and_date_times() {
    let schema = json!({"type": "string", "minLength": 2, "maxLength": 3});
    assert!(
        check(schema.clone(), json!("éé")).is_empty(),
        "lengths count characters, not bytes"
    );
    assert_one(
        &check(schema.clone(), json!("a")),
        "",
        "fewer than `minLength: 2`",
    );
    assert_one(
        &check(schema, json!("abcd")),
        "",
        "more than `maxLength: 3`",
    );

    let pattern = json!({"type": "string", "pattern": "^[0-9a-f]{4}$"});
    assert!(check(pattern.clone(), json!("00ff")).is_empty());
    assert_one(
        &check(pattern, json!("xyz")),
        "",
        "does not match the pattern",
    );
    assert!(
        check(json!({"pattern": "b"}), json!("abc")).is_empty(),
        "patterns are not anchored"
    );
    assert!(
        check(json!({"pattern": "(?<=a)b"}), json!("xyz")).is_empty(),
        "a pattern Rust's regex cannot read is not checked"
    );

    let date_time = json!({"type": "string", "format": "date-time"});
    for good in [
        "2020-01-01T08:00:00Z",
        "2014-01-01T05:20:00.12345Z",
        "2020-01-01t08:00:00+05:30",
    ] {
        assert!(check(date_time.clone(), json!(good)).is_empty(), "{good}");
    }
    for bad in [
        "2020-01-01",
        "2020-13-01T08:00:00Z",
        "2020-01-01T08:00:00",
        "2020-01-01T08:00:00.Z",
        "2020-01-01T08:00:00+0530",
        "yesterday",
    ] {
        assert_one(&check(date_time.clone(), json!(bad)), "", "RFC 3339");
    }
}

#[test]
fn number_bounds_in_both_dialects() {
    let schema = json!({"minimum": 1, "maximum": 10});
    assert!(check(schema.clone(), json!(1)).is_empty());
    assert!(check(schema.clone(), json!(10)).is_empty());
    assert_one(
        &check(schema.clone(), json!(0)),
        "",
        "less than the minimum 1",
    );
    assert_one(
        &check(schema, json!(10.5)),
        "",
        "greater than the maximum 10",
    );
    let exclusive_30 =
        json!({"minimum": 1, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true});
    assert_one(
        &check(exclusive_30.clone(), json!(1)),
        "",
        "exclusive minimum 1",
    );
    assert_one(&check(exclusive_30, json!(10)), "", "exclusive maximum 10");
    let exclusive_31 = json!({"exclusiveMinimum": 1, "exclusiveMaximum": 10});
    assert!(check(exclusive_31.clone(), json!(5)).is_empty());
    assert_one(&check(exclusive_31, json!(1)), "", "exclusive minimum 1");
}

#[test]
fn refs_and_compositions() {
    let others = json!({
        "Id": {"type": "string", "minLength": 2},
        "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["cat"]}}},
        "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["dog"]}}},
        "Loop": {"$ref": "#/components/schemas/Loop"}
    });
    let with_ref =
        json!({"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"}}});
    assert_one(
        &violations(with_ref, others.clone(), json!({"id": "x"})),
        "/id",
        "fewer than `minLength: 2`",
    );
    assert_one(
        &violations(
            json!({"$ref": "#/components/schemas/Nope"}),
            others.clone(),
            json!(1),
        ),
        "",
        "does not resolve",
    );
    assert_one(
        &violations(
            json!({"$ref": "#/components/schemas/Loop"}),
            others.clone(),
            json!(1),
        ),
        "",
        "a cycle?",
    );
    assert_one(
        &violations(json!({"$ref": "other.yaml#/x"}), others.clone(), json!(1)),
        "",
        "not a local reference",
    );

    let all_of = json!({"allOf": [{"$ref": "#/components/schemas/Cat"}, {"properties": {"age": {"type": "integer"}}}]});
    assert!(violations(
        all_of.clone(),
        others.clone(),
        json!({"kind": "cat", "age": 3})
    )
    .is_empty());
    let found = violations(all_of, others.clone(), json!({"kind": "dog", "age": "3"}));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().any(|f| f.starts_with("/kind: ")), "{found:#?}");
    assert!(found.iter().any(|f| f.starts_with("/age: ")), "{found:#?}");

    let one_of = json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]});
    assert!(violations(one_of.clone(), others.clone(), json!({"kind": "dog"})).is_empty());
    assert_one(
        &violations(one_of, others.clone(), json!({"kind": "cow"})),
        "",
        "matches none of the 2 `oneOf` members (#0: /kind: ",
    );
    let ambiguous = json!({"oneOf": [{"type": "object"}, {"$ref": "#/components/schemas/Dog"}]});
    assert_one(
        &violations(ambiguous, others.clone(), json!({"kind": "dog"})),
        "",
        "matches 2 `oneOf` members (#0, #1), but exactly one must match",
    );
    let any_of = json!({"anyOf": [{"type": "object"}, {"$ref": "#/components/schemas/Dog"}]});
    assert!(violations(any_of.clone(), others.clone(), json!({"kind": "dog"})).is_empty());
    assert_one(
        &violations(any_of, others, json!(7)),
        "",
        "matches none of the 2 `anyOf` members",
    );
    assert_one(
        &check(json!({"not": {"type": "string"}}), json!("s")),
        "",
        "under `not`",
    );
}

#[test]
fn nesting_too_deep_is_reported_not_overflowed() {
    let spec =
        json!({"components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}]}}}});
    let validator = Validator::new(&spec);
    let Some(a) = spec.pointer("/components/schemas/A") else {
        panic!("no A");
    };
    let found = validator.validate(a, &json!({}));
    assert!(
        found.iter().any(|v| v.message.contains("deeper than")),
        "{found:?}"
    );
}

#[test]
fn json_equality_and_pointers() {
    assert!(json_equal(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
    assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    assert!(!json_equal(&json!(1), &json!("1")));
    assert_eq!(kind(&json!(1)), "integer");
    assert_eq!(kind(&json!(1.5)), "number");
    assert!(short(&json!("x".repeat(200))).ends_with("..."));
}

#[test]
fn properties_without_type_take_any_value_unless_read_as_generated() {
    let schema = json!({ "properties": { "id": { "type": "string" } } });
    let nullable = json!({ "properties": { "id": { "type": "string" } }, "nullable": true });
    let spec = json!({ "components": { "schemas": { "S": schema, "N": nullable } } });
    let (s, n) = (
        &spec["components"]["schemas"]["S"],
        &spec["components"]["schemas"]["N"],
    );
    let literal = Validator::new(&spec);
    let generated = Validator::as_generated(&spec);
    for other in [json!("text"), json!(null), json!(1)] {
        assert!(literal.is_valid(s, &other), "{other}");
        let found = generated.validate(s, &other);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("describe an object"), "{found:?}");
    }
    assert!(generated.is_valid(s, &json!({ "id": "a" })));
    assert!(!generated.is_valid(s, &json!({ "id": 1 })));
    assert!(generated.is_valid(n, &json!(null)));
}

#[test]
fn required_read_only_properties_may_be_left_out_of_requests_only() {
    let spec = json!({ "components": { "schemas": {
        "Id": { "type": "string", "readOnly": true },
        "S": {
            "type": "object",
            "properties": {
                "id": { "$ref": "#/components/schemas/Id" },
                "version": { "allOf": [{ "type": "string" }, { "readOnly": true }] },
                "name": { "type": "string" }
            },
            "required": ["id", "version", "name"]
        }
    } } });
    let s = &spec["components"]["schemas"]["S"];
    let request = Validator::for_requests(&spec);
    assert!(request.is_valid(s, &json!({ "name": "a" })));
    let found = request.validate(s, &json!({ "id": "x" }));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("`name`"), "{found:?}");
    assert_eq!(
        Validator::new(&spec)
            .validate(s, &json!({ "name": "a" }))
            .len(),
        2
    );
}

/// `required` beside a `oneOf` names properties the members define (Cloudflare's DNS record): one the
/// member the body meets defines `readOnly` may be left out of a request, one it defines writable may not.
#[test]
fn required_beside_a_union_is_read_only_where_the_matching_member_says_so() {
    let spec = json!({ "components": { "schemas": {
        "Base": { "properties": {
            "id": { "allOf": [{ "type": "string" }, { "readOnly": true }] },
            "created_on": { "type": "string", "readOnly": true }
        } },
        "A": { "allOf": [
            { "properties": {
                "type": { "type": "string", "enum": ["A"] },
                "content": { "type": "string" }
            } },
            { "$ref": "#/components/schemas/Base" }
        ], "required": ["type"] },
        "CAA": { "allOf": [
            { "properties": {
                "type": { "type": "string", "enum": ["CAA"] },
                "content": { "type": "string", "readOnly": true },
                "data": { "type": "object" }
            } },
            { "$ref": "#/components/schemas/Base" }
        ], "required": ["type", "data"] },
        "Record": {
            "type": "object",
            "oneOf": [{ "$ref": "#/components/schemas/A" }, { "$ref": "#/components/schemas/CAA" }],
            "required": ["id", "type", "content", "created_on"]
        }
    } } });
    let record = &spec["components"]["schemas"]["Record"];
    let request = Validator::for_requests(&spec);
    assert!(request.is_valid(record, &json!({ "type": "A", "content": "198.51.100.4" })));
    assert!(request.is_valid(record, &json!({ "type": "CAA", "data": {} })));
    // An A record's `content` is writable: a request must send it.
    let found = request.validate(record, &json!({ "type": "A" }));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("`content`"), "{found:?}");
    // In an answer every required property is there.
    let answer = Validator::new(&spec).validate(record, &json!({ "type": "CAA", "data": {} }));
    assert_eq!(answer.len(), 3, "{answer:?}");
}

/// An `anyOf` of objects the generator cannot tell apart is one struct whose properties are typed by the
/// members that describe them (API Shield's operations: a full operation, or a basic one that says nothing
/// of `last_updated`). JSON Schema lets a bad `last_updated` through the basic member; read as generated,
/// it must meet the full member's `date-time`.
#[test]
fn a_property_one_member_leaves_undescribed_meets_another_members_description_as_generated() {
    let spec = json!({ "components": { "schemas": {
        "Basic": { "type": "object", "properties": { "host": { "type": "string" } }, "required": ["host"] },
        "Full": { "allOf": [
            { "$ref": "#/components/schemas/Basic" },
            { "properties": { "last_updated": { "type": "string", "format": "date-time" } } }
        ] },
        "Operation": { "anyOf": [
            { "$ref": "#/components/schemas/Full" },
            { "$ref": "#/components/schemas/Basic" }
        ] }
    } } });
    let operation = &spec["components"]["schemas"]["Operation"];
    let bad = json!({ "host": "example.com", "last_updated": "string" });
    assert!(Validator::new(&spec).is_valid(operation, &bad));
    let found = Validator::as_generated(&spec).validate(operation, &bad);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("#1: /last_updated:"), "{found:?}");
    assert!(
        found[0].message.contains("leaves it undescribed"),
        "{found:?}"
    );
    let good = json!({ "host": "example.com", "last_updated": "2014-01-01T05:20:00.12345Z" });
    assert!(Validator::as_generated(&spec).is_valid(operation, &good));
    // Keys no member describes stay free.
    let other = json!({ "host": "example.com", "note": 1 });
    assert!(Validator::as_generated(&spec).is_valid(operation, &other));
}
