//! Cloudflare's response envelope `{success, errors, messages, result}`: the decoders for enveloped operations,
//! and reading the error envelope off any response.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::decode::decode_error;
use super::error::{ApiError, ApiMessage, Error, Result};

/// The envelope with `result` left as raw JSON, so it is decoded straight into the operation's type.
/// `errors` / `messages` tolerate being absent or null: only `success` makes a body an envelope.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    success: bool,
    #[serde(default, deserialize_with = "lenient_messages")]
    errors: Option<Vec<ApiMessage>>,
    #[serde(default, deserialize_with = "lenient_messages")]
    messages: Option<Vec<ApiMessage>>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

/// `errors` / `messages` as a list whatever JSON they are: an array of entries, null (none), or a single entry,
/// so that an odd shape never hides a real API error behind a decode error.
fn lenient_messages<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Vec<ApiMessage>>, D::Error> {
    use serde_json::Value;
    let entries = match Value::deserialize(deserializer)? {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        single => vec![single],
    };
    entries
        .into_iter()
        .map(|entry| ApiMessage::deserialize(entry).map_err(serde::de::Error::custom))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map(Some)
}

impl<'a> Envelope<'a> {
    pub(super) fn parse(body: &'a [u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(body)
    }

    pub(super) fn into_api_error(self, status: reqwest::StatusCode) -> Error {
        Error::Api(Box::new(ApiError::new(
            status,
            self.errors.unwrap_or_default(),
            self.messages.unwrap_or_default(),
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
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn enveloped<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    _headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<T> {
    let envelope = Envelope::parse(body)
        .map_err(|err| decode_error(status, body, err))?
        .check_success(status)?;
    let raw = envelope.result.map_or("null", RawValue::get);
    serde_json::from_str(raw).map_err(|err| decode_error(status, body, err))
}

/// Decoder for 2xx responses whose type models the whole envelope (`result` plus extras such as `result_info`):
/// the envelope is checked as in [`enveloped`], then the whole body is decoded as `T`.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn enveloped_whole<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    _headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<T> {
    Envelope::parse(body)
        .map_err(|err| decode_error(status, body, err))?
        .check_success(status)?;
    serde_json::from_slice(body).map_err(|err| decode_error(status, body, err))
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
}
