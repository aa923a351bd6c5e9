//! Turning a received response into a value or an error: the status check every call gets, and the decoders
//! for bodies that are not Cloudflare's envelope (see `envelope.rs` for those that are).

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::envelope::Envelope;
use super::error::{Error, Result};

/// Longest body excerpt kept in [`Error::Decode`].
const SNIPPET_BYTES: usize = 512;

/// How generated code says what a 2xx body holds. Only 2xx responses reach a decoder: [`finish`] turns the
/// others into errors first.
pub(crate) type Decoder<T> = fn(StatusCode, &HeaderMap, &[u8]) -> Result<T>;

/// A complete response to a value: non-2xx becomes [`Error::Api`] when the body is Cloudflare's envelope (whatever
/// its `success` says), else [`Error::Decode`] with the status and the start of the body; 2xx goes to `decode`.
pub(crate) fn finish<T>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    decode: impl FnOnce(StatusCode, &HeaderMap, &[u8]) -> Result<T>,
) -> Result<T> {
    if status.is_success() {
        return decode(status, headers, body);
    }
    match Envelope::parse(body) {
        Ok(envelope) => Err(envelope.into_api_error(status)),
        Err(err) => Err(decode_error(
            status,
            body,
            format!("an error status without Cloudflare's error envelope ({err})"),
        )),
    }
}

/// Decoder: a plain JSON body, no envelope.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn json<T: DeserializeOwned>(
    status: StatusCode,
    _headers: &HeaderMap,
    body: &[u8],
) -> Result<T> {
    serde_json::from_slice(body).map_err(|err| decode_error(status, body, err))
}

/// Decoder: the body as text; invalid UTF-8 is an [`Error::Decode`] rather than silently replaced.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn text(status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> Result<String> {
    String::from_utf8(body.to_vec()).map_err(|err| decode_error(status, body, err.utf8_error()))
}

/// Decoder: the body's bytes as they came.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn bytes(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>> {
    Ok(body.to_vec())
}

/// Decoder: nothing to read; whatever body came is ignored.
#[allow(dead_code)] // generated code uses the decoders its spec needs
pub(crate) fn empty(_status: StatusCode, _headers: &HeaderMap, _body: &[u8]) -> Result<()> {
    Ok(())
}

/// [`Error::Decode`] keeping the status and the start of the body, for the caller to see what came instead.
pub(super) fn decode_error(
    status: StatusCode,
    body: &[u8],
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Decode {
        status,
        body: body_snippet(body),
        source: source.into(),
    }
}

/// The first [`SNIPPET_BYTES`] bytes of `body` at most, as lossy UTF-8, never cutting a character in two.
fn body_snippet(body: &[u8]) -> String {
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

    fn respond<T>(status: StatusCode, body: &[u8], decode: Decoder<T>) -> Result<T> {
        finish(status, &HeaderMap::new(), body, decode)
    }

    fn decode_parts<T: std::fmt::Debug>(result: Result<T>) -> (StatusCode, String, String) {
        match result {
            Err(Error::Decode {
                status,
                body,
                source,
            }) => (status, body, source.to_string()),
            other => panic!("expected Decode, got {other:?}"),
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        id: u32,
    }

    #[test]
    fn json_decodes_plain_bodies() {
        assert_eq!(
            respond(StatusCode::OK, br#"{"id":7}"#, json::<Item>).unwrap(),
            Item { id: 7 }
        );
        let (status, body, source) =
            decode_parts(respond(StatusCode::CREATED, br#"{"id":"x"}"#, json::<Item>));
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::CREATED, r#"{"id":"x"}"#)
        );
        assert!(source.contains("invalid type"), "{source}");
    }

    #[test]
    fn text_bytes_and_empty() {
        assert_eq!(
            respond(StatusCode::OK, "héllo".as_bytes(), text).unwrap(),
            "héllo"
        );
        let (status, body, source) =
            decode_parts(respond(StatusCode::OK, &[0x61, 0xFF, 0x62], text));
        assert_eq!((status, body.as_str()), (StatusCode::OK, "a\u{FFFD}b"));
        assert!(source.contains("invalid utf-8"), "{source}");
        assert_eq!(
            respond(StatusCode::OK, &[0, 0xFF, 1], bytes).unwrap(),
            vec![0, 0xFF, 1]
        );
        respond(StatusCode::NO_CONTENT, b"", empty).unwrap();
        respond(StatusCode::OK, b"<ignored>", empty).unwrap();
    }

    #[test]
    fn non_2xx_never_reaches_the_decoder() {
        fn unreachable_decoder(_: StatusCode, _: &HeaderMap, _: &[u8]) -> Result<()> {
            panic!("a non-2xx response reached the decoder")
        }
        let envelope =
            br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#;
        match respond(StatusCode::FORBIDDEN, envelope, unreachable_decoder) {
            Err(Error::Api(api)) => {
                assert_eq!(api.status, StatusCode::FORBIDDEN);
                assert_eq!(api.codes().collect::<Vec<_>>(), vec![10000]);
            }
            other => panic!("expected Api, got {other:?}"),
        }
        let (status, body, source) = decode_parts(respond(
            StatusCode::BAD_GATEWAY,
            b"<html>502 Bad Gateway</html>",
            unreachable_decoder,
        ));
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(body, "<html>502 Bad Gateway</html>");
        assert!(
            source.contains("without Cloudflare's error envelope"),
            "{source}"
        );
        // Redirects that were not followed are not successes either.
        let (status, _, _) = decode_parts(respond(StatusCode::FOUND, b"", unreachable_decoder));
        assert_eq!(status, StatusCode::FOUND);
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
