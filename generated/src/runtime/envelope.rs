//! Cloudflare's response envelope `{success, errors, messages, result}`: the decoders for enveloped operations,
//! and reading the error envelope off any response.

use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::decode::decode_error;
use super::error::{ApiCode, ApiError, ApiMessage, Error, MessageSource, Result};

/// Most entries kept of an envelope's `errors` or `messages`; the others are counted and skipped unread.
pub(crate) const MAX_MESSAGES: usize = 100;
/// Longest JSON text kept of a `message` (or `code`) that is not a string: an array or object is written out
/// as compact JSON up to this length, never built as a tree.
pub(crate) const MAX_JSON_TEXT: usize = 4096;

/// The envelope with `result` left as raw JSON, so it is decoded straight into the operation's type.
/// `errors` / `messages` tolerate being absent or null: only `success` makes a body an envelope. Nothing in it
/// is decoded through a `serde_json::Value` tree, so an error body costs memory bounded by its length (about
/// once), whatever its shape: a 64 MiB `errors: [0,0,0...]` keeps 100 entries and a count.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    success: bool,
    #[serde(default)]
    errors: Messages,
    #[serde(default)]
    messages: Messages,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

/// `errors` / `messages` as a list whatever JSON they are: an array of entries, null (none), or a single entry,
/// so that an odd shape never hides a real API error behind a decode error. The first [`MAX_MESSAGES`] are
/// kept; `total` counts them all.
#[derive(Default)]
pub(super) struct Messages {
    kept: Vec<ApiMessage>,
    total: usize,
}

impl Messages {
    fn one(message: ApiMessage) -> Self {
        Self {
            kept: vec![message],
            total: 1,
        }
    }
}

impl<'de> Deserialize<'de> for Messages {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(MessagesVisitor)
    }
}

struct MessagesVisitor;

/// A single entry where a list was expected: the entry visitor's answer, as a list of one.
macro_rules! single_entry {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: serde::de::Error>(self, value: $ty) -> std::result::Result<Self::Value, E> {
            MessageVisitor.$method(value).map(Messages::one)
        })*
    };
}

impl<'de> Visitor<'de> for MessagesVisitor {
    type Value = Messages;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of messages")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Messages::default())
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Messages::default())
    }

    single_entry!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str)
    );

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut messages = Messages::default();
        loop {
            let more = if messages.kept.len() < MAX_MESSAGES {
                match seq.next_element::<ApiMessage>()? {
                    Some(message) => {
                        messages.kept.push(message);
                        true
                    }
                    None => false,
                }
            } else {
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                return Ok(messages);
            }
            messages.total = messages.total.saturating_add(1);
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        MessageVisitor.visit_map(map).map(Messages::one)
    }
}

/// [`ApiMessage`]'s `Deserialize`: an object's known fields, or any other value as the message.
pub(super) fn deserialize_message<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<ApiMessage, D::Error> {
    deserializer.deserialize_any(MessageVisitor)
}

struct MessageVisitor;

fn message_text(message: String) -> ApiMessage {
    ApiMessage {
        message,
        ..ApiMessage::default()
    }
}

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = ApiMessage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(ApiMessage::default())
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(ApiMessage::default())
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> std::result::Result<Self::Value, E> {
        Ok(message_text(value.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> std::result::Result<Self::Value, E> {
        Ok(message_text(value.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> std::result::Result<Self::Value, E> {
        Ok(message_text(value.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> std::result::Result<Self::Value, E> {
        Ok(message_text(float_text(value)))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<Self::Value, E> {
        Ok(message_text(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(
        self,
        value: String,
    ) -> std::result::Result<Self::Value, E> {
        Ok(message_text(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        let mut text = JsonText::default();
        text.visit_seq(seq)?;
        Ok(message_text(text.finish()))
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut message = ApiMessage::default();
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Code => message.code = map.next_value()?,
                Field::Message => {
                    message.message = map.next_value::<Text>()?.value.unwrap_or_default();
                }
                Field::DocumentationUrl => {
                    message.documentation_url = map.next_value::<Text>()?.value
                }
                Field::Source => message.source = map.next_value::<Source>()?.0,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(message)
    }
}

/// The fields of a message that are read; the name is matched without being copied.
enum Field {
    Code,
    Message,
    DocumentationUrl,
    Source,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> std::result::Result<Field, E> {
                Ok(match name {
                    "code" => Field::Code,
                    "message" => Field::Message,
                    "documentation_url" => Field::DocumentationUrl,
                    "source" => Field::Source,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A text field: `None` for null, the string as is, or any other value's JSON text (its first
/// [`MAX_JSON_TEXT`] bytes).
struct Text {
    value: Option<String>,
    /// Whether the value was a JSON string.
    is_string: bool,
}

impl Text {
    fn string(value: String) -> Self {
        Self {
            value: Some(value),
            is_string: true,
        }
    }

    fn json(value: String) -> Self {
        Self {
            value: Some(value),
            is_string: false,
        }
    }

    const NULL: Self = Self {
        value: None,
        is_string: false,
    };
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Text, E> {
        Ok(Text::NULL)
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Text, E> {
        Ok(Text::NULL)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<Text, E> {
        Ok(Text::string(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> std::result::Result<Text, E> {
        Ok(Text::string(value))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> std::result::Result<Text, E> {
        Ok(Text::json(value.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> std::result::Result<Text, E> {
        Ok(Text::json(value.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> std::result::Result<Text, E> {
        Ok(Text::json(value.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> std::result::Result<Text, E> {
        Ok(Text::json(float_text(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Text, A::Error> {
        let mut text = JsonText::default();
        text.visit_seq(seq)?;
        Ok(Text::json(text.finish()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Text, A::Error> {
        let mut text = JsonText::default();
        text.visit_map(map)?;
        Ok(Text::json(text.finish()))
    }
}

/// `source`: an object whose `pointer` is a string or null (anything else there makes it no source), or any
/// other value, which is no source.
struct Source(Option<MessageSource>);

/// Scalars where a container was expected: read as nothing.
macro_rules! scalars_are {
    ($value:expr; $($method:ident($ty:ty)),*) => {
        $(fn $method<E: serde::de::Error>(self, _: $ty) -> std::result::Result<Self::Value, E> {
            Ok($value)
        })*
    };
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = Source;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars_are!(Source(None); visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Source, E> {
        Ok(Source(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Source, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Source(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Source, A::Error> {
        let mut pointer = Some(None);
        while let Some(key) = map.next_key::<SourceField>()? {
            match key {
                SourceField::Pointer => {
                    let text = map.next_value::<Text>()?;
                    pointer = match text.value {
                        None => Some(None),
                        Some(value) if text.is_string => Some(Some(value)),
                        Some(_) => None,
                    }
                }
                SourceField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Source(pointer.map(|pointer| MessageSource { pointer })))
    }
}

enum SourceField {
    Pointer,
    Other,
}

impl<'de> Deserialize<'de> for SourceField {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct SourceFieldVisitor;
        impl Visitor<'_> for SourceFieldVisitor {
            type Value = SourceField;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: serde::de::Error>(
                self,
                name: &str,
            ) -> std::result::Result<SourceField, E> {
                Ok(if name == "pointer" {
                    SourceField::Pointer
                } else {
                    SourceField::Other
                })
            }
        }
        deserializer.deserialize_identifier(SourceFieldVisitor)
    }
}

/// [`ApiCode`]'s `Deserialize`: an integer that fits `i64`, else the value that was sent (an array or object as
/// a `serde_json::Value` only when its JSON text is at most [`MAX_JSON_TEXT`] bytes, else that much of its text).
pub(super) fn deserialize_code<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<ApiCode, D::Error> {
    deserializer.deserialize_any(CodeVisitor)
}

struct CodeVisitor;

impl<'de> Visitor<'de> for CodeVisitor {
    type Value = ApiCode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error code")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Other(serde_json::Value::Null))
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<ApiCode, E> {
        self.visit_unit()
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Other(serde_json::Value::Bool(value)))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Int(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> std::result::Result<ApiCode, E> {
        Ok(i64::try_from(value).map_or_else(|_| ApiCode::Other(value.into()), ApiCode::Int))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Other(serde_json::Number::from_f64(value).map_or(
            serde_json::Value::Null,
            serde_json::Value::Number,
        )))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Other(serde_json::Value::String(value.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> std::result::Result<ApiCode, E> {
        Ok(ApiCode::Other(serde_json::Value::String(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<ApiCode, A::Error> {
        let mut text = JsonText::default();
        text.visit_seq(seq)?;
        Ok(text.into_code())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<ApiCode, A::Error> {
        let mut text = JsonText::default();
        text.visit_map(map)?;
        Ok(text.into_code())
    }
}

/// A float as `serde_json` writes it (`1e+30`, `7003.0`).
fn float_text(value: f64) -> String {
    serde_json::Number::from_f64(value)
        .map_or_else(|| "null".to_owned(), |number| number.to_string())
}

/// Compact JSON text of a value, written while it is read (no tree), keeping at most [`MAX_JSON_TEXT`] bytes:
/// past that the rest is read and dropped, and the text ends with "…".
#[derive(Default)]
struct JsonText {
    out: String,
    truncated: bool,
}

impl JsonText {
    fn push(&mut self, text: &str) {
        if self.truncated {
            return;
        }
        if self.out.len() + text.len() > MAX_JSON_TEXT {
            self.truncated = true;
        } else {
            self.out.push_str(text);
        }
    }

    fn push_string(&mut self, value: &str) {
        // Quoting never makes a string shorter: a string that cannot fit is not even quoted.
        if self.truncated || self.out.len() + value.len() + 2 > MAX_JSON_TEXT {
            self.truncated = true;
            return;
        }
        match serde_json::to_string(value) {
            Ok(quoted) => self.push(&quoted),
            Err(_) => self.truncated = true,
        }
    }

    fn visit_seq<'de, A: SeqAccess<'de>>(
        &mut self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        self.push("[");
        let mut first = true;
        loop {
            let mark = (self.out.len(), self.truncated);
            if !first {
                self.push(",");
            }
            if seq.next_element_seed(&mut *self)?.is_none() {
                // No element after the comma: take it back.
                self.out.truncate(mark.0);
                self.truncated = mark.1;
                break;
            }
            first = false;
        }
        self.push("]");
        Ok(())
    }

    fn visit_map<'de, A: MapAccess<'de>>(
        &mut self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        self.push("{");
        let mut first = true;
        loop {
            let mark = (self.out.len(), self.truncated);
            if !first {
                self.push(",");
            }
            if map.next_key_seed(&mut *self)?.is_none() {
                self.out.truncate(mark.0);
                self.truncated = mark.1;
                break;
            }
            self.push(":");
            map.next_value_seed(&mut *self)?;
            first = false;
        }
        self.push("}");
        Ok(())
    }

    fn finish(self) -> String {
        if self.truncated {
            self.out + "…"
        } else {
            self.out
        }
    }

    fn into_code(self) -> ApiCode {
        if !self.truncated {
            if let Ok(value) = serde_json::from_str(&self.out) {
                return ApiCode::Other(value);
            }
        }
        ApiCode::Other(serde_json::Value::String(self.finish()))
    }
}

impl<'de> DeserializeSeed<'de> for &mut JsonText {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut JsonText {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        self.push("null");
        Ok(())
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> std::result::Result<(), E> {
        self.push(if value { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> std::result::Result<(), E> {
        self.push(&value.to_string());
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> std::result::Result<(), E> {
        self.push(&value.to_string());
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> std::result::Result<(), E> {
        self.push(&float_text(value));
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<(), E> {
        self.push_string(value);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        JsonText::visit_seq(self, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<(), A::Error> {
        JsonText::visit_map(self, map)
    }
}

impl<'a> Envelope<'a> {
    pub(super) fn parse(body: &'a [u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(body)
    }

    pub(super) fn into_api_error(self, status: reqwest::StatusCode) -> Error {
        Error::Api(Box::new(ApiError::with_totals(
            status,
            (self.errors.kept, self.errors.total),
            (self.messages.kept, self.messages.total),
        )))
    }

    /// `success: false` is an [`Error::Api`] whatever the status, so a 200 that failed is never taken as data.
    fn check_success(self, status: reqwest::StatusCode) -> Result<Self> {
        if self.success {
            Ok(self)
        } else {
            Err(self.into_api_error(status))
        }
    }
}

/// Decoder for 2xx responses: the envelope's `result` as `T`. A missing or null `result` is decoded from `null`,
/// so `Option<_>` and `()` accept it and other types say why not.
///
/// One pass: the envelope is read with `result` decoded as `T` as it comes. Whenever that fails (a body that is
/// not an envelope, a `result` `T` does not take, `success: false` with a result of another shape), the body is
/// read again in two steps (the envelope with `result` as raw text, then `result`), which gives the error.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn enveloped<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    _headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<T> {
    if let Ok(typed) = serde_json::from_slice::<TypedEnvelope<T>>(body) {
        if !typed.success {
            return Err(Error::Api(Box::new(ApiError::with_totals(
                status,
                (typed.errors.kept, typed.errors.total),
                (typed.messages.kept, typed.messages.total),
            ))));
        }
        match typed.result {
            Some(value) => return Ok(value),
            None => {
                if let Ok(value) = serde_json::from_str("null") {
                    return Ok(value);
                }
            }
        }
    }
    enveloped_in_two_steps(status, body)
}

/// [`enveloped`] the long way: the envelope with `result` as raw text, then `result` from that text.
fn enveloped_in_two_steps<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<T> {
    let envelope = Envelope::parse(body)
        .map_err(|err| decode_error(status, body, err))?
        .check_success(status)?;
    let raw = envelope.result.map_or("null", RawValue::get);
    serde_json::from_str(raw).map_err(|err| decode_error(status, body, err))
}

/// The envelope with `result` typed: what [`enveloped`] reads in one pass.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct TypedEnvelope<T> {
    success: bool,
    #[serde(default)]
    errors: Messages,
    #[serde(default)]
    messages: Messages,
    #[serde(default)]
    result: Option<T>,
}

/// Decoder for 2xx responses whose type models the whole envelope (`result` plus extras such as `result_info`):
/// the body is decoded as `T` once, `success` read on the way; `success: false` is an [`Error::Api`]. When that
/// decode fails, or `T` has no `success`, the envelope is checked first as in [`enveloped`], which gives the
/// error.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn enveloped_whole<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    _headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<T> {
    let mut success = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let decoded = T::deserialize(SuccessProbe {
        inner: &mut deserializer,
        success: &mut success,
    })
    .and_then(|value| deserializer.end().map(|()| value));
    match (decoded, success) {
        (Ok(value), Some(true)) => return Ok(value),
        (Ok(_), Some(false)) => {
            if let Ok(envelope) = Envelope::parse(body) {
                return Err(envelope.into_api_error(status));
            }
        }
        _ => {}
    }
    Envelope::parse(body)
        .map_err(|err| decode_error(status, body, err))?
        .check_success(status)?;
    serde_json::from_slice(body).map_err(|err| decode_error(status, body, err))
}

/// A deserializer for the top-level object that notes the boolean value of its `success` key as the value
/// passes by to the type being decoded (which sees the same keys and values in the same order). Anything but
/// an object is an error here.
struct SuccessProbe<'s, D> {
    inner: D,
    success: &'s mut Option<bool>,
}

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for SuccessProbe<'_, D> {
    type Error = D::Error;
    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, D::Error> {
        self.inner.deserialize_map(ProbeVisitor {
            visitor,
            success: self.success,
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct ProbeVisitor<'s, V> {
    visitor: V,
    success: &'s mut Option<bool>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ProbeVisitor<'_, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<V::Value, A::Error> {
        self.visitor.visit_map(ProbeMap {
            map,
            success: self.success,
            at_success: false,
        })
    }
}

struct ProbeMap<'s, A> {
    map: A,
    success: &'s mut Option<bool>,
    /// Whether the key just read is `success`.
    at_success: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ProbeMap<'_, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, A::Error> {
        let Some(ProbeKey(key)) = self.map.next_key::<ProbeKey<'de>>()? else {
            return Ok(None);
        };
        self.at_success = key == "success";
        match key {
            std::borrow::Cow::Borrowed(key) => {
                seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(key))
            }
            std::borrow::Cow::Owned(key) => {
                seed.deserialize(serde::de::value::StringDeserializer::new(key))
            }
        }
        .map(Some)
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> std::result::Result<S::Value, A::Error> {
        if std::mem::take(&mut self.at_success) {
            let value: bool = self.map.next_value()?;
            // A second `success` fails here; the two-step path then gives the error.
            if self.success.replace(value).is_some() {
                return Err(serde::de::Error::duplicate_field("success"));
            }
            seed.deserialize(serde::de::value::BoolDeserializer::new(value))
        } else {
            self.map.next_value_seed(seed)
        }
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct ProbeKey<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for ProbeKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = ProbeKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<ProbeKey<'de>, E> {
                Ok(ProbeKey(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<ProbeKey<'de>, E> {
                Ok(ProbeKey(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<ProbeKey<'de>, E> {
                Ok(ProbeKey(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::decode::{finish, Decoder};
    use reqwest::header::HeaderMap;
    use reqwest::StatusCode;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        id: String,
    }

    /// What the client does with a received response.
    fn respond<T>(status: StatusCode, body: &[u8], decode: Decoder<T>) -> Result<T> {
        finish(status, &HeaderMap::new(), body, decode)
    }

    fn item(status: StatusCode, body: &[u8]) -> Result<Item> {
        respond(status, body, enveloped::<Item>)
    }

    fn api<T: std::fmt::Debug>(result: Result<T>) -> ApiError {
        match result {
            Err(Error::Api(api)) => *api,
            other => panic!("expected Api, got {other:?}"),
        }
    }

    fn decode<T: std::fmt::Debug>(result: Result<T>) -> (StatusCode, String) {
        match result {
            Err(Error::Decode { status, body, .. }) => (status, body),
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[test]
    fn success_decodes_result() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"a\"b"}}"#;
        assert_eq!(
            item(StatusCode::OK, body).unwrap(),
            Item {
                id: "a\"b".to_owned()
            }
        );
    }

    #[test]
    fn null_or_missing_result_decodes_from_null() {
        let null = br#"{"success":true,"errors":[],"messages":[],"result":null}"#;
        assert_eq!(
            respond(StatusCode::OK, null, enveloped::<Option<Item>>).unwrap(),
            None
        );
        let missing = br#"{"success":true}"#;
        respond(StatusCode::OK, missing, enveloped::<()>).unwrap();
        let (status, _) = decode(item(StatusCode::OK, null));
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn success_false_is_api_error_with_real_status() {
        let body = br#"{"success":false,"errors":[{"code":1000,"message":"bad"}],"messages":null,"result":null}"#;
        let err = api(item(StatusCode::OK, body));
        assert_eq!(err.status, StatusCode::OK);
        assert_eq!(err.codes().collect::<Vec<_>>(), vec![1000]);
        assert!(err.messages.is_empty());
        // The same for the whole-envelope decoder.
        let whole = api(respond(StatusCode::OK, body, enveloped_whole::<Paged>));
        assert_eq!(whole, err);
    }

    #[test]
    fn non_2xx_envelope_is_api_error() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"No route for the URI"}],"messages":[],"result":null}"#;
        let err = api(item(StatusCode::NOT_FOUND, body));
        assert_eq!(err.status, StatusCode::NOT_FOUND);
        assert_eq!(err.errors[0].message, "No route for the URI");
        // An envelope claiming success on an error status is still an error, whatever the decoder.
        let odd = br#"{"success":true,"errors":[],"result":{"id":"x"}}"#;
        assert_eq!(
            api(respond(
                StatusCode::CONFLICT,
                odd,
                crate::runtime::decode::text
            ))
            .status,
            StatusCode::CONFLICT
        );
    }

    #[test]
    fn non_envelope_bodies_are_decode_errors_with_status_and_snippet() {
        let (status, body) = decode(item(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>"));
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>")
        );
        let (status, body) = decode(item(StatusCode::OK, br#"{"result":{"id":"x"}}"#));
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"result":{"id":"x"}}"#)
        );
        let (_, body) = decode(item(StatusCode::OK, b""));
        assert_eq!(body, "");
        let (_, body) = decode(item(
            StatusCode::OK,
            br#"{"success":true,"result":{"id":5}}"#,
        ));
        assert!(body.contains(r#""id":5"#));
        let err = item(StatusCode::INTERNAL_SERVER_ERROR, b"oops").unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(
            err.to_string()
                .starts_with("could not decode the response (HTTP 500"),
            "{err}"
        );
    }

    #[test]
    fn long_error_lists_keep_the_first_entries_and_the_count() {
        let entries: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"code":{i},"message":"m{i}"}}"#))
            .collect();
        let body = format!(
            r#"{{"success":false,"errors":[{}],"messages":[0,0,0]}}"#,
            entries.join(",")
        );
        let err = api(item(StatusCode::BAD_REQUEST, body.as_bytes()));
        assert_eq!(err.errors.len(), MAX_MESSAGES);
        assert_eq!(err.errors_total(), 1000);
        assert_eq!(err.errors[99].message, "m99");
        assert_eq!((err.messages.len(), err.messages_total()), (3, 3));
        assert!(
            err.to_string().ends_with("[99] m99 (and 900 more)"),
            "{err}"
        );
    }

    #[test]
    fn non_string_messages_and_codes_are_bounded_json_text() {
        let nested = format!("[{}]", vec!["[1,{\"a\":null}]"; 2000].join(","));
        let body = format!(
            r#"{{"success":false,"errors":[{{"code":{nested},"message":{nested}}},{{"code":[1,"x"],"message":{{"k":[true,1.5]}},"source":{{"pointer":7}}}}]}}"#
        );
        let err = api(item(StatusCode::BAD_REQUEST, body.as_bytes()));
        let long = &err.errors[0].message;
        assert!(long.starts_with(r#"[[1,{"a":null}],[1,"#), "{long}");
        assert!(
            long.ends_with('…') && long.len() <= MAX_JSON_TEXT + 3,
            "{}",
            long.len()
        );
        assert!(
            matches!(&err.errors[0].code, ApiCode::Other(serde_json::Value::String(text)) if text.ends_with('…')),
            "{:?}",
            err.errors[0].code
        );
        assert_eq!(err.errors[1].message, r#"{"k":[true,1.5]}"#);
        assert_eq!(
            err.errors[1].code,
            ApiCode::Other(serde_json::json!([1, "x"]))
        );
        assert_eq!(err.errors[1].source, None);
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Paged {
        result: Vec<Item>,
        result_info: Info,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Info {
        cursor: Option<String>,
    }

    #[test]
    fn whole_envelope_decodes_result_and_extras() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"id":"a"}],"result_info":{"cursor":"c2"}}"#;
        let paged = respond(StatusCode::OK, body, enveloped_whole::<Paged>).unwrap();
        assert_eq!(
            paged,
            Paged {
                result: vec![Item { id: "a".to_owned() }],
                result_info: Info {
                    cursor: Some("c2".to_owned())
                },
            }
        );
        // Not an envelope at all, or an envelope missing what T needs: Decode.
        let (status, _) = decode(respond(
            StatusCode::OK,
            br#"{"result":[]}"#,
            enveloped_whole::<Paged>,
        ));
        assert_eq!(status, StatusCode::OK);
        let err = respond(
            StatusCode::OK,
            br#"{"success":true,"result":[]}"#,
            enveloped_whole::<Paged>,
        )
        .unwrap_err();
        assert!(err.to_string().contains("result_info"), "{err}");
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct WholeItem {
        success: bool,
        result: Option<Item>,
    }

    /// The one-pass decoders give what reading the envelope first gives, for every body: the same value or the
    /// same error.
    #[test]
    fn one_pass_agrees_with_two_steps() {
        fn whole_in_two_steps<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
            Envelope::parse(body)
                .map_err(|err| decode_error(status, body, err))?
                .check_success(status)?;
            serde_json::from_slice(body).map_err(|err| decode_error(status, body, err))
        }
        fn same<T: std::fmt::Debug>(one: Result<T>, two: Result<T>, body: &[u8]) {
            assert_eq!(
                format!("{one:?}"),
                format!("{two:?}"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let bodies: &[&[u8]] = &[
            br#"{"success":true,"errors":[],"messages":[],"result":{"id":"a"}}"#,
            br#"{"result":{"id":"a"},"errors":[],"success":true}"#,
            br#"{"result":{"id":"a"},"success":true,"result_info":{"cursor":null}}"#,
            br#"{"success":true,"result":null}"#,
            br#"{"success":true}"#,
            br#"{"success":false,"errors":[{"code":7,"message":"no"}],"result":{"id":"a"}}"#,
            br#"{"result":[1,2],"success":false,"errors":[{"code":7,"message":"no"}],"messages":"m"}"#,
            br#"{"success":true,"result":{"id":5}}"#,
            br#"{"success":true,"success":true,"result":{"id":"a"}}"#,
            br#"{"success":"yes","result":{"id":"a"}}"#,
            br#"{"result":{"id":"a"}}"#,
            br#"{"succ\u0065ss":true,"result":{"id":"a"}}"#,
            br#"{"success":true,"result":{"id":"a"}} trailing"#,
            br#"[{"success":true}]"#,
            b"",
        ];
        for body in bodies {
            let status = StatusCode::OK;
            let headers = HeaderMap::new();
            same(
                enveloped::<Item>(status, &headers, body),
                enveloped_in_two_steps::<Item>(status, body),
                body,
            );
            same(
                enveloped::<Option<Item>>(status, &headers, body),
                enveloped_in_two_steps::<Option<Item>>(status, body),
                body,
            );
            same(
                enveloped::<serde_json::Value>(status, &headers, body),
                enveloped_in_two_steps::<serde_json::Value>(status, body),
                body,
            );
            same(
                enveloped_whole::<WholeItem>(status, &headers, body),
                whole_in_two_steps::<WholeItem>(status, body),
                body,
            );
            same(
                enveloped_whole::<serde_json::Value>(status, &headers, body),
                whole_in_two_steps::<serde_json::Value>(status, body),
                body,
            );
        }
    }
}
