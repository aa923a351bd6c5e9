//! Helpers for the hand-rolled `Deserialize` of `oneOf` unions: read the discriminating property, then decode
//! the chosen variant with an error that names it.

/// The string value of `property` when `value` is an object that has it; `None` otherwise.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn union_tag<'v>(value: &'v serde_json::Value, property: &str) -> Option<&'v str> {
    value.as_object()?.get(property)?.as_str()
}

/// The index of the one key of `markers` that `value` (an object) has with a non-null value; `None` when it
/// has none of them, more than one, or is not an object. For unions decided by which property is present.
#[allow(dead_code)] // a spec without such unions never calls it
pub(crate) fn union_marker(value: &serde_json::Value, markers: &[&str]) -> Option<usize> {
    let object = value.as_object()?;
    let mut present = markers
        .iter()
        .enumerate()
        .filter(|(_, key)| object.get(**key).is_some_and(|v| !v.is_null()))
        .map(|(index, _)| index);
    let first = present.next()?;
    present.next().is_none().then_some(first)
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
    fn union_marker_needs_exactly_one_present_marker() {
        let markers = ["ip", "hostname", "asn"];
        assert_eq!(
            union_marker(&json!({"id": "x", "ip": "1.1.1.1"}), &markers),
            Some(0)
        );
        assert_eq!(
            union_marker(&json!({"asn": 13335, "ip": null}), &markers),
            Some(2)
        );
        assert_eq!(
            union_marker(&json!({"ip": "1.1.1.1", "asn": 1}), &markers),
            None
        );
        assert_eq!(union_marker(&json!({"comment": "none"}), &markers), None);
        assert_eq!(union_marker(&json!(["ip"]), &markers), None);
        assert_eq!(union_marker(&json!("ip"), &markers), None);
    }

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
