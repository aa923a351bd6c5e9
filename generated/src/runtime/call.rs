//! One operation call as the caller holds it: per-call options, sending, and the response with its metadata.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;

use super::client::Client;
use super::decode::{decode_error, Decoder};
use super::error::{Error, Result};
use super::request::RequestSpec;

/// Headers the HTTP client derives from the request itself; overriding them would corrupt the message framing.
const RESERVED_HEADERS: &[&str] = &["content-length", "transfer-encoding", "host", "connection"];

/// A prepared operation call. Nothing is sent until it is awaited (or [`Call::send`] /
/// [`Call::send_with_response`] is awaited); an argument that broke the spec's rules is returned then, before
/// anything is sent.
///
/// A call owns what it needs, a clone of the [`Client`] included (one reference count), so it is `'static` and
/// `Send`: it can be returned from a function, stored, or spawned (`tokio::spawn(call.send())`), and it still
/// works after the client it came from is dropped.
#[must_use = "a Call does nothing until awaited"]
pub struct Call<T> {
    client: Client,
    /// Argument errors are kept here so that building a call never fails and the error surfaces on `.await`.
    request: Result<RequestSpec>,
    decode: CallDecoder<T>,
    options: RequestOptions,
}

/// A decoder, possibly followed by steps that need more than the body (e.g. the client, for a handle). A plain
/// decoder is kept as the function it is: most calls need no allocation for it.
enum CallDecoder<T> {
    Plain(Decoder<T>),
    Then(BoxedDecoder<T>),
}

/// A decoder that is a closure (a plain one followed by further steps).
type BoxedDecoder<T> = Box<dyn FnOnce(StatusCode, &HeaderMap, &[u8]) -> Result<T> + Send>;

impl<T> CallDecoder<T> {
    fn decode(self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<T> {
        match self {
            CallDecoder::Plain(decode) => decode(status, headers, body),
            CallDecoder::Then(decode) => decode(status, headers, body),
        }
    }
}

impl<T: 'static> Call<T> {
    pub(super) fn new(client: Client, request: Result<RequestSpec>, decode: Decoder<T>) -> Self {
        Self {
            client,
            request,
            decode: CallDecoder::Plain(decode),
            options: RequestOptions::default(),
        }
    }

    /// Turns the decoded value into another; an `Err(reason)` is an [`Error::Decode`] that keeps the response's
    /// status and body, since it means the response was not what the spec promised.
    #[allow(dead_code)] // generated code uses it for calls that start long-running operations
    pub(crate) fn and_then<U>(
        self,
        then: impl FnOnce(T) -> std::result::Result<U, String> + Send + 'static,
    ) -> Call<U> {
        let decode = self.decode;
        Call {
            client: self.client,
            request: self.request,
            options: self.options,
            decode: CallDecoder::Then(Box::new(move |status, headers, body| {
                let value = decode.decode(status, headers, body)?;
                then(value).map_err(|reason| decode_error(status, body, reason))
            })),
        }
    }
}

#[allow(dead_code)] // public API, unreachable only in a crate whose spec has no operations
impl<T: Send + 'static> Call<T> {
    /// Limits each attempt of this call, from connecting until the whole response body is read (default: the
    /// client's, 60 s); running out is an [`Error::Transport`] whose [`Error::is_timeout`] is true, retried like
    /// a connection error (for idempotent methods). Overrides the HTTP client's own timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// How many times this call may be sent again after a retryable failure (default: the client's, 2); 0 sends
    /// it once.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.options = self.options.max_retries(retries);
        self
    }

    /// Limits this whole call, every attempt and every wait between attempts included (default: the client's,
    /// `ClientBuilder::total_timeout`, none unless set). Each attempt gets at most the time left, and no retry is
    /// made whose wait would end past the limit: the last attempt's error is returned (a timeout when the limit
    /// cut it short).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.total_timeout(timeout);
        self
    }

    /// Whether this call is retried like an idempotent one even if its method is POST or PATCH (default: the
    /// client's, false). Set it for a call you know is safe to repeat.
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.options = self.options.retry_non_idempotent(retry);
        self
    }

    /// Sends one more header with this call, replacing any header of that name the SDK would send. An invalid
    /// name or value is an [`Error::InvalidArgument`] (parameter `header`) when the call is sent, and nothing is
    /// sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.options = self.options.header(name, value);
        self
    }

    /// Replaces every option set so far on this call.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Sends the call and returns the decoded value; the same as `.await`.
    pub async fn send(self) -> Result<T> {
        self.send_with_response().await.map(Response::into_value)
    }

    /// Sends the call and returns the decoded value with the response's status and headers (e.g. `cf-ray`, for
    /// support requests).
    pub async fn send_with_response(self) -> Result<Response<T>> {
        let request = self.request?;
        let decode = self.decode;
        self.client
            .execute(
                &request,
                |status, headers, body| decode.decode(status, headers, body),
                &self.options,
            )
            .await
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

// Only what identifies the call: argument values and header values may be private.
impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Call");
        match &self.request {
            Ok(request) => debug
                .field("operation", &request.operation)
                .field("method", &request.method)
                .field("path_template", &request.path_template),
            Err(err) => debug.field("argument_error", err),
        };
        debug
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Options for one call: `RequestOptions::new().timeout(d).max_retries(n).header(name, value)`. Unset options take
/// the client's settings.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_retries: Option<u32>,
    retry_non_idempotent: Option<bool>,
    headers: Vec<ExtraHeader>,
}

#[allow(dead_code)] // public API, unreachable only in a crate whose spec has no operations
impl RequestOptions {
    /// No options: the client's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// See [`Call::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// See [`Call::max_retries`].
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// See [`Call::total_timeout`].
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// See [`Call::retry_non_idempotent`].
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.retry_non_idempotent = Some(retry);
        self
    }

    /// See [`Call::header`]. Giving the same name twice sends both values.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(ExtraHeader::new(name, value));
        self
    }

    pub(super) fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    pub(super) fn overall_timeout(&self) -> Option<Duration> {
        self.total_timeout
    }

    pub(super) fn retries(&self) -> Option<u32> {
        self.max_retries
    }

    pub(super) fn non_idempotent_retries(&self) -> Option<bool> {
        self.retry_non_idempotent
    }

    /// The extra headers, or the first one that was invalid as an error.
    pub(super) fn extra_headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        self.headers
            .iter()
            .map(|header| match header {
                ExtraHeader::Valid(name, value) => Ok((name.clone(), value.clone())),
                ExtraHeader::Invalid(reason) => Err(Error::InvalidArgument {
                    parameter: "header",
                    reason: reason.clone(),
                }),
            })
            .collect()
    }
}

/// A header checked when it was given; an invalid one is reported when the call is sent, since the builder
/// methods cannot fail.
#[derive(Clone)]
enum ExtraHeader {
    Valid(HeaderName, HeaderValue),
    /// Why it was refused; never contains the value.
    Invalid(String),
}

impl ExtraHeader {
    fn new(name: &str, value: &str) -> Self {
        let Ok(header_name) = HeaderName::from_bytes(name.as_bytes()) else {
            return Self::Invalid(format!("{name:?} is not a valid HTTP header name"));
        };
        if RESERVED_HEADERS.contains(&header_name.as_str()) {
            return Self::Invalid(format!(
                "`{header_name}` is set by the HTTP client from the request itself and cannot be given"
            ));
        }
        match HeaderValue::from_str(value) {
            Ok(mut header_value) => {
                // The SDK cannot know which caller headers are secrets: mark them all, so no Debug shows them.
                header_value.set_sensitive(true);
                Self::Valid(header_name, header_value)
            }
            Err(_) => Self::Invalid(format!(
                "the value of `{header_name}` contains control characters (such as line breaks), which an HTTP \
                 header cannot carry"
            )),
        }
    }
}

impl fmt::Debug for ExtraHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid(name, _) => write!(f, "{name}: [redacted]"),
            Self::Invalid(reason) => write!(f, "invalid: {reason}"),
        }
    }
}

/// A decoded value with the status and headers of the response it came from (the raw response next to the
/// parsed result: `cf-ray`, rate-limit headers...).
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    value: T,
    attempts: u32,
}

#[allow(dead_code)] // public API, unreachable only in a crate whose spec has no operations
impl<T> Response<T> {
    pub(super) fn new(status: StatusCode, headers: HeaderMap, value: T) -> Self {
        Self {
            status,
            headers,
            value,
            attempts: 1,
        }
    }

    pub(super) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How many requests the call took (1 unless earlier attempts failed and were retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The value of the header `name` (case-insensitive), when it was sent once and is visible ASCII, e.g.
    /// `response.header("ratelimit")`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.get_all(name).iter();
        let first = values.next()?;
        if values.next().is_some() {
            return None;
        }
        first.to_str().ok()
    }

    /// The HTTP status (always 2xx: other statuses are errors).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every response header, as received.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Cloudflare's request id (`cf-ray` header), the thing to quote to Cloudflare support.
    pub fn cf_ray(&self) -> Option<&str> {
        self.headers
            .get("cf-ray")
            .and_then(|value| value.to_str().ok())
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, without the status and headers.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The status, the headers and the decoded value.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.value)
    }

    /// The same response with its value transformed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            value: f(self.value),
            attempts: self.attempts,
        }
    }
}

// Header names only: a response could set cookies or echo tokens.
impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("cf_ray", &self.cf_ray())
            .field("headers", &names)
            .field("attempts", &self.attempts)
            .field("value", &self.value)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::auth::AuthScheme;
    use crate::runtime::body::Body;
    use crate::runtime::envelope::enveloped;
    use crate::runtime::testing::block_on;

    const TOKEN: &str = "tok-very-secret";

    fn spec() -> RequestSpec {
        RequestSpec {
            method: reqwest::Method::GET,
            operation: "op-get",
            path_template: "/things/{id}",
            path: "/things/1".to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            accept: "application/json",
            security: &[&[AuthScheme::Bearer]],
        }
    }

    /// A client pointed at a listener that counts connections; the unit tests have no async runtime, so any
    /// attempt to send would also panic.
    fn client_and_listener() -> (Client, std::net::TcpListener) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url(format!("http://{}", listener.local_addr().unwrap()))
            .build()
            .unwrap();
        (client, listener)
    }

    fn assert_nothing_sent(listener: &std::net::TcpListener) {
        match listener.accept() {
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("a connection was made: {other:?}"),
        }
    }

    fn invalid_argument<T: fmt::Debug>(result: Result<T>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidArgument { parameter, reason }) => (parameter, reason),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn argument_error_is_returned_without_sending() {
        let (client, listener) = client_and_listener();
        let stored = || {
            Err(Error::InvalidArgument {
                parameter: "account_id",
                reason: "must be exactly 32 characters long".to_owned(),
            })
        };
        let call = client.call(stored(), enveloped::<()>);
        assert!(format!("{call:?}").contains("argument_error"));
        let (parameter, _) = invalid_argument(block_on(call.into_future()));
        assert_eq!(parameter, "account_id");
        let call = client
            .call(stored(), enveloped::<()>)
            .timeout(Duration::from_secs(1));
        invalid_argument(block_on(call.send_with_response()));
        assert_nothing_sent(&listener);
    }

    #[test]
    fn invalid_extra_headers_are_returned_without_sending() {
        let (client, listener) = client_and_listener();
        let send = |name: &str, value: &str| {
            block_on(
                client
                    .call(Ok(spec()), enveloped::<()>)
                    .header("x-fine", "ok")
                    .header(name, value)
                    .send(),
            )
        };
        let (parameter, reason) = invalid_argument(send("bad name", "v"));
        assert_eq!(parameter, "header");
        assert_eq!(reason, r#""bad name" is not a valid HTTP header name"#);
        let (_, reason) = invalid_argument(send("X-Note", "a\r\nInjected: hunter2"));
        assert!(reason.contains("`x-note`"), "{reason}");
        assert!(!reason.contains("hunter2"), "{reason}");
        let (_, reason) = invalid_argument(send("X-Note", "tab\tis fine, NUL\0 is not"));
        assert!(reason.contains("control characters"), "{reason}");
        let (_, reason) = invalid_argument(send("Content-Length", "3"));
        assert!(reason.contains("`content-length`"), "{reason}");
        // The same through RequestOptions.
        let options = RequestOptions::new().header("Host", "example.com");
        let (parameter, _) = invalid_argument(block_on(
            client
                .call(Ok(spec()), enveloped::<()>)
                .options(options)
                .send(),
        ));
        assert_eq!(parameter, "header");
        assert_nothing_sent(&listener);
    }

    #[test]
    fn options_shape_the_request() {
        let (client, _listener) = client_and_listener();
        let options = RequestOptions::new()
            .timeout(Duration::from_millis(250))
            .max_retries(3)
            .header("User-Agent", "my-app/1.0")
            .header("X-Tag", "a")
            .header("x-tag", "b");
        let mut request = spec();
        request.headers = vec![("If-None-Match", "\"v1\"".to_owned())];
        let prepared = client.prepare(&request, &options).unwrap();
        assert_eq!(prepared.timeout(), Some(&Duration::from_millis(250)));
        let headers = prepared.headers();
        // Replaces the SDK's own value rather than sending two.
        assert_eq!(
            headers
                .get_all(reqwest::header::USER_AGENT)
                .iter()
                .collect::<Vec<_>>(),
            vec!["my-app/1.0"]
        );
        assert_eq!(
            headers.get_all("x-tag").iter().collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert_eq!(headers["if-none-match"], "\"v1\"");
        assert_eq!(
            headers[reqwest::header::AUTHORIZATION],
            format!("Bearer {TOKEN}")
        );
        assert!(headers["x-tag"].is_sensitive());

        // Without options the client's per-attempt timeout applies: the HTTP client's own, set when it was built
        // (60 s by default), so the request carries none.
        let prepared = client.prepare(&spec(), &RequestOptions::new()).unwrap();
        assert_eq!(prepared.timeout(), None);
    }

    #[test]
    fn debug_shows_no_header_values_or_arguments() {
        let (client, _listener) = client_and_listener();
        let call = client
            .call(Ok(spec()), enveloped::<()>)
            .header("X-Auth-Key", "hunter2")
            .max_retries(2);
        let debug = format!("{call:?}");
        assert!(
            debug.contains("op-get") && debug.contains("/things/{id}"),
            "{debug}"
        );
        assert!(debug.contains("x-auth-key: [redacted]"), "{debug}");
        assert!(debug.contains("max_retries: Some(2)"), "{debug}");
        assert!(
            !debug.contains("hunter2") && !debug.contains(TOKEN),
            "{debug}"
        );
    }

    #[test]
    fn response_accessors() {
        let mut headers = HeaderMap::new();
        headers.insert("cf-ray", HeaderValue::from_static("8f1e2d3c4b5a6978-AMS"));
        headers.insert("set-cookie", HeaderValue::from_static("session=hunter2"));
        let response = Response::new(StatusCode::CREATED, headers, 21);
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.cf_ray(), Some("8f1e2d3c4b5a6978-AMS"));
        assert_eq!(*response.value(), 21);
        let debug = format!("{response:?}");
        assert!(
            debug.contains("set-cookie") && !debug.contains("hunter2"),
            "{debug}"
        );
        let doubled = response.map(|value| value * 2);
        assert_eq!(doubled.headers().len(), 2);
        let (status, headers, value) = doubled.into_parts();
        assert_eq!((status, headers.len(), value), (StatusCode::CREATED, 2, 42));
        let none = Response::new(StatusCode::OK, HeaderMap::new(), ());
        assert_eq!(none.cf_ray(), None);
        none.into_value();
    }

    #[test]
    fn calls_and_their_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let (client, _listener) = client_and_listener();
        let call = client.call(Ok(spec()), enveloped::<()>);
        send(&call);
        send(&call.into_future());
        send(&RequestOptions::new());
    }
}
