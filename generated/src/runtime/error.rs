//! The one error type every call returns, and the Cloudflare error envelope it carries.

use std::fmt;

/// Everything that can go wrong with a call, split by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cloudflare answered with its error envelope (any status, including 200 with `success: false`).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The response was not what the spec promised: not JSON, not the envelope, or `result` of the wrong shape.
    #[error("could not decode the response (HTTP {status}): {source}; body starts: {body}")]
    Decode {
        /// Status of the response that could not be decoded.
        status: reqwest::StatusCode,
        /// The first 512 bytes of the body at most (lossy UTF-8, cut on a char boundary).
        body: String,
        /// What was wrong with it: usually serde_json's complaint, or invalid UTF-8 for a text body.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Connection, TLS, timeout: no usable response.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
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
        "operation `{operation}`: the server returned cursor `{cursor}` again after {pages} pages; \
         stopped paging to avoid an endless loop"
    )]
    RepeatedCursor {
        /// The listing operation's id.
        operation: &'static str,
        /// The cursor seen twice.
        cursor: String,
        /// Pages fetched so far, including the one that repeated the cursor.
        pages: usize,
    },
    /// An asynchronous operation that was being waited on reported that it failed.
    #[error("asynchronous operation `{id}` failed with status `{status}` (polled with `{operation}`): {message}")]
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
    /// Waiting on an asynchronous operation reached its deadline while the operation was still pending.
    #[error(
        "gave up waiting for asynchronous operation `{id}` after {waited:?} (polled with `{operation}`); \
         last status `{last_status}`"
    )]
    WaitTimeout {
        /// The operation used to poll its status.
        operation: &'static str,
        /// The id of the asynchronous operation.
        id: String,
        /// The status of the last poll, as the API spells it.
        last_status: String,
        /// How long was spent waiting.
        waited: std::time::Duration,
    },
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } => Some(*status),
            Error::Transport(err) => err.status(),
            Error::InvalidArgument { .. }
            | Error::Config(_)
            | Error::RepeatedCursor { .. }
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
}

/// Cloudflare's error envelope: the status and the `errors` / `messages` it listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status of the response (may be 2xx when the body said `success: false`).
    pub status: reqwest::StatusCode,
    /// The envelope's `errors`.
    pub errors: Vec<ApiMessage>,
    /// The envelope's `messages`.
    pub messages: Vec<ApiMessage>,
}

impl ApiError {
    /// The `code` of each entry in `errors`, in order: what callers usually branch on.
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors.iter().map(|message| message.code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cloudflare API error (HTTP {}): ", self.status.as_u16())?;
        if self.errors.is_empty() {
            return f.write_str("no error details given");
        }
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "[{}] {}", error.code, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// One entry of an envelope's `errors` or `messages`. Every field defaults so that a sparse entry still decodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApiMessage {
    /// Cloudflare's numeric code (e.g. 7003).
    pub code: i64,
    /// Human-readable text.
    pub message: String,
    /// Link to the documentation about this code, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Which part of the request the message is about, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<MessageSource>,
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
            code,
            message: text.to_owned(),
            ..ApiMessage::default()
        }
    }

    #[test]
    fn api_error_display_lists_codes_and_messages() {
        let err = ApiError {
            status: reqwest::StatusCode::NOT_FOUND,
            errors: vec![
                message(7003, "No route for the URI"),
                message(1000, "other"),
            ],
            messages: vec![message(1, "ignored in display")],
        };
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
    fn api_error_display_without_errors() {
        let err = ApiError {
            status: reqwest::StatusCode::OK,
            errors: Vec::new(),
            messages: Vec::new(),
        };
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
            last_status: "running".to_owned(),
            waited: std::time::Duration::from_millis(200),
        };
        assert_eq!(
            timeout.to_string(),
            "gave up waiting for asynchronous operation `op1` after 200ms (polled with `get-status`); \
             last status `running`"
        );
        for err in [repeated, failed, timeout] {
            assert_eq!(err.status(), None);
            assert!(err.api_error().is_none());
        }
    }
}
