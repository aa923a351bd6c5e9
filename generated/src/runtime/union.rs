//! Helpers for the hand-rolled `Deserialize` of `oneOf` unions: read the discriminating property, then decode
//! the chosen variant with an error that names it.
//!
//! Unions told apart by a tag or by which property is present read the object once into its properties
//! ([`RawObject`]: keys decoded, values kept as raw JSON text, borrowed from the input when it can lend them),
//! find the deciding keys among the properties, then decode the chosen variant from them: each value is parsed
//! once after being skipped once, and no `serde_json::Value` tree is built. Unions told apart by the kind of
//! value, and unions that serde hands a buffered value (inside a `#[serde(flatten)]` map, where raw text is not
//! to be had), go through a `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

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

/// A union value read once: an object as its properties in order, each key decoded and each value kept as its
/// raw JSON text (borrowed from the input when the deserializer can lend it, which `serde_json::from_slice` /
/// `from_str` do); anything else as a `serde_json::Value`. The deciding keys are read from the properties, and
/// the chosen variant is decoded from them: each value is skipped once here and parsed once there, and keys are
/// parsed once. Duplicate keys are kept in order, as a JSON parser would see them.
#[allow(dead_code)] // a spec without discriminated unions never builds one
pub(crate) enum RawObject<'de> {
    Object(Vec<(Cow<'de, str>, Cow<'de, str>)>),
    Other(serde_json::Value),
}

/// Properties kept inline before the first allocation grows the list (most API objects have fewer).
const INLINE_PROPERTIES: usize = 8;

impl<'de> serde::Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawObjectVisitor)
    }
}

struct RawObjectVisitor;

impl<'de> Visitor<'de> for RawObjectVisitor {
    type Value = RawObject<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut properties = Vec::with_capacity(map.size_hint().unwrap_or(INLINE_PROPERTIES));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: RawText<'de> = map.next_value()?;
            properties.push((key.0, value.0));
        }
        Ok(RawObject::Object(properties))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
            .map(RawObject::Other)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(RawObject::Other(serde_json::Value::Null))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(RawObject::Other(v.into()))
    }
}

/// serde_json's name for its raw-value protocol (`serde_json::value::RawValue`'s own `Deserialize` asks for it):
/// the deserializer answers with a one-entry map whose value is the raw text, lent (`visit_borrowed_str`) when
/// the input is a slice or str, owned otherwise (a reader, a `serde_json::Value`).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// One value as its raw JSON text: like `&RawValue` when the input lends it, like `Box<RawValue>` otherwise.
struct RawText<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for RawText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any valid JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawText<'de>, A::Error> {
                match map.next_key::<RawToken>()? {
                    Some(RawToken) => map.next_value::<TextOf<'de>>().map(|t| RawText(t.0)),
                    None => Err(serde::de::Error::custom("expected a raw JSON value")),
                }
            }
        }
        d.deserialize_newtype_struct(RAW_VALUE_TOKEN, RawVisitor)
    }
}

/// The key of serde_json's raw-value map.
struct RawToken;

impl<'de> serde::Deserialize<'de> for RawToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TokenVisitor;
        impl Visitor<'_> for TokenVisitor {
            type Value = RawToken;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("raw value")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawToken, E> {
                // The length tells serde_json's token from an object's key well enough (only serde_json asks
                // for this map, and it always sends the token), without comparing 30 bytes per value.
                if s.len() == RAW_VALUE_TOKEN.len() {
                    Ok(RawToken)
                } else {
                    Err(E::custom("unexpected raw value"))
                }
            }
        }
        d.deserialize_identifier(TokenVisitor)
    }
}

/// A string, borrowed when lent.
struct TextOf<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for TextOf<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = TextOf<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("raw value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<TextOf<'de>, E> {
                Ok(TextOf(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<TextOf<'de>, E> {
                Ok(TextOf(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<TextOf<'de>, E> {
                Ok(TextOf(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

impl RawObject<'_> {
    /// The value written back as compact JSON text (keys re-quoted, values as they came): what the union held.
    fn to_json(&self) -> String {
        match self {
            RawObject::Object(properties) => {
                let length: usize = properties.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
                let mut text = String::with_capacity(length + 2);
                text.push('{');
                for (index, (key, value)) in properties.iter().enumerate() {
                    if index > 0 {
                        text.push(',');
                    }
                    // Writing a str as JSON cannot fail.
                    text.push_str(&serde_json::to_string(key.as_ref()).unwrap_or_default());
                    text.push(':');
                    text.push_str(value);
                }
                text.push('}');
                text
            }
            RawObject::Other(value) => value.to_string(),
        }
    }
}

/// The string value of `property` when `raw` is an object that has it (the last one when it comes twice);
/// `None` otherwise. Like [`union_tag`], on the properties read by [`RawObject`].
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn raw_union_tag<'r>(raw: &'r RawObject<'_>, property: &str) -> Option<Cow<'r, str>> {
    let RawObject::Object(properties) = raw else {
        return None;
    };
    let mut found = None;
    for (key, value) in properties {
        if key == property {
            found = json_str(value);
        }
    }
    found
}

/// The index of the one key of `markers` that `raw` (an object) has with a non-null value; `None` when it has
/// none of them, more than one, or is not an object. Like [`union_marker`], on the properties read by
/// [`RawObject`].
#[allow(dead_code)] // a spec without such unions never calls it
pub(crate) fn raw_union_marker(raw: &RawObject<'_>, markers: &[&str]) -> Option<usize> {
    let RawObject::Object(properties) = raw else {
        return None;
    };
    let (mut found, mut ambiguous) = (None, false);
    for (key, value) in properties {
        if let Some(index) = markers.iter().position(|m| *m == key) {
            if value.as_ref() != "null" {
                ambiguous |= found.is_some_and(|f| f != index);
                found = Some(index);
            }
        }
    }
    found.filter(|_| !ambiguous)
}

/// Decodes `raw` as variant `T`, naming union and variant on failure like [`decode_variant`]. The variant reads
/// the properties in order, each value parsed from its text. Should that fail, the object is written back as
/// text and decoded from it, which gives the error (with its position) that decoding the object from its text
/// gives (its position counted in the object written compactly), and the value in the odd case where a type
/// reads objects differently from property lists.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn decode_raw_variant<T, E>(
    raw: &RawObject<'_>,
    union: &str,
    variant: &str,
) -> std::result::Result<T, E>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::Error,
{
    if let RawObject::Object(properties) = raw {
        if let Ok(value) = T::deserialize(Properties(properties)) {
            return Ok(value);
        }
    }
    serde_json::from_str(&raw.to_json())
        .map_err(|err| E::custom(format!("{union}::{variant}: {err}")))
}

/// The value as a `serde_json::Value`, for `Unknown`.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn raw_to_value<E: serde::de::Error>(
    raw: &RawObject<'_>,
) -> std::result::Result<serde_json::Value, E> {
    match raw {
        RawObject::Other(value) => Ok(value.clone()),
        RawObject::Object(_) => serde_json::from_str(&raw.to_json()).map_err(E::custom),
    }
}

/// A deserializer over an object's properties: hands the visitor a map whose values are parsed from their text.
struct Properties<'a, 'de>(&'a [(Cow<'de, str>, Cow<'de, str>)]);

impl<'a> serde::Deserializer<'a> for Properties<'a, '_> {
    type Error = serde_json::Error;
    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(PropertyAccess {
            properties: self.0.iter(),
            value: None,
        })
    }
    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }
    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct PropertyAccess<'a, 'de> {
    properties: std::slice::Iter<'a, (Cow<'de, str>, Cow<'de, str>)>,
    value: Option<&'a str>,
}

impl<'a> MapAccess<'a> for PropertyAccess<'a, '_> {
    type Error = serde_json::Error;
    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.properties.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'a>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let text = self
            .value
            .take()
            .ok_or_else(|| serde::de::Error::custom("a value without its key"))?;
        seed.deserialize(&mut serde_json::Deserializer::from_str(text))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.properties.len())
    }
}

/// The text of a JSON string value, unescaped; `None` for any other value.
fn json_str(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
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
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
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

    fn raw(text: &str) -> RawObject<'_> {
        serde_json::from_str(text).unwrap()
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Pending {
        id: String,
        status: String,
        #[serde(default)]
        count: Option<u32>,
    }

    /// The properties path gives what decoding the object's text gives, whatever the order of the keys.
    #[test]
    fn decode_raw_variant_agrees_with_decoding_the_text() {
        for text in [
            r#"{"status": "pending", "id": "a"}"#,
            // The deciding key after the variant's fields.
            r#"{"id": "a", "count": 3, "status": "pending"}"#,
            // Escaped keys and values.
            r#"{"st\u0061tus": "pend\u0069ng", "i\u0064": "a\"b", "count": null}"#,
            // Unknown keys are skipped by the variant as by serde.
            r#"{"id": "a", "extra": {"status": [1, {"x": null}]}, "status": "pending"}"#,
            " { \"id\" : \"a\" ,\n \"status\" : \"pending\" } ",
            // More properties than are kept inline.
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"id":"a","j":[],"count":9,"status":"pending"}"#,
        ] {
            let expected: Pending = serde_json::from_str(text).unwrap();
            let got: std::result::Result<Pending, serde_json::Error> =
                decode_raw_variant(&raw(text), "Response", "Pending");
            assert_eq!(got.unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn duplicate_keys_fail_as_from_the_text() {
        // Positions in the message count in the object written compactly, as here.
        let text = r#"{"id":"a","status":"pending","id":"b"}"#;
        let direct = serde_json::from_str::<Pending>(text)
            .unwrap_err()
            .to_string();
        let err: std::result::Result<Pending, serde_json::Error> =
            decode_raw_variant(&raw(text), "Response", "Pending");
        assert_eq!(
            err.unwrap_err().to_string(),
            format!("Response::Pending: {direct}")
        );
        // The tag is the last one given; markers count once however often they come.
        let text = r#"{"status": "pending", "status": "failed"}"#;
        assert_eq!(
            raw_union_tag(&raw(text), "status").as_deref(),
            Some("failed")
        );
        let markers = ["ip", "asn"];
        assert_eq!(
            raw_union_marker(&raw(r#"{"ip": "a", "ip": "b"}"#), &markers),
            Some(0)
        );
        assert_eq!(
            raw_union_marker(&raw(r#"{"ip": "a", "asn": 1, "ip": "b"}"#), &markers),
            None
        );
    }

    #[test]
    fn raw_to_value_keeps_every_shape() {
        for text in [
            r#"{"a": 1, "b": [true, null, 1.5, -2, 18446744073709551615], "c\n": {"d": "\u00e9"}}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":11}"#,
            r#"[1, "two", {"three": 3}]"#,
            r#""text""#,
            "12",
            "-1.5e3",
            "true",
            "null",
            "{}",
        ] {
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            let got: std::result::Result<serde_json::Value, serde_json::Error> =
                raw_to_value(&raw(text));
            assert_eq!(got.unwrap(), expected, "{text}");
        }
    }

    /// Inputs that cannot lend their text (a reader, a `serde_json::Value`) give owned text, with the same result.
    #[test]
    fn raw_object_from_readers_and_values() {
        fn pending<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Pending {
            let raw = <RawObject as serde::Deserialize>::deserialize(deserializer).unwrap();
            assert_eq!(raw_union_tag(&raw, "status").as_deref(), Some("pending"));
            let decoded: std::result::Result<Pending, serde_json::Error> =
                decode_raw_variant(&raw, "Response", "Pending");
            decoded.unwrap()
        }
        let text = r#"{"id": "a\u0062", "count": 3, "status": "pending"}"#;
        let expected: Pending = serde_json::from_str(text).unwrap();
        let from_reader = pending(&mut serde_json::Deserializer::from_reader(text.as_bytes()));
        let from_value = pending(serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(from_reader, expected);
        assert_eq!(from_value, expected);
    }
}
