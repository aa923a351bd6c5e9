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
    /// Alternatives from the spec's `security`: the request is sent if the client's credentials satisfy one
    /// alternative (all schemes in it). Empty slice: the operation needs no auth, send no credentials.
    pub security: &'static [&'static [AuthScheme]],
}

impl RequestSpec {
    /// `base_url` (no trailing "/") + path, then the query pairs form-encoded by `Url`.
    pub(crate) fn url(&self, base_url: &str) -> Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(&format!("{base_url}{}", self.path)).map_err(|err| {
            Error::Config(format!(
                "operation `{}`: could not build the request URL: {err}",
                self.operation
            ))
        })?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(
                self.query
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            );
        }
        Ok(url)
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
            security: &[],
        }
    }

    #[test]
    fn joins_base_and_encoded_path() {
        let mut path = PathBuilder::new();
        path.literal("accounts");
        path.param("account_id", "a b/c?d#e..").unwrap();
        let url = spec(path.finish(), Vec::new())
            .url("https://api.example.com/client/v4")
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
            .url("http://127.0.0.1:8080")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/x?page=2&name=a%26b%3Dc+d%2F%C3%A9"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[1], ("name".to_owned(), "a&b=c d/é".to_owned()));
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
