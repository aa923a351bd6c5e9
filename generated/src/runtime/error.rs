//! The one error type every call returns, and the Cloudflare error envelope it carries.

use std::fmt;

/// Everything that can go wrong with a call, split by what the caller can do about it.
///
/// Errors of a call that was sent say how many requests it took ([`Error::attempts`]): when retries run out the
/// error is that of the last attempt (its variant, status and body), with `attempts` counting every request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cloudflare answered with its error envelope (any status, including 200 with `success: false`).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The response was not what the spec promised: not JSON, not the envelope, or `result` of the wrong shape.
    #[error(
        "could not decode the response (HTTP {status}{}): {source}; body starts: {}",
        attempts_note(*attempts),
        Escaped(body)
    )]
    Decode {
        /// Status of the response that could not be decoded.
        status: reqwest::StatusCode,
        /// The first 512 bytes of the body at most (lossy UTF-8, cut on a char boundary).
        body: String,
        /// What was wrong with it: usually serde_json's complaint, or invalid UTF-8 for a text body.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Requests sent for the call, this one included (1 when it was not retried).
        attempts: u32,
        /// Cloudflare's request id (`cf-ray` header) of the response, when it had one.
        cf_ray: Option<String>,
        /// The response's headers (`retry-after`, rate limits...): an error page from the edge still says when to
        /// come back. [`Error::retry_after`] and [`Error::headers`] read them.
        headers: ResponseHeaders,
    },
    /// No usable response: could not connect, timed out, or the connection broke off (possibly in the middle of
    /// the body, in which case `status` is the status that had arrived). [`Error::is_timeout`] and
    /// [`Error::is_connect`] tell these apart. The message never contains the request URL.
    #[error("request failed{}: {}", attempts_note(*attempts), transport_message(source, *status))]
    Transport {
        /// reqwest's error, without the URL.
        #[source]
        source: reqwest::Error,
        /// Requests sent for the call, this one included.
        attempts: u32,
        /// The status, when the failure came while reading the body.
        status: Option<reqwest::StatusCode>,
    },
    /// The response body was larger than the client's limit (`ClientBuilder::max_response_bytes`); reading
    /// stopped at the limit and the body was dropped.
    #[error(
        "the response (HTTP {status}{}) is larger than the limit of {limit} bytes",
        attempts_note(*attempts)
    )]
    ResponseTooLarge {
        /// Status of the response.
        status: reqwest::StatusCode,
        /// The limit in bytes.
        limit: u64,
        /// Requests sent for the call, this one included.
        attempts: u32,
        /// Cloudflare's request id (`cf-ray` header) of the response, when it had one.
        cf_ray: Option<String>,
    },
    /// The request's URL would be longer than the HTTP client can send (65,534 bytes): path or query values too
    /// long. Refused before anything was sent, and never retried. The message does not repeat the URL.
    #[error(
        "operation `{operation}`: the request URL would be {length} bytes long, over the {limit} bytes an HTTP \
         request can carry (path or query values too long); nothing was sent"
    )]
    UrlTooLong {
        /// The operation's id.
        operation: &'static str,
        /// The URL's length in bytes.
        length: usize,
        /// The longest URL that can be sent.
        limit: usize,
    },
    /// Rejected before anything was sent.
    #[error("invalid argument `{parameter}`: {reason}")]
    InvalidArgument {
        /// The parameter's name as the spec spells it.
        parameter: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The client is not set up to make this call (no credentials, bad base URL, operation needs a scheme the
    /// client lacks).
    #[error("client configuration: {0}")]
    Config(String),
    /// A paginated listing handed back a cursor it had already returned, so following it would loop forever.
    #[error(
        "operation `{operation}`: the server returned cursor `{}` again after {pages} pages; \
         stopped paging to avoid an endless loop",
        Escaped(cursor)
    )]
    RepeatedCursor {
        /// The listing operation's id.
        operation: &'static str,
        /// The cursor seen twice.
        cursor: String,
        /// Pages fetched so far, including the one that repeated the cursor.
        pages: usize,
    },
    /// A listing paged by number answered a page with the same items as a page before it (a server that
    /// ignores the page number), so asking for the next number could loop forever.
    #[error(
        "operation `{operation}`: page {page} has the same items as an earlier page; \
         stopped paging to avoid an endless loop"
    )]
    RepeatedPage {
        /// The listing operation's id.
        operation: &'static str,
        /// The number of the page that repeated an earlier one.
        page: u64,
        /// Pages fetched so far, including the repeated one.
        pages: usize,
    },
    /// An asynchronous operation that was being waited on reported that it failed.
    #[error(
        "asynchronous operation `{}` failed with status `{}` (polled with `{operation}`): {}",
        Escaped(id),
        Escaped(status),
        Escaped(message)
    )]
    OperationFailed {
        /// The operation used to poll its status.
        operation: &'static str,
        /// The id of the asynchronous operation.
        id: String,
        /// The status it reported, as the API spells it.
        status: String,
        /// The reason it gave.
        message: String,
    },
    /// Waiting on an asynchronous operation reached its deadline while the operation was still pending, or before
    /// any poll answered.
    #[error(
        "gave up waiting for asynchronous operation `{}` after {waited:?} (polled with `{operation}`); {}",
        Escaped(id),
        LastStatus(last_status.as_deref())
    )]
    WaitTimeout {
        /// The operation used to poll its status.
        operation: &'static str,
        /// The id of the asynchronous operation.
        id: String,
        /// The status the last poll answered, as the API spells it; `None` when the deadline passed before any
        /// poll answered.
        last_status: Option<String>,
        /// How long was spent waiting.
        waited: std::time::Duration,
    },
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// " after N attempts" when the call was retried, nothing otherwise.
fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

/// The end of [`Error::WaitTimeout`]'s message: the last status seen, or that no poll answered.
struct LastStatus<'a>(Option<&'a str>);

impl fmt::Display for LastStatus<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "last status `{}`", Escaped(status)),
            None => f.write_str("no poll answered before the deadline"),
        }
    }
}

/// What went wrong with the connection, in words, then the innermost cause (reqwest's own message is only
/// "error sending request"). Never includes the URL: the error was stripped of it.
fn transport_message(source: &reqwest::Error, status: Option<reqwest::StatusCode>) -> String {
    let what = if source.is_builder() {
        // Nothing was sent: the HTTP client refused the request as built (e.g. a URL it cannot carry).
        "the HTTP client could not build the request".to_owned()
    } else if source.is_timeout() {
        "timed out".to_owned()
    } else if source.is_connect() {
        "could not connect".to_owned()
    } else if let Some(status) = status {
        format!(
            "the connection broke off while reading the body of an HTTP {} response",
            status.as_u16()
        )
    } else {
        "no response".to_owned()
    };
    let mut cause: &dyn std::error::Error = source;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{what} ({cause})")
}

/// A reqwest failure with nothing else known: one attempt, the URL dropped.
impl From<reqwest::Error> for Error {
    fn from(source: reqwest::Error) -> Self {
        Error::Transport {
            status: source.status(),
            source: source.without_url(),
            attempts: 1,
        }
    }
}

impl Error {
    /// The HTTP status, when a response (or at least its status line) was received.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Transport { status, .. } => *status,
            Error::InvalidArgument { .. }
            | Error::UrlTooLong { .. }
            | Error::Config(_)
            | Error::RepeatedCursor { .. }
            | Error::RepeatedPage { .. }
            | Error::OperationFailed { .. }
            | Error::WaitTimeout { .. } => None,
        }
    }

    /// The Cloudflare error envelope, when the API sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// How many requests the call sent, the failed one included (1 when it was not retried); `None` when the
    /// error came before anything was sent (arguments, configuration) or after (paging, waiting).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(api) => Some(api.attempts),
            Error::Decode { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::ResponseTooLarge { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// Cloudflare's request id (`cf-ray` header) of the response, the thing to quote to Cloudflare support.
    pub fn cf_ray(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.cf_ray(),
            Error::Decode { cf_ray, .. } | Error::ResponseTooLarge { cf_ray, .. } => {
                cf_ray.as_deref()
            }
            _ => None,
        }
    }

    /// The `code` of each of the API's `errors` (none unless this is [`Error::Api`]).
    pub fn codes(&self) -> impl Iterator<Item = ApiCode> + '_ {
        self.api_error().into_iter().flat_map(ApiError::codes)
    }

    /// Whether the API listed this error code, e.g. `err.has_code(10000)` (authentication error).
    pub fn has_code(&self, code: i64) -> bool {
        self.codes().any(|c| c == code)
    }

    /// HTTP 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::NOT_FOUND)
    }

    /// HTTP 429: see [`Error::retry_after`] for when to try again.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::TOO_MANY_REQUESTS)
    }

    /// HTTP 401 or 403: the credentials are missing, wrong, or lack a permission.
    pub fn is_auth_error(&self) -> bool {
        matches!(self.status().map(|s| s.as_u16()), Some(401 | 403))
    }

    /// The attempt ran out of time (connecting, waiting for the response, or reading its body).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_timeout())
    }

    /// Could not connect (refused, DNS, TLS, connect timeout): the request never reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_connect())
    }

    /// Whether the failure is transient, of the kinds the client retries: no usable response (connection, timeout),
    /// or HTTP 408, 409, 429 and 5xx, unless the server said `x-should-retry: false` (and any status when it said
    /// `true`). Says nothing about the method: POST and PATCH are retried only when they provably did not
    /// reach the server (see `ClientBuilder::retry_non_idempotent`).
    pub fn is_retryable(&self) -> bool {
        match self {
            // A request the HTTP client refused to build fails the same way every time.
            Error::Transport { source, .. } => !source.is_builder(),
            Error::Api(api) => super::retry::server_says(&api.headers)
                .unwrap_or_else(|| super::retry::retryable_status(api.status)),
            Error::Decode {
                status, headers, ..
            } => super::retry::server_says(headers)
                .unwrap_or_else(|| super::retry::retryable_status(*status)),
            _ => false,
        }
    }

    /// How long the server asked to wait before trying again (`retry-after-ms`, else `retry-after` in seconds or
    /// as an HTTP date), read off the response's headers: those of an error envelope ([`Error::Api`]) or of a body
    /// that was not one ([`Error::Decode`], e.g. an HTML 429 or 503 page from the edge). A wait too long to
    /// represent (`retry-after: 1e20`) is `Duration::MAX`.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.headers()
            .and_then(|headers| super::retry::retry_after(headers, std::time::SystemTime::now()))
    }

    /// The headers of the response this error came from (`retry-after`, rate limits, `cf-ray`...), for
    /// [`Error::Api`] and [`Error::Decode`].
    pub fn headers(&self) -> Option<&reqwest::header::HeaderMap> {
        match self {
            Error::Api(api) => Some(api.headers()),
            Error::Decode { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// The same error counting `attempts` requests, and with the response's `cf-ray` id and headers when it
    /// carries a response.
    pub(crate) fn with_response_context(
        mut self,
        attempt_count: u32,
        headers: Option<&reqwest::header::HeaderMap>,
    ) -> Self {
        let ray = || headers.and_then(super::retry::cf_ray).map(str::to_owned);
        match &mut self {
            Error::Api(api) => {
                api.attempts = attempt_count;
                if let Some(headers) = headers {
                    api.headers = headers.clone();
                }
            }
            Error::Decode {
                attempts,
                cf_ray,
                headers: kept,
                ..
            } => {
                *attempts = attempt_count;
                if cf_ray.is_none() {
                    *cf_ray = ray();
                }
                if let Some(headers) = headers {
                    *kept = ResponseHeaders::from(headers.clone());
                }
            }
            Error::ResponseTooLarge {
                attempts, cf_ray, ..
            } => {
                *attempts = attempt_count;
                if cf_ray.is_none() {
                    *cf_ray = ray();
                }
            }
            Error::Transport { attempts, .. } => *attempts = attempt_count,
            _ => {}
        }
        self
    }
}

/// Server-supplied text as `Display` writes it: control characters (line breaks, terminal escapes) and the
/// invisible characters that reorder or separate lines are written as `\n`, `\r`, `\t` or `\u{..}`, so a message
/// cannot forge a log line or hide text. The text itself (e.g. [`ApiMessage::message`]) is kept as sent.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut plain_from = 0;
        for (at, c) in text.char_indices() {
            if !needs_escape(c) {
                continue;
            }
            f.write_str(text.get(plain_from..at).unwrap_or_default())?;
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                other => write!(f, "\\u{{{:x}}}", u32::from(other))?,
            }
            plain_from = at + c.len_utf8();
        }
        f.write_str(text.get(plain_from..).unwrap_or_default())
    }
}

/// C0 and C1 controls (DEL included), the line and paragraph separators, and the bidirectional overrides.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// The headers of the response an error came from. Read them as a [`reqwest::header::HeaderMap`] (it
/// dereferences to one); `Debug` lists the header names only, since a response may set cookies or echo tokens.
#[derive(Clone, Default, PartialEq)]
pub struct ResponseHeaders(Box<reqwest::header::HeaderMap>);

impl From<reqwest::header::HeaderMap> for ResponseHeaders {
    fn from(headers: reqwest::header::HeaderMap) -> Self {
        Self(Box::new(headers))
    }
}

impl std::ops::Deref for ResponseHeaders {
    type Target = reqwest::header::HeaderMap;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl fmt::Debug for ResponseHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.keys().map(|name| name.as_str()))
            .finish()
    }
}

/// Cloudflare's error envelope: the status and the `errors` / `messages` it listed, with the response's headers.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the response (may be 2xx when the body said `success: false`).
    pub status: reqwest::StatusCode,
    /// The envelope's `errors`.
    pub errors: Vec<ApiMessage>,
    /// The envelope's `messages`.
    pub messages: Vec<ApiMessage>,
    /// Requests sent for the call, this one included (1 when it was not retried).
    pub attempts: u32,
    headers: reqwest::header::HeaderMap,
    errors_total: usize,
    messages_total: usize,
}

impl ApiError {
    /// An API error without response headers, e.g. for a test double.
    pub fn new(
        status: reqwest::StatusCode,
        errors: Vec<ApiMessage>,
        messages: Vec<ApiMessage>,
    ) -> Self {
        let (errors_total, messages_total) = (errors.len(), messages.len());
        Self {
            status,
            errors,
            messages,
            attempts: 1,
            headers: reqwest::header::HeaderMap::new(),
            errors_total,
            messages_total,
        }
    }

    /// An API error as decoded off the wire, where only the first entries of long lists were kept.
    pub(crate) fn with_totals(
        status: reqwest::StatusCode,
        (errors, errors_total): (Vec<ApiMessage>, usize),
        (messages, messages_total): (Vec<ApiMessage>, usize),
    ) -> Self {
        Self {
            errors_total: errors_total.max(errors.len()),
            messages_total: messages_total.max(messages.len()),
            ..Self::new(status, errors, messages)
        }
    }

    /// How many entries the response's `errors` listed. At most the first 100 are kept in [`ApiError::errors`],
    /// so that a hostile or runaway body cannot cost memory in proportion to its length.
    pub fn errors_total(&self) -> usize {
        self.errors_total
    }

    /// How many entries the response's `messages` listed (at most the first 100 are kept in
    /// [`ApiError::messages`]).
    pub fn messages_total(&self) -> usize {
        self.messages_total
    }

    /// The `code` of each entry in `errors`, in order: what callers usually branch on (`code == 7003`).
    pub fn codes(&self) -> impl Iterator<Item = ApiCode> + '_ {
        self.errors.iter().map(|message| message.code.clone())
    }

    /// The response's headers (e.g. `cf-ray`, or rate-limit headers on a 429).
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }

    /// Cloudflare's request id (`cf-ray` header), the thing to quote to Cloudflare support.
    pub fn cf_ray(&self) -> Option<&str> {
        super::retry::cf_ray(&self.headers)
    }

    /// How long the server asked to wait before trying again (`retry-after-ms`, else `retry-after`).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        super::retry::retry_after(&self.headers, std::time::SystemTime::now())
    }
}

// Header names only: a response could set cookies or echo tokens.
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("errors", &self.errors)
            .field("messages", &self.messages)
            .field("errors_total", &self.errors_total)
            .field("messages_total", &self.messages_total)
            .field("attempts", &self.attempts)
            .field("cf_ray", &self.cf_ray())
            .field("headers", &names)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cloudflare API error (HTTP {}", self.status.as_u16())?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        f.write_str("): ")?;
        if self.errors.is_empty() {
            return f.write_str("no error details given");
        }
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "[{}] {}",
                Escaped(&error.code.to_string()),
                Escaped(&error.message)
            )?;
        }
        if self.errors_total > self.errors.len() {
            write!(f, " (and {} more)", self.errors_total - self.errors.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Cloudflare's error code (`errors[].code`): an integer almost always, but whatever the API sent is kept, so an
/// odd code (too large for `i64`, fractional, a string) never turns an API error into a decode error.
/// Compare it with an integer directly: `code == 7003`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiCode {
    /// An integer code (every code Cloudflare documents).
    Int(i64),
    /// Anything else, as the JSON value that was sent (a huge or fractional number, a string, null...). An array
    /// or object longer than 4 KiB of JSON text is kept as a string of its first 4 KiB.
    Other(serde_json::Value),
}

impl ApiCode {
    /// The code as an integer, when it is one that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ApiCode::Int(code) => Some(*code),
            ApiCode::Other(_) => None,
        }
    }
}

impl Default for ApiCode {
    fn default() -> Self {
        ApiCode::Int(0)
    }
}

impl From<i64> for ApiCode {
    fn from(code: i64) -> Self {
        ApiCode::Int(code)
    }
}

impl From<serde_json::Value> for ApiCode {
    fn from(value: serde_json::Value) -> Self {
        match value.as_i64() {
            Some(code) => ApiCode::Int(code),
            None => ApiCode::Other(value),
        }
    }
}

impl PartialEq<i64> for ApiCode {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

// So that an untyped literal (`code == 7003`, which falls back to `i32`) compares too.
impl PartialEq<i32> for ApiCode {
    fn eq(&self, other: &i32) -> bool {
        self.as_i64() == Some(i64::from(*other))
    }
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiCode::Int(code) => write!(f, "{code}"),
            ApiCode::Other(serde_json::Value::String(text)) => f.write_str(text),
            ApiCode::Other(value) => write!(f, "{value}"),
        }
    }
}

impl serde::Serialize for ApiCode {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ApiCode::Int(code) => serializer.serialize_i64(*code),
            ApiCode::Other(value) => value.serialize(serializer),
        }
    }
}

// Streamed, never through a `serde_json::Value` tree: see `envelope.rs`.
impl<'de> serde::Deserialize<'de> for ApiCode {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        super::envelope::deserialize_code(deserializer)
    }
}

/// One entry of an envelope's `errors` or `messages`. Decoding never fails on a JSON value: missing fields take
/// their defaults, a `message` that is not a string keeps its JSON text (its first 4 KiB), and an entry that is
/// not an object becomes the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApiMessage {
    /// Cloudflare's code (e.g. 7003); see [`ApiCode`].
    pub code: ApiCode,
    /// Human-readable text.
    pub message: String,
    /// Link to the documentation about this code, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Which part of the request the message is about, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<MessageSource>,
}

// Streamed, never through a `serde_json::Value` tree: see `envelope.rs`.
impl<'de> serde::Deserialize<'de> for ApiMessage {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        super::envelope::deserialize_message(deserializer)
    }
}

/// Where in the request an [`ApiMessage`] points.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MessageSource {
    /// JSON pointer into the request body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(code: i64, text: &str) -> ApiMessage {
        ApiMessage {
            code: ApiCode::Int(code),
            message: text.to_owned(),
            ..ApiMessage::default()
        }
    }

    #[test]
    fn api_error_display_lists_codes_and_messages() {
        let err = ApiError::new(
            reqwest::StatusCode::NOT_FOUND,
            vec![
                message(7003, "No route for the URI"),
                message(1000, "other"),
            ],
            vec![message(1, "ignored in display")],
        );
        assert_eq!(
            err.to_string(),
            "Cloudflare API error (HTTP 404): [7003] No route for the URI; [1000] other"
        );
        assert_eq!(err.codes().collect::<Vec<_>>(), vec![7003, 1000]);
        let wrapped = Error::Api(Box::new(err.clone()));
        assert_eq!(wrapped.to_string(), err.to_string());
        assert_eq!(wrapped.status(), Some(reqwest::StatusCode::NOT_FOUND));
        assert_eq!(wrapped.api_error(), Some(&err));
    }

    #[test]
    fn display_escapes_control_characters_in_server_text() {
        let forged = "bad\nINFO 2024-01-01 login ok user=admin\r\u{1b}[31m\u{202e}\u{85}";
        let api = ApiError::new(
            reqwest::StatusCode::BAD_REQUEST,
            vec![ApiMessage {
                code: ApiCode::Other(serde_json::Value::String("E\n1".to_owned())),
                ..message(0, forged)
            }],
            Vec::new(),
        );
        let shown = api.to_string();
        assert_eq!(
            shown,
            "Cloudflare API error (HTTP 400): [E\\n1] bad\\nINFO 2024-01-01 login ok user=admin\\r\\u{1b}[31m\\u{202e}\\u{85}"
        );
        // The value itself is kept as sent.
        assert_eq!(api.errors[0].message, forged);
        let decode = crate::runtime::decode::decode_error(
            reqwest::StatusCode::BAD_GATEWAY,
            b"<html>\r\nSet-Cookie: x\t</html>",
            "not json",
        );
        let failed = Error::OperationFailed {
            operation: "get-status",
            id: "op\n1".to_owned(),
            status: "failed\n".to_owned(),
            message: "line\nbreak".to_owned(),
        };
        let timeout = Error::WaitTimeout {
            operation: "get-status",
            id: "op".to_owned(),
            last_status: Some("x\ny".to_owned()),
            waited: std::time::Duration::ZERO,
        };
        let repeated = Error::RepeatedCursor {
            operation: "list",
            cursor: "c\u{7f}".to_owned(),
            pages: 2,
        };
        for err in [Error::Api(Box::new(api)), decode, failed, timeout, repeated] {
            let shown = err.to_string();
            assert!(
                !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn api_error_display_without_errors() {
        let err = ApiError::new(reqwest::StatusCode::OK, Vec::new(), Vec::new());
        assert_eq!(
            err.to_string(),
            "Cloudflare API error (HTTP 200): no error details given"
        );
    }

    #[test]
    fn api_message_decodes_sparse_and_full_entries() {
        let sparse: ApiMessage = serde_json::from_str(r#"{"message":"m"}"#).unwrap();
        assert_eq!(sparse, message(0, "m"));
        let full: ApiMessage = serde_json::from_str(
            r#"{"code":1000,"message":"m","documentation_url":"https://d","source":{"pointer":"/a"}}"#,
        )
        .unwrap();
        assert_eq!(full.documentation_url.as_deref(), Some("https://d"));
        assert_eq!(
            full.source,
            Some(MessageSource {
                pointer: Some("/a".to_owned())
            })
        );
        assert_eq!(
            serde_json::to_string(&sparse).unwrap(),
            r#"{"code":0,"message":"m"}"#
        );
    }

    #[test]
    fn other_errors_display() {
        let err = Error::InvalidArgument {
            parameter: "account_id",
            reason: "must not be empty".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "invalid argument `account_id`: must not be empty"
        );
        assert_eq!(err.status(), None);
        assert!(err.api_error().is_none());
        assert_eq!(
            Error::Config("x".to_owned()).to_string(),
            "client configuration: x"
        );
    }

    /// A request the HTTP client refuses to build fails the same way every time: not retryable, and said so.
    #[test]
    fn a_request_the_http_client_could_not_build_is_not_retryable() {
        let refused = reqwest::Client::new()
            .get("http://127.0.0.1:9/x")
            .header("bad name", "v")
            .build()
            .unwrap_err();
        assert!(refused.is_builder());
        let err = Error::from(refused);
        assert!(!err.is_retryable() && !err.is_timeout() && !err.is_connect());
        let message = err.to_string();
        assert!(
            message.starts_with("request failed: the HTTP client could not build the request ("),
            "{message}"
        );
        let too_long = Error::UrlTooLong {
            operation: "op",
            length: 70_000,
            limit: 65_534,
        };
        assert!(!too_long.is_retryable());
        assert_eq!(too_long.status(), None);
        assert_eq!(
            too_long.to_string(),
            "operation `op`: the request URL would be 70000 bytes long, over the 65534 bytes an HTTP request can \
             carry (path or query values too long); nothing was sent"
        );
    }

    #[test]
    fn paging_and_waiting_errors_display() {
        let repeated = Error::RepeatedCursor {
            operation: "lists-list",
            cursor: "abc".to_owned(),
            pages: 3,
        };
        assert_eq!(
            repeated.to_string(),
            "operation `lists-list`: the server returned cursor `abc` again after 3 pages; \
             stopped paging to avoid an endless loop"
        );
        let repeated_page = Error::RepeatedPage {
            operation: "dns-records-list",
            page: 4,
            pages: 4,
        };
        assert_eq!(
            repeated_page.to_string(),
            "operation `dns-records-list`: page 4 has the same items as an earlier page; \
             stopped paging to avoid an endless loop"
        );
        let failed = Error::OperationFailed {
            operation: "get-status",
            id: "op1".to_owned(),
            status: "failed".to_owned(),
            message: "list is full".to_owned(),
        };
        assert_eq!(
            failed.to_string(),
            "asynchronous operation `op1` failed with status `failed` (polled with `get-status`): list is full"
        );
        let timeout = Error::WaitTimeout {
            operation: "get-status",
            id: "op1".to_owned(),
            last_status: Some("running".to_owned()),
            waited: std::time::Duration::from_millis(200),
        };
        assert_eq!(
            timeout.to_string(),
            "gave up waiting for asynchronous operation `op1` after 200ms (polled with `get-status`); \
             last status `running`"
        );
        let unanswered = Error::WaitTimeout {
            operation: "get-status",
            id: "op1".to_owned(),
            last_status: None,
            waited: std::time::Duration::from_millis(200),
        };
        assert_eq!(
            unanswered.to_string(),
            "gave up waiting for asynchronous operation `op1` after 200ms (polled with `get-status`); \
             no poll answered before the deadline"
        );
        for err in [repeated, failed, timeout, unanswered] {
            assert_eq!(err.status(), None);
            assert!(err.api_error().is_none());
        }
    }

    #[test]
    fn api_codes_never_overflow_and_compare_with_integers() {
        let decode = |json: &str| serde_json::from_str::<ApiMessage>(json).unwrap().code;
        assert_eq!(decode(r#"{"code":7003}"#), 7003);
        assert_eq!(decode(r#"{"code":7003}"#), ApiCode::Int(7003));
        assert_eq!(decode(r#"{"code":-9223372036854775808}"#), i64::MIN);
        let big = decode(r#"{"code":18446744073709551615}"#);
        assert_eq!(big.as_i64(), None);
        assert_eq!(big.to_string(), "18446744073709551615");
        assert_eq!(decode(r#"{"code":"E7003"}"#).to_string(), "E7003");
        assert_eq!(decode(r#"{"code":null}"#).as_i64(), None);
        assert_eq!(decode(r#"{}"#), 0);
        // Serializes back as it came.
        let message: ApiMessage =
            serde_json::from_str(r#"{"code":18446744073709551615,"message":"m"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&message).unwrap(),
            r#"{"code":18446744073709551615,"message":"m"}"#
        );
    }

    #[test]
    fn response_context_adds_attempts_cf_ray_and_headers_without_showing_values() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cf-ray", "8f1e-AMS".parse().unwrap());
        headers.insert("set-cookie", "session=hunter2".parse().unwrap());
        headers.insert("retry-after", "7".parse().unwrap());
        let api = Error::Api(Box::new(ApiError::new(
            reqwest::StatusCode::TOO_MANY_REQUESTS,
            vec![message(10100, "slow down")],
            Vec::new(),
        )))
        .with_response_context(3, Some(&headers));
        assert_eq!(api.attempts(), Some(3));
        assert_eq!(api.cf_ray(), Some("8f1e-AMS"));
        assert_eq!(api.retry_after(), Some(std::time::Duration::from_secs(7)));
        assert!(api.is_rate_limited() && api.is_retryable() && !api.is_not_found());
        assert!(api.has_code(10100));
        assert_eq!(
            api.to_string(),
            "Cloudflare API error (HTTP 429 after 3 attempts): [10100] slow down"
        );
        let debug = format!("{api:?}");
        assert!(
            debug.contains("set-cookie") && !debug.contains("hunter2"),
            "{debug}"
        );

        let decode = crate::runtime::decode::decode_error(
            reqwest::StatusCode::BAD_GATEWAY,
            b"<html>",
            "not json",
        )
        .with_response_context(2, Some(&headers));
        assert_eq!(decode.attempts(), Some(2));
        assert_eq!(decode.cf_ray(), Some("8f1e-AMS"));
        assert!(decode.is_retryable());
        let config = Error::Config("x".to_owned()).with_response_context(2, None);
        assert_eq!(config.attempts(), None);
        assert!(!config.is_retryable() && !config.is_timeout() && !config.is_connect());
    }
}
