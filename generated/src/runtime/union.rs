//! Helpers for the hand-rolled `Deserialize` of `oneOf` unions: read the discriminating property, then decode
//! the chosen variant with an error that names it.

/// The string value of `property` when `value` is an object that has it; `None` otherwise.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn union_tag<'v>(value: &'v serde_json::Value, property: &str) -> Option<&'v str> {
    value.as_object()?.get(property)?.as_str()
}

/// Decodes `value` as variant `T`; a failure becomes `E::custom("<union>::<variant>: <serde error>")` so the
/// caller sees which variant the tag selected.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn decode_variant<T, E>(
    value: serde_json::Value,
    union: &str,
    variant: &str,
) -> std::result::Result<T, E>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::Error,
{
    serde_json::from_value(value).map_err(|err| E::custom(format!("{union}::{variant}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn union_tag_reads_string_property_of_objects_only() {
        let value = json!({"status": "pending", "count": 3});
        assert_eq!(union_tag(&value, "status"), Some("pending"));
        assert_eq!(union_tag(&value, "count"), None);
        assert_eq!(union_tag(&value, "missing"), None);
        assert_eq!(union_tag(&json!(["status"]), "status"), None);
        assert_eq!(union_tag(&json!("status"), "status"), None);
        assert_eq!(union_tag(&json!(null), "status"), None);
        assert_eq!(union_tag(&json!({"status": null}), "status"), None);
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Variant {
        id: String,
    }

    #[test]
    fn decode_variant_names_union_and_variant_on_failure() {
        let ok: std::result::Result<Variant, serde_json::Error> =
            decode_variant(json!({"id": "x"}), "Response", "Completed");
        assert_eq!(ok.unwrap(), Variant { id: "x".to_owned() });

        let err: std::result::Result<Variant, serde_json::Error> =
            decode_variant(json!({"id": 5}), "Response", "Completed");
        let message = err.unwrap_err().to_string();
        assert!(
            message.starts_with("Response::Completed: invalid type"),
            "{message}"
        );
    }
}
