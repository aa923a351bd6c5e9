use super::*;
use serde_json::json;

fn undeclared_in(schemas: Value, instance: Value) -> Vec<String> {
    let spec = json!({ "components": { "schemas": schemas } });
    let validator = Validator::new(&spec);
    let Some(target) = spec.pointer("/components/schemas/S") else {
        panic!("the test spec has no S");
    };
    undeclared(&validator, target, &instance)
}

#[test]
fn members_no_schema_declares_unless_extras_are_forbidden() {
    let schemas = json!({
        "S": {"type": "object", "properties": {
            "inner": {"type": "object", "properties": {"a": {}}},
            "closed": {"type": "object", "properties": {"a": {}}, "additionalProperties": false},
            "list": {"type": "array", "items": {"properties": {"a": {}}}}
        }}
    });
    let found = undeclared_in(
        schemas,
        json!({
            "extra": {"deep": 1},
            "inner": {"a": 1, "b/c": 2},
            "closed": {"a": 1, "b": 2},
            "list": [{"a": 1}, {"z": 1}]
        }),
    );
    assert_eq!(found, ["/extra", "/inner/b~1c", "/list/1/z"]);
}

#[test]
fn all_of_members_and_refs_declare_together() {
    let schemas = json!({
        "Envelope": {"properties": {"success": {}, "result": {"type": "object"}}},
        "S": {"allOf": [
            {"$ref": "#/components/schemas/Envelope"},
            {"properties": {"result": {"properties": {"id": {}}}}}
        ]}
    });
    let found = undeclared_in(
        schemas,
        json!({"success": true, "result": {"id": 1, "more": 2}, "other": 3}),
    );
    assert_eq!(found, ["/result/more", "/other"]);
}

#[test]
fn unions_use_the_members_that_match() {
    let schemas = json!({
        "S": {"oneOf": [
            {"required": ["cat"], "properties": {"cat": {}, "purrs": {}}},
            {"required": ["dog"], "properties": {"dog": {}, "barks": {}}}
        ]}
    });
    assert_eq!(
        undeclared_in(schemas, json!({"dog": 1, "barks": true, "purrs": true})),
        ["/purrs"]
    );
}

#[test]
fn map_values_are_walked() {
    let schemas = json!({
        "S": {"additionalProperties": {"properties": {"a": {}}}}
    });
    assert_eq!(
        undeclared_in(schemas, json!({"k": {"a": 1, "b": 2}})),
        ["/k", "/k/b"]
    );
}
