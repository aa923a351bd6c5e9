//! What generated code hands the client for one call, and how that becomes a URL and header parameters.

use reqwest::header::{HeaderName, HeaderValue};

use super::auth::AuthScheme;
use super::body::Body;
use super::error::{Error, Result};

/// One operation call, fully validated by generated code: the client only adds base URL, headers and auth.
#[allow(dead_code)] // built only by generated operations; a spec without paths has none
pub(crate) struct RequestSpec {
    pub method: reqwest::Method,
    /// Spec `operationId`, for tracing and errors.
    pub operation: &'static str,
    /// "/accounts/{account_id}/..." for tracing (never the filled path).
    pub path_template: &'static str,
    /// From `PathBuilder::finish`: already percent-encoded.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    /// Header parameters from the spec, by the spec's name.
    pub headers: Vec<(&'static str, String)>,
    /// Kept as bytes/parts so that every attempt can build its own reqwest body.
    pub body: Body,
    /// The `Accept` header: the media types the spec documents for the responses.
    pub accept: &'static str,
    /// Alternatives from the spec's `security`: the request is sent if the client's credentials satisfy one
    /// alternative (all schemes in it). Empty slice: the operation needs no auth, send no credentials.
    pub security: &'static [&'static [AuthScheme]],
}

/// The longest URL the HTTP client can send (`http::Uri` refuses a longer one, a failure that is not transient).
pub(crate) const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

impl RequestSpec {
    /// `base_url` (no trailing "/") + path, then the query pairs and `auth_query` (the credentials that go in the
    /// query) form-encoded as `Url::query_pairs_mut` would, written into one string and parsed once. A URL longer
    /// than [`MAX_URL_BYTES`] is an [`Error::UrlTooLong`]; the error never repeats the URL.
    pub(crate) fn url(
        &self,
        base_url: &str,
        auth_query: &[(&'static str, String)],
    ) -> Result<reqwest::Url> {
        let pairs = || {
            self.query
                .iter()
                .chain(auth_query)
                .map(|(name, value)| (*name, value.as_str()))
        };
        // Exact unless some byte needs escaping.
        let query_bytes: usize = pairs()
            .map(|(name, value)| name.len() + value.len() + 2)
            .sum();
        let mut text = String::with_capacity(base_url.len() + self.path.len() + query_bytes);
        text.push_str(base_url);
        text.push_str(&self.path);
        let mut separator = '?';
        for (name, value) in pairs() {
            text.push(separator);
            separator = '&';
            push_form_encoded(&mut text, name);
            text.push('=');
            push_form_encoded(&mut text, value);
        }
        if text.len() > MAX_URL_BYTES {
            return Err(Error::UrlTooLong {
                operation: self.operation,
                length: text.len(),
                limit: MAX_URL_BYTES,
            });
        }
        reqwest::Url::parse(&text).map_err(|err| {
            Error::Config(format!(
                "operation `{}`: could not build the request URL: {err}",
                self.operation
            ))
        })
    }

    /// The header parameters, checked: a value that cannot go in a header (control characters) is an
    /// [`Error::InvalidArgument`] naming the parameter, and the value itself is never repeated.
    pub(crate) fn header_parameters(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let header_name =
                    HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidArgument {
                        parameter: name,
                        reason: "is not a valid HTTP header name".to_owned(),
                    })?;
                let header_value =
                    HeaderValue::from_str(value).map_err(|_| Error::InvalidArgument {
                        parameter: name,
                        reason: "contains control characters (such as line breaks), which an HTTP header \
                                 cannot carry"
                            .to_owned(),
                    })?;
                Ok((header_name, header_value))
            })
            .collect()
    }
}

/// `application/x-www-form-urlencoded`, byte for byte as the `url` crate writes query pairs: ASCII letters,
/// digits and `*-._` as they are, a space as `+`, every other byte as `%XX`.
fn push_form_encoded(out: &mut String, value: &str) {
    for &byte in value.as_bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(percent_encoding::percent_encode_byte(byte)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::path::PathBuilder;

    fn spec(path: String, query: Vec<(&'static str, String)>) -> RequestSpec {
        RequestSpec {
            method: reqwest::Method::GET,
            operation: "op",
            path_template: "/accounts/{account_id}",
            path,
            query,
            headers: Vec::new(),
            body: Body::Empty,
            accept: "application/json",
            security: &[],
        }
    }

    #[test]
    fn joins_base_and_encoded_path() {
        let mut path = PathBuilder::new();
        path.literal("accounts");
        path.param("account_id", "a b/c?d#e..").unwrap();
        let url = spec(path.finish(), Vec::new())
            .url("https://api.example.com/client/v4", &[])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.example.com/client/v4/accounts/a%20b%2Fc%3Fd%23e.."
        );
        assert_eq!(url.query(), None);
    }

    #[test]
    fn appends_encoded_query_pairs() {
        let query = vec![("page", "2".to_owned()), ("name", "a&b=c d/é".to_owned())];
        let url = spec("/x".to_owned(), query)
            .url("http://127.0.0.1:8080", &[])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/x?page=2&name=a%26b%3Dc+d%2F%C3%A9"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[1], ("name".to_owned(), "a&b=c d/é".to_owned()));
    }

    /// The same URL as parsing the path and appending the pairs through `Url::query_pairs_mut`.
    #[test]
    fn query_is_encoded_as_the_url_crate_encodes_it() {
        let all_bytes: String = (1..=0x7f_u8).map(char::from).collect();
        let values = [all_bytes.as_str(), "a b+c%20d", "é☃\u{1F600}", "", "~!'()"];
        for value in values {
            let query = vec![("q", value.to_owned()), ("k y", "v".to_owned())];
            let got = spec("/x".to_owned(), query)
                .url("http://127.0.0.1:8080", &[("key", value.to_owned())])
                .unwrap();
            let mut expected = reqwest::Url::parse("http://127.0.0.1:8080/x").unwrap();
            expected
                .query_pairs_mut()
                .append_pair("q", value)
                .append_pair("k y", "v")
                .append_pair("key", value);
            assert_eq!(got.as_str(), expected.as_str(), "{value:?}");
        }
    }

    #[test]
    fn a_url_longer_than_http_carries_is_refused_before_parsing() {
        let fits = "a".repeat(MAX_URL_BYTES - "http://h/x?q=".len());
        let url = spec("/x".to_owned(), vec![("q", fits.clone())])
            .url("http://h", &[])
            .unwrap();
        assert_eq!(url.as_str().len(), MAX_URL_BYTES);
        let too_long = format!("{fits}b");
        match spec("/x".to_owned(), vec![("q", too_long)]).url("http://h", &[]) {
            Err(err @ Error::UrlTooLong { length, limit, .. }) => {
                assert_eq!((length, limit), (MAX_URL_BYTES + 1, MAX_URL_BYTES));
                assert!(!err.to_string().contains("aaaa"), "{err}");
            }
            other => panic!("expected UrlTooLong, got {other:?}"),
        }
    }

    #[test]
    fn header_parameters_are_checked() {
        let mut request = spec("/x".to_owned(), Vec::new());
        request.headers = vec![("If-Match", "\"abc\"".to_owned())];
        let headers = request.header_parameters().unwrap();
        assert_eq!(headers[0].0, "if-match");
        assert_eq!(headers[0].1, "\"abc\"");
        request.headers = vec![("X-Name", "line\r\nInjected: yes".to_owned())];
        match request.header_parameters() {
            Err(err @ Error::InvalidArgument { parameter, .. }) => {
                assert_eq!(parameter, "X-Name");
                assert!(!err.to_string().contains("Injected"), "{err}");
            }
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
        // Non-ASCII goes as opaque bytes, as HTTP allows.
        request.headers = vec![("X-Name", "é".to_owned())];
        assert!(request.header_parameters().is_ok());
    }
}
