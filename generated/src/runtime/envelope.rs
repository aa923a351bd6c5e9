//! Decoding Cloudflare's response envelope `{success, errors, messages, result}` from the raw body bytes.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{ApiError, ApiMessage, Error, Result};

/// Longest body excerpt kept in [`Error::Decode`].
const SNIPPET_BYTES: usize = 512;

/// The envelope with `result` left as raw JSON, so it is decoded straight into the operation's type.
/// `errors` / `messages` tolerate being absent or null: only `success` makes a body an envelope.
#[derive(Deserialize)]
struct Envelope<'a> {
    success: bool,
    #[serde(default)]
    errors: Option<Vec<ApiMessage>>,
    #[serde(default)]
    messages: Option<Vec<ApiMessage>>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

/// Turns a complete response into `result` as `T`, an [`Error::Api`], or an [`Error::Decode`].
pub(crate) fn decode_response<T: DeserializeOwned>(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<T> {
    let decode_error = |source: serde_json::Error| Error::Decode {
        status,
        body: body_snippet(body),
        source,
    };
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(decode_error)?;
    if !status.is_success() || !envelope.success {
        return Err(Error::Api(Box::new(ApiError {
            status,
            errors: envelope.errors.unwrap_or_default(),
            messages: envelope.messages.unwrap_or_default(),
        })));
    }
    // A missing or null `result` is decoded from `null`, so `Option<_>` and `()` accept it and others say why not.
    let raw = envelope.result.map_or("null", RawValue::get);
    serde_json::from_str(raw).map_err(decode_error)
}

/// The first [`SNIPPET_BYTES`] bytes of `body` at most, as lossy UTF-8, never cutting a character in two.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let mut end = body.len().min(SNIPPET_BYTES);
    // Back off over UTF-8 continuation bytes (at most 3) so the cut falls on a character boundary.
    let mut steps = 0;
    while end > 0
        && end < body.len()
        && steps < 3
        && body.get(end).is_some_and(|b| b & 0xC0 == 0x80)
    {
        end -= 1;
        steps += 1;
    }
    String::from_utf8_lossy(body.get(..end).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        id: String,
    }

    fn api(result: Result<Item>) -> ApiError {
        match result {
            Err(Error::Api(api)) => *api,
            other => panic!("expected Api, got {other:?}"),
        }
    }

    fn decode(result: Result<Item>) -> (StatusCode, String) {
        match result {
            Err(Error::Decode { status, body, .. }) => (status, body),
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[test]
    fn success_decodes_result() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"a\"b"}}"#;
        assert_eq!(
            decode_response::<Item>(StatusCode::OK, body).unwrap(),
            Item {
                id: "a\"b".to_owned()
            }
        );
    }

    #[test]
    fn null_or_missing_result_decodes_from_null() {
        let null = br#"{"success":true,"errors":[],"messages":[],"result":null}"#;
        assert_eq!(
            decode_response::<Option<Item>>(StatusCode::OK, null).unwrap(),
            None
        );
        let missing = br#"{"success":true}"#;
        decode_response::<()>(StatusCode::OK, missing).unwrap();
        let (status, _) = decode(decode_response::<Item>(StatusCode::OK, null));
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn success_false_is_api_error_with_real_status() {
        let body = br#"{"success":false,"errors":[{"code":1000,"message":"bad"}],"messages":null,"result":null}"#;
        let err = api(decode_response(StatusCode::OK, body));
        assert_eq!(err.status, StatusCode::OK);
        assert_eq!(err.codes().collect::<Vec<_>>(), vec![1000]);
        assert!(err.messages.is_empty());
    }

    #[test]
    fn non_2xx_envelope_is_api_error() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"No route for the URI"}],"messages":[],"result":null}"#;
        let err = api(decode_response(StatusCode::NOT_FOUND, body));
        assert_eq!(err.status, StatusCode::NOT_FOUND);
        assert_eq!(err.errors[0].message, "No route for the URI");
    }

    #[test]
    fn non_envelope_bodies_are_decode_errors_with_status_and_snippet() {
        let (status, body) = decode(decode_response(
            StatusCode::BAD_GATEWAY,
            b"<html>bad gateway</html>",
        ));
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>")
        );
        let (status, body) = decode(decode_response(StatusCode::OK, br#"{"result":{"id":"x"}}"#));
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"result":{"id":"x"}}"#)
        );
        let (_, body) = decode(decode_response(StatusCode::OK, b""));
        assert_eq!(body, "");
        let (_, body) = decode(decode_response(
            StatusCode::OK,
            br#"{"success":true,"result":{"id":5}}"#,
        ));
        assert!(body.contains(r#""id":5"#));
        let err = decode_response::<Item>(StatusCode::INTERNAL_SERVER_ERROR, b"oops").unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(
            err.to_string()
                .starts_with("could not decode the response (HTTP 500"),
            "{err}"
        );
    }

    #[test]
    fn snippet_is_cut_on_a_char_boundary() {
        // 511 ASCII bytes then "é" (2 bytes) straddles byte 512.
        let mut body = "a".repeat(511).into_bytes();
        body.extend_from_slice("ééé".as_bytes());
        let snippet = body_snippet(&body);
        assert_eq!(snippet, "a".repeat(511));
        // A 4-byte character straddling the limit at every offset.
        for pad in 509..=512 {
            let mut body = "a".repeat(pad).into_bytes();
            body.extend_from_slice("😀😀".as_bytes());
            let snippet = body_snippet(&body);
            assert!(snippet.len() <= SNIPPET_BYTES, "{pad}");
            assert!(!snippet.contains('\u{FFFD}'), "{pad}");
            assert!(snippet.starts_with(&"a".repeat(pad)));
        }
        assert_eq!(body_snippet("short ☃".as_bytes()), "short ☃");
        assert_eq!(body_snippet(b""), "");
        // Invalid UTF-8 is replaced, never a panic.
        assert_eq!(body_snippet(&[0x61, 0xFF, 0x62]), "a\u{FFFD}b");
        assert_eq!(body_snippet(&[0x80; 1000]).chars().count(), 509);
    }
}
