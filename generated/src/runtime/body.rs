//! Request bodies. They are kept as bytes and parts, and the reqwest body is built anew for every attempt, so a
//! request can be sent again (multipart forms and streams cannot be cloned once built).

use std::fmt;

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;

use super::error::{Error, Result};

/// What a request carries. Built by generated code.
#[allow(dead_code)] // generated code builds the kinds its spec uses
pub(crate) enum Body {
    Empty,
    /// Serialized JSON, sent as `application/json`.
    Json(Vec<u8>),
    /// Bytes with the spec's content type (`application/octet-stream`, `text/plain`, ...).
    Raw {
        content_type: &'static str,
        data: Vec<u8>,
    },
    /// `multipart/form-data`; the form (and its boundary) is made per attempt.
    Multipart(Vec<Part>),
}

/// One field of a multipart form.
#[allow(dead_code)] // generated code builds the kinds its spec uses
pub(crate) struct Part {
    /// The field name as the spec spells it.
    pub name: &'static str,
    pub value: PartValue,
}

#[allow(dead_code)] // generated code builds the kinds its spec uses
pub(crate) enum PartValue {
    Text(String),
    Bytes {
        data: Vec<u8>,
        file_name: Option<String>,
        content_type: Option<&'static str>,
    },
}

/// `value` as the text of a multipart part that is not a plain string or a file: JSON text, except that a
/// value serialized as a JSON string (an enum's value, a time) goes as that string without quotes, since
/// the part holds the text itself. Errors as [`Body::json`].
#[allow(dead_code)] // only specs with multipart bodies call it
pub(crate) fn json_text<T: Serialize + ?Sized>(
    parameter: &'static str,
    value: &T,
) -> Result<String> {
    let text = serde_json::to_string(value).map_err(|err| Error::InvalidArgument {
        parameter,
        reason: format!("could not be serialized as JSON: {err}"),
    })?;
    if text.starts_with('"') {
        if let Ok(unquoted) = serde_json::from_str::<String>(&text) {
            return Ok(unquoted);
        }
    }
    Ok(text)
}

impl Body {
    /// `value` serialized as JSON; a value that cannot be (e.g. a map with non-string keys) is an
    /// [`Error::InvalidArgument`] naming `parameter`, before anything is sent.
    #[allow(dead_code)] // only specs with JSON bodies call it
    pub(crate) fn json<T: Serialize + ?Sized>(parameter: &'static str, value: &T) -> Result<Body> {
        serde_json::to_vec(value)
            .map(Body::Json)
            .map_err(|err| Error::InvalidArgument {
                parameter,
                reason: format!("could not be serialized as JSON: {err}"),
            })
    }

    /// Puts this body (and its content type) on one attempt's request. Borrows, so the next attempt can do it
    /// again. `http` builds the multipart form (a fresh boundary each time).
    pub(super) fn apply(
        &self,
        mut request: reqwest::Request,
        http: &reqwest::Client,
    ) -> Result<reqwest::Request> {
        let (content_type, data) = match self {
            Body::Empty => return Ok(request),
            Body::Json(data) => (HeaderValue::from_static("application/json"), data),
            Body::Raw { content_type, data } => (content_type_value(content_type, "body")?, data),
            // Sets the multipart content type with its boundary.
            Body::Multipart(parts) => {
                return Ok(reqwest::RequestBuilder::from_parts(http.clone(), request)
                    .multipart(form(parts)?)
                    .build()?)
            }
        };
        request.headers_mut().append(CONTENT_TYPE, content_type);
        *request.body_mut() = Some(data.clone().into());
        Ok(request)
    }
}

fn form(parts: &[Part]) -> Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new();
    for part in parts {
        let built = match &part.value {
            PartValue::Text(text) => reqwest::multipart::Part::text(text.clone()),
            PartValue::Bytes {
                data,
                file_name,
                content_type,
            } => {
                let mut built = reqwest::multipart::Part::bytes(data.clone());
                if let Some(file_name) = file_name {
                    built = built.file_name(file_name.clone());
                }
                if let Some(content_type) = content_type {
                    content_type_value(content_type, part.name)?;
                    built = built
                        .mime_str(content_type)
                        .map_err(|_| invalid_content_type(content_type, part.name))?;
                }
                built
            }
        };
        form = form.part(part.name, built);
    }
    Ok(form)
}

/// Content types come from the spec, so a bad one is a generator bug: reported, never a panic.
fn content_type_value(content_type: &'static str, parameter: &'static str) -> Result<HeaderValue> {
    HeaderValue::from_str(content_type).map_err(|_| invalid_content_type(content_type, parameter))
}

fn invalid_content_type(content_type: &str, parameter: &'static str) -> Error {
    Error::InvalidArgument {
        parameter,
        reason: format!("the content type `{content_type}` is not a valid media type"),
    }
}

// Bodies may hold anything the caller sends (keys, personal data): Debug shows only their shape.
impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(data) => write!(f, "Json({} bytes)", data.len()),
            Body::Raw { content_type, data } => {
                write!(f, "Raw({content_type}, {} bytes)", data.len())
            }
            Body::Multipart(parts) => f
                .debug_list()
                .entries(parts.iter().map(|part| part.name))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(body: &Body) -> Result<reqwest::Request> {
        let request = reqwest::Request::new(
            reqwest::Method::POST,
            reqwest::Url::parse("http://127.0.0.1:9/x").unwrap(),
        );
        body.apply(request, &reqwest::Client::new())
    }

    #[test]
    fn form_parts_hold_text_and_json() {
        // An enum's value, a string: the text itself, not a quoted JSON string.
        assert_eq!(json_text("kind", "openapi_v3").unwrap(), "openapi_v3");
        assert_eq!(json_text("name", "say \"hi\"").unwrap(), "say \"hi\"");
        assert_eq!(json_text("enabled", &true).unwrap(), "true");
        assert_eq!(json_text("count", &3).unwrap(), "3");
        assert_eq!(
            json_text("settings", &serde_json::json!({"a": "b"})).unwrap(),
            r#"{"a":"b"}"#
        );
    }

    #[test]
    fn json_serializes_or_names_the_parameter() {
        let body = Body::json("rule", &serde_json::json!({"a": [1, "two"]})).unwrap();
        let Body::Json(data) = &body else {
            panic!("expected Json, got {body:?}")
        };
        assert_eq!(data, br#"{"a":[1,"two"]}"#);
        let request = build(&body).unwrap();
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(
            request.body().and_then(reqwest::Body::as_bytes),
            Some(&br#"{"a":[1,"two"]}"#[..])
        );

        // Maps with non-string keys have no JSON form.
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1u8], "v");
        match Body::json("items", &bad) {
            Err(Error::InvalidArgument { parameter, reason }) => {
                assert_eq!(parameter, "items");
                assert!(
                    reason.starts_with("could not be serialized as JSON"),
                    "{reason}"
                );
            }
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn raw_and_empty_bodies() {
        let raw = Body::Raw {
            content_type: "text/plain",
            data: b"hello".to_vec(),
        };
        let request = build(&raw).unwrap();
        assert_eq!(request.headers()[CONTENT_TYPE], "text/plain");
        assert_eq!(
            request.body().and_then(reqwest::Body::as_bytes),
            Some(&b"hello"[..])
        );
        let request = build(&Body::Empty).unwrap();
        assert!(request.body().is_none());
        assert!(!request.headers().contains_key(CONTENT_TYPE));

        let bad = Body::Raw {
            content_type: "text/plain\n",
            data: Vec::new(),
        };
        assert!(matches!(
            build(&bad),
            Err(Error::InvalidArgument {
                parameter: "body",
                ..
            })
        ));
    }

    #[test]
    fn multipart_is_built_per_attempt() {
        let body = Body::Multipart(vec![
            Part {
                name: "metadata",
                value: PartValue::Text(r#"{"main_module":"a.js"}"#.to_owned()),
            },
            Part {
                name: "a.js",
                value: PartValue::Bytes {
                    data: b"export default {}".to_vec(),
                    file_name: Some("a.js".to_owned()),
                    content_type: Some("application/javascript+module"),
                },
            },
        ]);
        let boundary = |request: &reqwest::Request| {
            let content_type = request.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
            let boundary = content_type
                .strip_prefix("multipart/form-data; boundary=")
                .unwrap_or_else(|| panic!("{content_type}"))
                .to_owned();
            assert!(request.body().is_some());
            boundary
        };
        // Two attempts from the same body: each gets its own form, and the parts are still there afterwards.
        let first = boundary(&build(&body).unwrap());
        let second = boundary(&build(&body).unwrap());
        assert_ne!(first, second, "each attempt builds a fresh form");
        let Body::Multipart(parts) = &body else {
            panic!()
        };
        assert_eq!(parts.len(), 2);
        assert_eq!(format!("{body:?}"), r#"["metadata", "a.js"]"#);

        let bad = Body::Multipart(vec![Part {
            name: "file",
            value: PartValue::Bytes {
                data: Vec::new(),
                file_name: None,
                content_type: Some("not a type"),
            },
        }]);
        assert!(matches!(
            build(&bad),
            Err(Error::InvalidArgument {
                parameter: "file",
                ..
            })
        ));
    }

    #[test]
    fn debug_shows_only_the_shape() {
        let body = Body::json("secret", "hunter2").unwrap();
        assert_eq!(format!("{body:?}"), "Json(9 bytes)");
    }
}
