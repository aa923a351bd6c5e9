//! Credentials, the spec's security schemes, and which headers a request gets. Secrets live only in values
//! whose `Debug` prints "[redacted]" and in header values marked sensitive.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

use super::error::{Error, Result};

const EMAIL_HEADER: &str = "X-Auth-Email";
const KEY_HEADER: &str = "X-Auth-Key";
const REDACTED: &str = "[redacted]";

/// One security scheme of an operation, as the spec's `securitySchemes` define it.
#[allow(dead_code)] // generated code constructs the variants its spec uses, possibly not both
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthScheme {
    /// `type: http, scheme: bearer`: the API token.
    Bearer,
    /// `type: apiKey, in: header`: the header's name, compared case-insensitively.
    Header(&'static str),
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthScheme::Bearer => f.write_str("API token (bearer)"),
            AuthScheme::Header(name) => f.write_str(name),
        }
    }
}

/// A secret string: kept out of `Debug`, and with no `Display` at all.
#[derive(Clone, Default)]
pub(super) struct Secret(String);

impl Secret {
    pub(super) fn new(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The client's authentication mode, with header values built (and checked) once, at build time.
#[derive(Clone)]
pub(crate) enum Credentials {
    ApiToken {
        authorization: HeaderValue,
    },
    EmailKey {
        email: String,
        email_header: HeaderValue,
        key_header: HeaderValue,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ApiToken { .. } => f
                .debug_struct("ApiToken")
                .field("token", &Secret::default())
                .finish(),
            Credentials::EmailKey { email, .. } => f
                .debug_struct("EmailKey")
                .field("email", &masked_email(email))
                .field("key", &Secret::default())
                .finish(),
        }
    }
}

/// Enough of an email to tell accounts apart in a log, not the address: `a***@example.com`.
pub(super) fn masked_email(email: &str) -> String {
    let first = email.chars().next().map(String::from).unwrap_or_default();
    match email.rsplit_once('@') {
        Some((_, domain)) => format!("{first}***@{domain}"),
        None => format!("{first}***"),
    }
}

/// How the places credentials come from are named in error messages (builder methods or environment variables).
pub(super) struct CredentialSources {
    pub(super) token: &'static str,
    pub(super) email: &'static str,
    pub(super) key: &'static str,
}

impl Credentials {
    /// Exactly one mode: a token, or an email with a key. Anything else is refused so that nothing is ever sent
    /// with half a credential or an ambiguous one.
    pub(super) fn resolve(
        token: Option<Secret>,
        email: Option<String>,
        key: Option<Secret>,
        names: &CredentialSources,
    ) -> Result<Self> {
        let CredentialSources {
            token: token_name,
            email: email_name,
            key: key_name,
        } = *names;
        match (token, email, key) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(config(format!(
                "both an API token ({token_name}) and an email/key ({email_name}, {key_name}) were given; \
                 use exactly one authentication mode"
            ))),
            (Some(Secret(token)), None, None) => {
                non_empty(&token, token_name)?;
                Ok(Credentials::ApiToken { authorization: sensitive(&format!("Bearer {token}"), token_name)? })
            }
            (None, Some(email), Some(Secret(key))) => {
                non_empty(&email, email_name)?;
                non_empty(&key, key_name)?;
                Ok(Credentials::EmailKey {
                    email_header: sensitive(&email, email_name)?,
                    key_header: sensitive(&key, key_name)?,
                    email,
                })
            }
            (None, Some(_), None) => Err(config(format!(
                "{email_name} was given without {key_name}; the email/key mode needs both"
            ))),
            (None, None, Some(_)) => Err(config(format!(
                "{key_name} was given without {email_name}; the email/key mode needs both"
            ))),
            (None, None, None) => Err(config(format!(
                "no credentials: set an API token ({token_name}), or an email and Global API key \
                 ({email_name} and {key_name})"
            ))),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Credentials::ApiToken { .. } => "an API token",
            Credentials::EmailKey { .. } => "an email and Global API key",
        }
    }

    fn header_for(&self, scheme: AuthScheme) -> Option<(HeaderName, HeaderValue)> {
        match (self, scheme) {
            (Credentials::ApiToken { authorization }, AuthScheme::Bearer) => {
                Some((AUTHORIZATION, authorization.clone()))
            }
            (Credentials::EmailKey { email_header, .. }, AuthScheme::Header(name))
                if name.eq_ignore_ascii_case(EMAIL_HEADER) =>
            {
                Some((
                    HeaderName::from_static("x-auth-email"),
                    email_header.clone(),
                ))
            }
            (Credentials::EmailKey { key_header, .. }, AuthScheme::Header(name))
                if name.eq_ignore_ascii_case(KEY_HEADER) =>
            {
                Some((HeaderName::from_static("x-auth-key"), key_header.clone()))
            }
            _ => None,
        }
    }
}

/// The auth headers for an operation: those of the first alternative of its `security` that the credentials
/// satisfy entirely. Empty `security` means no auth (no headers). No satisfiable alternative is an error, so the
/// request is never sent.
pub(crate) fn auth_headers(
    credentials: &Credentials,
    operation: &str,
    security: &[&[AuthScheme]],
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    if security.is_empty() {
        return Ok(Vec::new());
    }
    for alternative in security {
        let headers: Option<Vec<_>> = alternative
            .iter()
            .map(|scheme| credentials.header_for(*scheme))
            .collect();
        if let Some(headers) = headers {
            return Ok(headers);
        }
    }
    let accepted: Vec<String> = security
        .iter()
        .map(|alternative| {
            if alternative.is_empty() {
                "no authentication".to_owned()
            } else {
                alternative
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        })
        .collect();
    Err(config(format!(
        "operation `{operation}` accepts {}, but the client was built with {}",
        accepted.join(" or "),
        credentials.describe()
    )))
}

fn config(message: String) -> Error {
    Error::Config(message)
}

fn non_empty(value: &str, name: &str) -> Result<()> {
    if value.is_empty() {
        Err(config(format!("{name} is empty")))
    } else {
        Ok(())
    }
}

/// A header value marked sensitive (hidden from `Debug`, not indexed by HTTP/2 HPACK). The error never
/// repeats the value.
fn sensitive(value: &str, name: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        config(format!(
            "{name} contains characters that cannot be sent in an HTTP header"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: CredentialSources = CredentialSources {
        token: "TOKEN",
        email: "EMAIL",
        key: "KEY",
    };
    const BOTH_MODES: &[&[AuthScheme]] = &[
        &[AuthScheme::Bearer],
        &[
            AuthScheme::Header("X-Auth-Email"),
            AuthScheme::Header("X-Auth-Key"),
        ],
    ];

    fn secret(value: &str) -> Option<Secret> {
        Some(Secret::new(value.to_owned()))
    }

    fn token() -> Credentials {
        Credentials::resolve(secret("tok-123"), None, None, &NAMES).unwrap()
    }

    fn email_key() -> Credentials {
        Credentials::resolve(
            None,
            Some("a@example.com".to_owned()),
            secret("key-456"),
            &NAMES,
        )
        .unwrap()
    }

    fn config_message(result: Result<impl fmt::Debug>) -> String {
        match result {
            Err(Error::Config(message)) => message,
            other => panic!("expected Config, got {other:?}"),
        }
    }

    #[test]
    fn token_selects_bearer() {
        let headers = auth_headers(&token(), "op", BOTH_MODES).unwrap();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].0, AUTHORIZATION);
        assert_eq!(headers[0].1, "Bearer tok-123");
        assert!(headers[0].1.is_sensitive());
    }

    #[test]
    fn email_key_selects_both_headers_case_insensitively() {
        let security: &[&[AuthScheme]] = &[
            &[AuthScheme::Bearer],
            &[
                AuthScheme::Header("x-auth-EMAIL"),
                AuthScheme::Header("X-AUTH-KEY"),
            ],
        ];
        let headers = auth_headers(&email_key(), "op", security).unwrap();
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["x-auth-email", "x-auth-key"]);
        assert_eq!(headers[1].1, "key-456");
        assert!(headers.iter().all(|(_, value)| value.is_sensitive()));
    }

    #[test]
    fn no_security_sends_no_credentials() {
        assert!(auth_headers(&token(), "op", &[]).unwrap().is_empty());
        let optional: &[&[AuthScheme]] = &[&[AuthScheme::Header("X-Other")], &[]];
        assert!(auth_headers(&token(), "op", optional).unwrap().is_empty());
    }

    #[test]
    fn unsatisfiable_security_names_accepted_schemes() {
        let message = config_message(auth_headers(
            &token(),
            "op-id",
            &[&[AuthScheme::Header("X-Auth-Key")]],
        ));
        assert_eq!(
            message,
            "operation `op-id` accepts X-Auth-Key, but the client was built with an API token"
        );
        let message = config_message(auth_headers(
            &email_key(),
            "op-id",
            &[&[AuthScheme::Bearer]],
        ));
        assert!(
            message.contains("accepts API token (bearer), but"),
            "{message}"
        );
        // Half an alternative is not enough.
        let message = config_message(auth_headers(
            &email_key(),
            "op-id",
            &[&[
                AuthScheme::Header("X-Auth-Email"),
                AuthScheme::Header("X-Other"),
            ]],
        ));
        assert!(message.contains("X-Auth-Email + X-Other"), "{message}");
    }

    #[test]
    fn resolve_refuses_anything_but_one_mode() {
        let none = config_message(Credentials::resolve(None, None, None, &NAMES));
        assert!(none.starts_with("no credentials"), "{none}");
        let both = config_message(Credentials::resolve(
            secret("t"),
            Some("e".into()),
            secret("k"),
            &NAMES,
        ));
        assert!(both.contains("use exactly one"), "{both}");
        let token_and_key =
            config_message(Credentials::resolve(secret("t"), None, secret("k"), &NAMES));
        assert!(token_and_key.contains("use exactly one"), "{token_and_key}");
        let email_only = config_message(Credentials::resolve(None, Some("e".into()), None, &NAMES));
        assert_eq!(
            email_only,
            "EMAIL was given without KEY; the email/key mode needs both"
        );
        let key_only = config_message(Credentials::resolve(None, None, secret("k"), &NAMES));
        assert_eq!(
            key_only,
            "KEY was given without EMAIL; the email/key mode needs both"
        );
        assert_eq!(
            config_message(Credentials::resolve(secret(""), None, None, &NAMES)),
            "TOKEN is empty"
        );
    }

    #[test]
    fn invalid_header_characters_are_refused_without_echoing_the_secret() {
        let message = config_message(Credentials::resolve(
            secret("bad\nsecret-value"),
            None,
            None,
            &NAMES,
        ));
        assert!(
            message.starts_with("TOKEN contains characters"),
            "{message}"
        );
        assert!(!message.contains("secret-value"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let token_debug = format!("{:?}", token());
        assert!(
            token_debug.contains(REDACTED) && !token_debug.contains("tok-123"),
            "{token_debug}"
        );
        let email_debug = format!("{:?}", email_key());
        assert!(
            email_debug.contains(REDACTED) && !email_debug.contains("key-456"),
            "{email_debug}"
        );
        assert_eq!(format!("{:?}", Secret::new("s".into())), REDACTED);
        assert!(email_debug.contains("a***@example.com"), "{email_debug}");
        assert!(!email_debug.contains("a@example.com"), "{email_debug}");
        assert_eq!(masked_email("no-at-sign"), "n***");
        assert_eq!(masked_email(""), "***");
    }
}
