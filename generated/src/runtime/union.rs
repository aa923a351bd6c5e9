//! Helpers for the hand-rolled `Deserialize` of `oneOf` unions: read the discriminating property, then decode
//! the chosen variant with an error that names it.
//!
//! Unions told apart by a tag or by which property is present go through [`decode_union`]: the value's text
//! is captured, and the variant the union's previous value was is decoded from it while the deciding keys are
//! noted on the way ([`Tap`]); only when they pick another variant are they read in a pass of their own. No
//! `serde_json::Value` tree is built. Unions told apart by the kind of value, and unions that serde hands a
//! buffered value (inside a `#[serde(flatten)]` map, where raw text is not to be had), go through a
//! `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::Deserialize;

use super::union_tap::{Seen, Tap, UnionRule};

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

/// The variant a union's previous value was, tried first for its next value: the items of a page, or a status
/// polled again, are mostly of one kind.
#[allow(dead_code)] // a spec without discriminated unions never builds one
pub(crate) struct Guess(AtomicUsize);

#[allow(dead_code)] // a spec without discriminated unions never builds one
impl Guess {
    pub(crate) const fn new() -> Self {
        Guess(AtomicUsize::new(0))
    }
}

/// The union's value as JSON text, for the generated code to decode the chosen variant from (or keep whole, in
/// `Unknown`). While a variant is being guessed, its decode also notes the deciding keys as they go by.
pub(crate) struct UnionInput<'t> {
    text: &'t str,
    guessing: Option<Seen>,
}

#[allow(dead_code)] // a spec without discriminated unions never calls it
impl UnionInput<'_> {
    /// Decodes the value as variant `T`; a failure names union and variant like [`decode_variant`].
    pub(crate) fn variant<T: DeserializeOwned>(
        &mut self,
        union: &str,
        variant: &str,
    ) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.text);
        let decoded = match &mut self.guessing {
            Some(seen) => T::deserialize(Tap::top(&mut de, seen)),
            None => T::deserialize(&mut de),
        };
        decoded
            .and_then(|value| de.end().map(|()| value))
            .map_err(|err| serde::de::Error::custom(format!("{union}::{variant}: {err}")))
    }

    /// The value as a `serde_json::Value`, for `Unknown`.
    pub(crate) fn unknown(&mut self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.text)
    }
}

/// Decodes a union told apart by a tag or by which property is present. The value's text is captured once
/// (borrowed from the input when serde_json can lend it: `from_slice`, `from_str`), then the variant the
/// union's previous value was is decoded from it while the deciding keys are noted on the way: when they pick
/// that variant, that is the answer, in one parse. Otherwise (another variant, a failed decode, or a value the
/// variant did not read as an object) the deciding keys are read in a pass of their own and `decode` is called
/// with the variant they pick (`None`: none), which is what the union's rules give.
#[allow(dead_code)] // a spec without discriminated unions never calls it
pub(crate) fn decode_union<'de, D, U>(
    deserializer: D,
    guess: &Guess,
    rule: UnionRule,
    mut decode: impl FnMut(&mut UnionInput<'_>, Option<usize>) -> Result<U, serde_json::Error>,
) -> Result<U, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = RawText::deserialize(deserializer)?.0;
    let guessed = guess.0.load(Ordering::Relaxed);
    let mut input = UnionInput {
        text: &text,
        guessing: Some(Seen::new(rule, Some(guessed))),
    };
    if let Ok(value) = decode(&mut input, Some(guessed)) {
        if input.guessing.as_ref().and_then(Seen::decided) == Some(guessed) {
            return Ok(value);
        }
    }
    let choice = decide(&text, rule);
    if let Some(chosen) = choice.filter(|c| *c != guessed) {
        guess.0.store(chosen, Ordering::Relaxed);
    }
    input.guessing = None;
    decode(&mut input, choice).map_err(serde::de::Error::custom)
}

/// The variant `rule` picks for the JSON value `text`, read in one pass that looks only at the deciding keys.
fn decide(text: &str, rule: UnionRule) -> Option<usize> {
    let mut seen = Seen::new(rule, None);
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::IgnoredAny::deserialize(Tap::top(&mut de, &mut seen)).ok()?;
    seen.decided()
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

    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    struct Pending {
        id: String,
        status: String,
        #[serde(default)]
        count: Option<u32>,
    }

    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    struct Failed {
        id: String,
        error: String,
    }

    /// A union decided by `status`, as the generator writes one.
    #[derive(Debug, Clone, PartialEq)]
    enum Status {
        Pending(Pending),
        Failed(Failed),
        Unknown(serde_json::Value),
    }

    const STATUS: UnionRule = UnionRule::Tag("status", |tag| match tag {
        "pending" | "running" => Some(0),
        "failed" => Some(1),
        _ => None,
    });

    fn status_variant(
        input: &mut UnionInput<'_>,
        choice: Option<usize>,
    ) -> Result<Status, serde_json::Error> {
        match choice {
            Some(0) => input.variant("Status", "Pending").map(Status::Pending),
            Some(1) => input.variant("Status", "Failed").map(Status::Failed),
            _ => input.unknown().map(Status::Unknown),
        }
    }

    impl<'de> serde::Deserialize<'de> for Status {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            static GUESS: Guess = Guess::new();
            decode_union(d, &GUESS, STATUS, status_variant)
        }
    }

    /// What the rules give, decided on a `serde_json::Value` as before.
    fn status_by_value(text: &str) -> Result<Status, String> {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let tag = union_tag(&value, "status").map(str::to_owned);
        let result = match tag.as_deref() {
            Some("pending" | "running") => {
                decode_variant(value, "Status", "Pending").map(Status::Pending)
            }
            Some("failed") => decode_variant(value, "Status", "Failed").map(Status::Failed),
            _ => Ok(Status::Unknown(value)),
        };
        result.map_err(|err: serde_json::Error| err.to_string())
    }

    /// A union decided by which of `ip` and `redirect` is present.
    #[derive(Debug, PartialEq)]
    enum Item {
        Ip(IpItem),
        Redirect(RedirectItem),
        Unknown(serde_json::Value),
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct IpItem {
        id: String,
        ip: String,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct RedirectItem {
        id: String,
        redirect: std::collections::BTreeMap<String, serde_json::Value>,
        #[serde(default)]
        ip: Option<String>,
    }

    const MARKERS: [&str; 2] = ["ip", "redirect"];

    impl<'de> serde::Deserialize<'de> for Item {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            static GUESS: Guess = Guess::new();
            decode_union(
                d,
                &GUESS,
                UnionRule::Markers(&MARKERS),
                |input, choice| match choice {
                    Some(0) => input.variant("Item", "Ip").map(Item::Ip),
                    Some(1) => input.variant("Item", "Redirect").map(Item::Redirect),
                    _ => input.unknown().map(Item::Unknown),
                },
            )
        }
    }

    fn item_by_value(text: &str) -> Result<Item, String> {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let result = match union_marker(&value, &MARKERS) {
            Some(0) => decode_variant(value, "Item", "Ip").map(Item::Ip),
            Some(1) => decode_variant(value, "Item", "Redirect").map(Item::Redirect),
            _ => Ok(Item::Unknown(value)),
        };
        result.map_err(|err: serde_json::Error| err.to_string())
    }

    /// Both ways name union and variant on failure; the positions after that differ (the value's own text
    /// against the tree), so only the start of a message is compared.
    fn same<T: PartialEq + fmt::Debug>(
        got: Result<T, serde_json::Error>,
        expected: Result<T, String>,
        text: &str,
    ) {
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{text}"),
            (Err(got), Err(expected)) => {
                let got = got.to_string();
                let prefix = |m: &str| m.split(':').next().unwrap_or_default().to_owned();
                assert_eq!(
                    prefix(&got),
                    prefix(&expected),
                    "{text}: {got} / {expected}"
                );
            }
            (got, expected) => panic!("{text}: got {got:?}, expected {expected:?}"),
        }
    }

    const STATUS_TEXTS: &[&str] = &[
        r#"{"status": "pending", "id": "a"}"#,
        r#"{"id": "a", "count": 3, "status": "running"}"#,
        r#"{"id": "a", "error": "boom", "status": "failed"}"#,
        r#"{"status": "failed", "id": "a", "error": "boom"}"#,
        r#"{"st\u0061tus": "pend\u0069ng", "i\u0064": "a\"b", "count": null}"#,
        r#"{"id": "a", "extra": {"status": [1, {"status": "failed"}]}, "status": "pending"}"#,
        r#"{"status": "pending", "status": "failed", "id": "a", "error": "e"}"#,
        r#"{"status": "unheard-of", "id": "a"}"#,
        r#"{"status": 3, "id": "a"}"#,
        r#"{"status": null, "id": "a"}"#,
        r#"{"id": "a"}"#,
        r#"{"status": "failed", "id": "a"}"#,
        r#"{"status": "pending", "id": 5}"#,
        r#"["status", "pending"]"#,
        r#""pending""#,
        "null",
        "{}",
        " { \"id\" : \"a\" ,\n \"status\" : \"pending\" } ",
    ];

    /// Every value decodes as the rules decided on a tree say, whichever variant came before it.
    #[test]
    fn tag_union_agrees_with_deciding_on_the_tree() {
        for round in 0..3 {
            let mut texts = STATUS_TEXTS.to_vec();
            if round == 1 {
                texts.reverse();
            }
            for text in texts {
                same(
                    serde_json::from_str::<Status>(text),
                    status_by_value(text),
                    text,
                );
                if round == 2 {
                    // The same value twice: the second time the guess is right.
                    same(
                        serde_json::from_str::<Status>(text),
                        status_by_value(text),
                        text,
                    );
                }
            }
        }
    }

    #[test]
    fn presence_union_agrees_with_deciding_on_the_tree() {
        let texts = [
            r#"{"id": "x", "ip": "1.1.1.1"}"#,
            r#"{"id": "x", "redirect": {"source_url": "a"}}"#,
            r#"{"redirect": {"ip": "1.1.1.1"}, "id": "x"}"#,
            r#"{"id": "x", "ip": null, "redirect": {}}"#,
            r#"{"id": "x", "redirect": null, "ip": "1.1.1.1"}"#,
            r#"{"id": "x", "ip": "1.1.1.1", "redirect": {}}"#,
            r#"{"id": "x", "redirect": {}, "ip": "1.1.1.1"}"#,
            r#"{"id": "x", "\u0069p": "1.1.1.1"}"#,
            r#"{"id": "x", "ip": 5}"#,
            r#"{"id": "x"}"#,
            r#"{"id": "x", "ip": null}"#,
            r#"["ip"]"#,
            r#""ip""#,
            "{}",
        ];
        for round in 0..2 {
            let mut texts = texts.to_vec();
            if round == 1 {
                texts.reverse();
            }
            for text in texts {
                same(
                    serde_json::from_str::<Item>(text),
                    item_by_value(text),
                    text,
                );
                same(
                    serde_json::from_slice::<Item>(text.as_bytes()),
                    item_by_value(text),
                    text,
                );
            }
        }
    }

    #[test]
    fn failures_name_union_and_variant() {
        for text in [
            r#"{"status": "pending", "id": 5}"#,
            r#"{"status": "failed", "id": "a"}"#,
        ] {
            let message = serde_json::from_str::<Status>(text)
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with("Status::Pending: ") || message.starts_with("Status::Failed: "),
                "{message}"
            );
        }
        let message = serde_json::from_str::<Status>(r#"{"status": "failed", "id": "a"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("Status::Failed: missing field `error`"),
            "{message}"
        );
    }

    /// Inputs that cannot lend their text (a reader, a `serde_json::Value`) give owned text, with the same result.
    #[test]
    fn readers_and_values() {
        for text in STATUS_TEXTS {
            let expected = status_by_value(text);
            let from_reader =
                Status::deserialize(&mut serde_json::Deserializer::from_reader(text.as_bytes()));
            same(from_reader, expected.clone(), text);
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            same(serde_json::from_value::<Status>(value), expected, text);
        }
    }

    /// The deciding pass alone, for every shape of value.
    #[test]
    fn decide_agrees_with_the_tree() {
        for text in STATUS_TEXTS {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            let expected = match union_tag(&value, "status") {
                Some("pending" | "running") => Some(0),
                Some("failed") => Some(1),
                _ => None,
            };
            // `union_tag` takes the last of duplicate keys, as serde_json's map does.
            assert_eq!(decide(text, STATUS), expected, "{text}");
        }
    }

    /// A key given twice fails the variant as serde does on the text (a tree would keep the last one); the tag
    /// is the last one given, and a marker given twice counts once.
    #[test]
    fn duplicate_keys() {
        let text = r#"{"id":"a","status":"pending","id":"b"}"#;
        let direct = serde_json::from_str::<Pending>(text)
            .unwrap_err()
            .to_string();
        let message = serde_json::from_str::<Status>(text)
            .unwrap_err()
            .to_string();
        assert_eq!(message, format!("Status::Pending: {direct}"));
        assert_eq!(
            decide(r#"{"status": "failed", "status": "pending"}"#, STATUS),
            Some(0)
        );
        let markers = UnionRule::Markers(&MARKERS);
        assert_eq!(decide(r#"{"ip": "a", "ip": "b"}"#, markers), Some(0));
        assert_eq!(
            decide(r#"{"ip": "a", "redirect": {}, "ip": "b"}"#, markers),
            None
        );
    }
}
