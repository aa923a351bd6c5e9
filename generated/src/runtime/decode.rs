//! Turning a received response into a value or an error: the status check every call gets, and the decoders
//! for bodies that are not Cloudflare's envelope (see `envelope.rs` for those that are).

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::envelope::Envelope;
use super::error::{Error, ResponseHeaders, Result};

/// Longest body excerpt kept in [`Error::Decode`].
const SNIPPET_BYTES: usize = 512;

/// How generated code says what a 2xx body holds. Only 2xx responses reach a decoder: [`finish`] turns the
/// others into errors first.
pub(crate) type Decoder<T> = fn(StatusCode, &HeaderMap, &[u8]) -> Result<T>;

/// A complete response to a value: non-2xx becomes [`Error::Api`] when the body is Cloudflare's envelope (whatever
/// its `success` says), else [`Error::Decode`] with the status and the start of the body; 2xx goes to `decode`.
/// What the client does with a response that arrived whole (it keeps the two halves apart so that it can retry).
#[cfg(test)]
pub(crate) fn finish<T>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    decode: impl FnOnce(StatusCode, &HeaderMap, &[u8]) -> Result<T>,
) -> Result<T> {
    if status.is_success() {
        return decode(status, headers, body);
    }
    Err(error_response(status, body))
}

/// The error for a non-2xx response: [`Error::Api`] when the body is Cloudflare's envelope, else
/// [`Error::Decode`] with the status and the start of the body. Any bytes, never a panic.
pub(crate) fn error_response(status: StatusCode, body: &[u8]) -> Error {
    match Envelope::parse(body) {
        Ok(envelope) => envelope.into_api_error(status),
        Err(err) => decode_error(
            status,
            body,
            format!("an error status without Cloudflare's error envelope ({err})"),
        ),
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
        attempts: 1,
        cf_ray: None,
        headers: ResponseHeaders::default(),
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
                ..
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

    /// xorshift64*: a small deterministic generator, so the fuzz cases are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const ENVELOPES: &[&[u8]] = &[
        br#"{"success":true,"errors":[],"messages":[],"result":{"id":7}}"#,
        br#"{"success":false,"errors":[{"code":7003,"message":"No route"}],"messages":[],"result":null}"#,
        br#"{"success":false,"errors":[{"code":1e30,"message":"huge"},{"code":"E1","message":5}]}"#,
        br#"{"success":false,"errors":[{"code":18446744073709551616,"message":"u64+1"}],"messages":null}"#,
        br#"{"success":true,"result":[{"id":1},{"id":2}],"result_info":{"cursor":"c"}}"#,
        br#"{"success":false,"errors":{"code":1,"message":"not a list"},"messages":"note"}"#,
        br#"{"success":true,"result":"\u00e9\ud83d\ude00"}"#,
        b"{\"success\":true,\"result\":\"\xff\xfe\"}",
    ];
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "success",
        "errors",
        "code",
        "message",
        "result",
        "true",
        "false",
        "null",
        "0",
        "-1",
        "1e999",
        "9223372036854775808",
        "\"\\u",
        "\\",
        " ",
        "\u{e9}",
        "\u{0}",
    ];

    fn arbitrary_body(rng: &mut Rng) -> Vec<u8> {
        match rng.below(5) {
            0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
            1 => {
                let full = *rng.pick(ENVELOPES);
                full[..rng.below(full.len() + 1)].to_vec()
            }
            2 => {
                let mut body = rng.pick(ENVELOPES).to_vec();
                for _ in 0..=rng.below(3) {
                    let at = rng.below(body.len());
                    body[at] = rng.next() as u8;
                }
                body
            }
            3 => (0..rng.below(40))
                .flat_map(|_| rng.pick(TOKENS).as_bytes().to_vec())
                .collect(),
            _ => rng.pick(ENVELOPES).to_vec(),
        }
    }

    fn check<T>(status: StatusCode, body: &[u8], decode: Decoder<T>) {
        match finish(status, &HeaderMap::new(), body, decode) {
            Ok(_) => assert!(status.is_success(), "{status} decoded as a value"),
            Err(err) => {
                assert_eq!(err.status(), Some(status), "{err:?}");
                assert_eq!(err.attempts(), Some(1));
                let _ = (err.to_string(), format!("{err:?}"), err.is_retryable());
                if let Error::Decode { body: snippet, .. } = &err {
                    assert!(snippet.chars().count() <= SNIPPET_BYTES);
                }
            }
        }
    }

    #[test]
    fn arbitrary_statuses_and_bodies_never_panic_and_keep_the_status() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let common = [200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503];
        for _ in 0..10_000 {
            let code = if rng.below(2) == 0 {
                *rng.pick(&common)
            } else {
                100 + rng.below(500) as u16
            };
            let status = StatusCode::from_u16(code).unwrap();
            let body = arbitrary_body(&mut rng);
            check(
                status,
                &body,
                crate::runtime::envelope::enveloped::<serde_json::Value>,
            );
            check(status, &body, crate::runtime::envelope::enveloped::<Item>);
            check(
                status,
                &body,
                crate::runtime::envelope::enveloped::<Option<Vec<Item>>>,
            );
            check(
                status,
                &body,
                crate::runtime::envelope::enveloped_whole::<serde_json::Value>,
            );
            check(status, &body, json::<serde_json::Value>);
            check(status, &body, text);
            check(status, &body, bytes);
            check(status, &body, empty);
            // The retry logic reads headers the server controls.
            if let Ok(value) = reqwest::header::HeaderValue::from_bytes(&body) {
                let mut headers = HeaderMap::new();
                for name in ["retry-after", "retry-after-ms", "x-should-retry", "cf-ray"] {
                    headers.insert(name, value.clone());
                }
                let _ = crate::runtime::retry::retry_after(&headers, std::time::SystemTime::now());
                let _ = crate::runtime::retry::server_says(&headers);
                let _ = error_response(status, &body)
                    .with_response_context(3, Some(&headers))
                    .is_retryable();
            }
        }
    }

    #[test]
    fn odd_error_codes_and_shapes_stay_api_errors() {
        let body = br#"{"success":false,"errors":[{"code":1e30,"message":"huge"},{"code":"E12","message":5},
            {"code":99999999999999999999},{"code":-3,"message":null},"bare text",{"code":7003.0}],
            "messages":{"code":1,"message":"single"}}"#;
        let err = respond(StatusCode::BAD_REQUEST, body, empty).unwrap_err();
        let api = err.api_error().expect("an API error");
        let codes: Vec<String> = api.codes().map(|code| code.to_string()).collect();
        assert_eq!(
            codes,
            ["1e+30", "E12", "1e+20", "-3", "0", "7003.0"],
            "{api:?}"
        );
        assert_eq!(api.errors[1].message, "5");
        assert_eq!(api.errors[3].code, -3);
        assert_eq!(api.errors[3].code.as_i64(), Some(-3));
        assert_eq!(api.errors[0].code.as_i64(), None);
        assert_eq!(api.errors[4].message, "bare text");
        assert_eq!(api.messages[0].message, "single");
        assert!(err.to_string().contains("[E12] 5"), "{err}");
        assert!(err.has_code(-3) && !err.has_code(7003));
    }
}
