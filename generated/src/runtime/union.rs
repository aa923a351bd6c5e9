//! Helpers for the hand-rolled `Deserialize` of `oneOf` unions: read the discriminating property, then decode
//! the chosen variant with an error that names it.
//!
//! Unions told apart by a tag or by which property is present keep the value as its raw JSON text
//! (`Box<RawValue>`: one copy of the bytes), read only the deciding keys of it, then decode the chosen variant
//! straight from the text: no `serde_json::Value` tree is built. Unions told apart by the kind of value, and
//! unions that serde hands a buffered value (inside a `#[serde(flatten)]` map, where raw text is not to be
//! had), go through a `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

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

/// The string value of `property` when `raw` is an object that has it; `None` otherwise. Like [`union_tag`],
/// but reads the raw text: other properties are skipped, not built.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn raw_union_tag<'r>(raw: &'r RawValue, property: &str) -> Option<Cow<'r, str>> {
    let mut found = None;
    scan_object(raw, |key, value| {
        if key == property {
            found = json_str(value);
        }
    });
    found
}

/// The index of the one key of `markers` that `raw` (an object) has with a non-null value; `None` when it has
/// none of them, more than one, or is not an object. Like [`union_marker`], on the raw text.
#[allow(dead_code)] // a spec without such unions never calls it
pub(crate) fn raw_union_marker(raw: &RawValue, markers: &[&str]) -> Option<usize> {
    let (mut found, mut ambiguous) = (None, false);
    let complete = scan_object(raw, |key, value| {
        if let Some(index) = markers.iter().position(|m| *m == key) {
            if value.get() != "null" {
                ambiguous |= found.is_some_and(|f| f != index);
                found = Some(index);
            }
        }
    });
    found.filter(|_| complete && !ambiguous)
}

/// Decodes `raw` as variant `T`, naming union and variant on failure like [`decode_variant`].
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn decode_raw_variant<T, E>(
    raw: &RawValue,
    union: &str,
    variant: &str,
) -> std::result::Result<T, E>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::Error,
{
    serde_json::from_str(raw.get()).map_err(|err| E::custom(format!("{union}::{variant}: {err}")))
}

/// The raw text as a `serde_json::Value`, for `Unknown`.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn raw_to_value<E: serde::de::Error>(
    raw: &RawValue,
) -> std::result::Result<serde_json::Value, E> {
    serde_json::from_str(raw.get()).map_err(E::custom)
}

/// The text of a JSON string value, unescaped; `None` for any other value.
fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Calls `each(key, value)` for every property of `raw` in order, the value left as raw text. Returns whether
/// `raw` was an object (a value that is not an object calls nothing and returns false).
fn scan_object<'r>(raw: &'r RawValue, each: impl FnMut(&str, &'r RawValue)) -> bool {
    struct Scan<F>(F);
    impl<'de, F: FnMut(&str, &'de RawValue)> Visitor<'de> for Scan<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let value: &'de RawValue = map.next_value()?;
                (self.0)(&key.0, value);
            }
            Ok(())
        }
    }
    impl<'de, F: FnMut(&str, &'de RawValue)> DeserializeSeed<'de> for Scan<F> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    if !raw.get().starts_with('{') {
        return false;
    }
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    Scan(each).deserialize(&mut deserializer).is_ok()
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
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

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn raw_union_tag_agrees_with_union_tag() {
        for text in [
            r#"{"status": "pending", "count": 3}"#,
            r#"{"count": 3, "status": "completed"}"#,
            r#"{"status": "run\u006eing"}"#,
            r#"{"st\u0061tus": "failed"}"#,
            r#"{"status": 3}"#,
            r#"{"status": null}"#,
            r#"{"status": {"status": "pending"}}"#,
            r#"{"nested": {"status": "pending"}}"#,
            r#"["status"]"#,
            r#""status""#,
            "null",
            "{}",
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw_union_tag(&raw(text), "status").as_deref(),
                union_tag(&value, "status"),
                "{text}"
            );
        }
    }

    #[test]
    fn raw_union_marker_agrees_with_union_marker() {
        let markers = ["ip", "hostname", "asn"];
        for text in [
            r#"{"id": "x", "ip": "1.1.1.1"}"#,
            r#"{"asn": 13335, "ip": null}"#,
            r#"{"ip": "1.1.1.1", "asn": 1}"#,
            r#"{"comment": "none"}"#,
            r#"{"hostname": {"ip": "1.1.1.1"}}"#,
            r#"["ip"]"#,
            r#""ip""#,
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw_union_marker(&raw(text), &markers),
                union_marker(&value, &markers),
                "{text}"
            );
        }
    }

    #[test]
    fn decode_raw_variant_names_union_and_variant_on_failure() {
        let ok: std::result::Result<Variant, serde_json::Error> =
            decode_raw_variant(&raw(r#"{"id": "x"}"#), "Response", "Completed");
        assert_eq!(ok.unwrap(), Variant { id: "x".to_owned() });
        let err: std::result::Result<Variant, serde_json::Error> =
            decode_raw_variant(&raw(r#"{"id": 5}"#), "Response", "Completed");
        let message = err.unwrap_err().to_string();
        assert!(
            message.starts_with("Response::Completed: invalid type"),
            "{message}"
        );
    }
}
