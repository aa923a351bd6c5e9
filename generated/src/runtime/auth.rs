//! Credentials, the spec's security schemes, and what a request gets from them (headers, query pairs,
//! cookies). Secrets live only in values whose `Debug` prints "[redacted]" and in header values marked
//! sensitive.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

use super::error::{Error, Result};

const EMAIL_HEADER: &str = "X-Auth-Email";
const KEY_HEADER: &str = "X-Auth-Key";
const REDACTED: &str = "[redacted]";

/// One security scheme of an operation, as the spec's `securitySchemes` define it.
#[allow(dead_code)] // generated code constructs the variants its spec uses, possibly not all
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthScheme {
    /// `type: http, scheme: bearer`: the API token.
    Bearer,
    /// `type: http, scheme: basic`: a user name and password.
    Basic,
    /// `type: apiKey, in: header`: the header's name, compared case-insensitively.
    Header(&'static str),
    /// `type: apiKey, in: query`: the query parameter's name.
    Query(&'static str),
    /// `type: apiKey, in: cookie`: the cookie's name.
    Cookie(&'static str),
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthScheme::Bearer => f.write_str("API token (bearer)"),
            AuthScheme::Basic => f.write_str("HTTP basic user and password"),
            AuthScheme::Header(name) => f.write_str(name),
            AuthScheme::Query(name) => write!(f, "query key `{name}`"),
            AuthScheme::Cookie(name) => write!(f, "cookie `{name}`"),
        }
    }
}

/// Where an API key is sent, as a security scheme of `type: apiKey` says (`in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
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

/// The token or the email + Global API key: at most one of the two, so a call never has to guess.
#[derive(Clone)]
enum Mode {
    ApiToken {
        authorization: HeaderValue,
    },
    EmailKey {
        email: String,
        email_header: HeaderValue,
        key_header: HeaderValue,
    },
}

/// An API key for a scheme of `type: apiKey` (e.g. Cloudflare's `X-Auth-User-Service-Key` for Origin CA
/// calls), with its value checked once, at build time.
#[derive(Clone)]
pub(super) struct ApiKey {
    pub(super) location: KeyLocation,
    pub(super) name: String,
    pub(super) value: Secret,
}

impl ApiKey {
    /// Whether this key goes in `location` under `name`: header names compare case-insensitively, query
    /// parameter and cookie names exactly.
    pub(super) fn is_for(&self, location: KeyLocation, name: &str) -> bool {
        self.location == location
            && match location {
                KeyLocation::Header => self.name.eq_ignore_ascii_case(name),
                KeyLocation::Query | KeyLocation::Cookie => self.name == name,
            }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("location", &self.location)
            .field("name", &self.name)
            .field("value", &self.value)
            .finish()
    }
}

/// Everything the client can authenticate with, built (and checked) once, at build time.
#[derive(Clone)]
pub(crate) struct Credentials {
    mode: Option<Mode>,
    /// `Authorization: Basic ..`.
    basic: Option<HeaderValue>,
    keys: Vec<(ApiKey, HeaderValue)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Credentials");
        match &self.mode {
            Some(Mode::ApiToken { .. }) => out.field("token", &Secret::default()),
            Some(Mode::EmailKey { email, .. }) => out
                .field("email", &masked_email(email))
                .field("key", &Secret::default()),
            None => &mut out,
        };
        if self.basic.is_some() {
            out.field("basic", &Secret::default());
        }
        for (key, _) in &self.keys {
            out.field("api_key", key);
        }
        out.finish()
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
    pub(super) others: &'static str,
}

/// The credentials besides the token and the email + key.
#[derive(Clone, Default)]
pub(super) struct OtherCredentials {
    pub(super) basic: Option<(String, Secret)>,
    pub(super) keys: Vec<ApiKey>,
}

/// One thing a request carries to authenticate.
#[derive(Debug)]
pub(crate) enum AuthPart {
    Header(HeaderName, HeaderValue),
    Query(&'static str, String),
    Cookie(&'static str, String),
}

impl Credentials {
    /// At most one of a token and an email with a key, and at least one credential of any kind. Anything else is
    /// refused so that nothing is ever sent with half a credential or an ambiguous one.
    pub(super) fn resolve(
        token: Option<Secret>,
        email: Option<String>,
        key: Option<Secret>,
        others: OtherCredentials,
        names: &CredentialSources,
    ) -> Result<Self> {
        let CredentialSources {
            token: token_name,
            email: email_name,
            key: key_name,
            others: others_name,
        } = *names;
        let has_others = others.basic.is_some() || !others.keys.is_empty();
        let mode = match (token, email, key) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(config(format!(
                    "both an API token ({token_name}) and an email/key ({email_name}, {key_name}) were given; \
                     use exactly one authentication mode"
                )))
            }
            (Some(Secret(token)), None, None) => {
                non_empty(&token, token_name)?;
                Some(Mode::ApiToken {
                    authorization: sensitive(&format!("Bearer {token}"), token_name)?,
                })
            }
            (None, Some(email), Some(Secret(key))) => {
                non_empty(&email, email_name)?;
                non_empty(&key, key_name)?;
                Some(Mode::EmailKey {
                    email_header: sensitive(&email, email_name)?,
                    key_header: sensitive(&key, key_name)?,
                    email,
                })
            }
            (None, Some(_), None) => {
                return Err(config(format!(
                    "{email_name} was given without {key_name}; the email/key mode needs both"
                )))
            }
            (None, None, Some(_)) => {
                return Err(config(format!(
                    "{key_name} was given without {email_name}; the email/key mode needs both"
                )))
            }
            (None, None, None) if has_others => None,
            (None, None, None) => {
                return Err(config(format!(
                    "no credentials: set an API token ({token_name}), or an email and Global API key \
                     ({email_name} and {key_name}), or {others_name}"
                )))
            }
        };
        let basic = match others.basic {
            Some((user, Secret(password))) => {
                if user.contains(':') {
                    return Err(config(
                        "the basic-auth user name contains `:`, which HTTP basic cannot carry"
                            .to_owned(),
                    ));
                }
                use base64::Engine as _;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(sensitive(&format!("Basic {encoded}"), "basic_auth(..)")?)
            }
            None => None,
        };
        let mut keys = Vec::new();
        for key in others.keys {
            let what = format!("the API key `{}`", key.name);
            non_empty(&key.value.0, &what)?;
            if key.name.is_empty() {
                return Err(config("an API key has an empty name".to_owned()));
            }
            // Header-safe for all three places: a query value is percent-encoded, a cookie goes in a header.
            let header = sensitive(&key.value.0, &what)?;
            if key.location == KeyLocation::Header
                && HeaderName::from_bytes(key.name.as_bytes()).is_err()
            {
                return Err(config(format!("`{}` is not a valid header name", key.name)));
            }
            keys.push((key, header));
        }
        Ok(Credentials { mode, basic, keys })
    }

    fn describe(&self) -> String {
        let mut what = Vec::new();
        match &self.mode {
            Some(Mode::ApiToken { .. }) => what.push("an API token".to_owned()),
            Some(Mode::EmailKey { .. }) => what.push("an email and Global API key".to_owned()),
            None => {}
        }
        if self.basic.is_some() {
            what.push("an HTTP basic user and password".to_owned());
        }
        what.extend(
            self.keys
                .iter()
                .map(|(key, _)| format!("the API key `{}`", key.name)),
        );
        what.join(", ")
    }

    fn key(&self, location: KeyLocation, name: &str) -> Option<&(ApiKey, HeaderValue)> {
        self.keys.iter().find(|(key, _)| key.is_for(location, name))
    }

    fn part_for(&self, scheme: AuthScheme) -> Option<AuthPart> {
        let header = |name: &str, value: &HeaderValue| {
            HeaderName::from_bytes(name.as_bytes())
                .ok()
                .map(|name| AuthPart::Header(name, value.clone()))
        };
        match (&self.mode, scheme) {
            (Some(Mode::ApiToken { authorization }), AuthScheme::Bearer) => {
                return Some(AuthPart::Header(AUTHORIZATION, authorization.clone()))
            }
            (Some(Mode::EmailKey { email_header, .. }), AuthScheme::Header(name))
                if name.eq_ignore_ascii_case(EMAIL_HEADER) =>
            {
                return header(name, email_header)
            }
            (Some(Mode::EmailKey { key_header, .. }), AuthScheme::Header(name))
                if name.eq_ignore_ascii_case(KEY_HEADER) =>
            {
                return header(name, key_header)
            }
            _ => {}
        }
        match scheme {
            AuthScheme::Bearer => None,
            AuthScheme::Basic => self
                .basic
                .as_ref()
                .map(|value| AuthPart::Header(AUTHORIZATION, value.clone())),
            AuthScheme::Header(name) => self
                .key(KeyLocation::Header, name)
                .and_then(|(_, value)| header(name, value)),
            AuthScheme::Query(name) => self
                .key(KeyLocation::Query, name)
                .map(|(key, _)| AuthPart::Query(name, key.value.0.clone())),
            AuthScheme::Cookie(name) => self
                .key(KeyLocation::Cookie, name)
                .map(|(key, _)| AuthPart::Cookie(name, key.value.0.clone())),
        }
    }
}

impl Credentials {
    /// What a request carries to authenticate with `alternative`, one part per scheme the credentials have.
    pub(crate) fn parts<'a>(
        &'a self,
        alternative: &'a [AuthScheme],
    ) -> impl Iterator<Item = AuthPart> + 'a {
        alternative
            .iter()
            .filter_map(|scheme| self.part_for(*scheme))
    }
}

/// What an operation's request carries to authenticate: that of the first alternative of its `security` that the
/// credentials satisfy entirely ([`chosen_alternative`]).
#[cfg(test)]
pub(crate) fn auth_parts(
    credentials: &Credentials,
    operation: &str,
    security: &[&[AuthScheme]],
) -> Result<Vec<AuthPart>> {
    let alternative = chosen_alternative(credentials, operation, security)?;
    Ok(credentials.parts(alternative).collect())
}

/// The first alternative of an operation's `security` that the credentials satisfy entirely (the parts are then
/// [`Credentials::parts`]). Empty `security` means no auth: no scheme. No satisfiable alternative is an error, so
/// the request is never sent.
pub(crate) fn chosen_alternative<'s>(
    credentials: &Credentials,
    operation: &str,
    security: &'s [&'s [AuthScheme]],
) -> Result<&'s [AuthScheme]> {
    if security.is_empty() {
        return Ok(&[]);
    }
    let satisfied = security.iter().find(|alternative| {
        alternative
            .iter()
            .all(|scheme| credentials.part_for(*scheme).is_some())
    });
    if let Some(alternative) = satisfied {
        return Ok(alternative);
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
        others: "OTHERS",
    };
    const BOTH_MODES: &[&[AuthScheme]] = &[
        &[AuthScheme::Bearer],
        &[
            AuthScheme::Header("X-Auth-Email"),
            AuthScheme::Header("X-Auth-Key"),
        ],
    ];

    fn no_others() -> OtherCredentials {
        OtherCredentials::default()
    }

    /// The header (name, value) pairs of `parts`, which must all be headers.
    fn headers(parts: Vec<AuthPart>) -> Vec<(HeaderName, HeaderValue)> {
        parts
            .into_iter()
            .map(|part| match part {
                AuthPart::Header(name, value) => (name, value),
                other => panic!("expected a header, got {other:?}"),
            })
            .collect()
    }

    fn secret(value: &str) -> Option<Secret> {
        Some(Secret::new(value.to_owned()))
    }

    fn token() -> Credentials {
        Credentials::resolve(secret("tok-123"), None, None, no_others(), &NAMES).unwrap()
    }

    fn email_key() -> Credentials {
        Credentials::resolve(
            None,
            Some("a@example.com".to_owned()),
            secret("key-456"),
            no_others(),
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
        let headers = headers(auth_parts(&token(), "op", BOTH_MODES).unwrap());
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
        let headers = headers(auth_parts(&email_key(), "op", security).unwrap());
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["x-auth-email", "x-auth-key"]);
        assert_eq!(headers[1].1, "key-456");
        assert!(headers.iter().all(|(_, value)| value.is_sensitive()));
    }

    #[test]
    fn no_security_sends_no_credentials() {
        assert!(auth_parts(&token(), "op", &[]).unwrap().is_empty());
        let optional: &[&[AuthScheme]] = &[&[AuthScheme::Header("X-Other")], &[]];
        assert!(auth_parts(&token(), "op", optional).unwrap().is_empty());
    }

    #[test]
    fn unsatisfiable_security_names_accepted_schemes() {
        let message = config_message(auth_parts(
            &token(),
            "op-id",
            &[&[AuthScheme::Header("X-Auth-Key")]],
        ));
        assert_eq!(
            message,
            "operation `op-id` accepts X-Auth-Key, but the client was built with an API token"
        );
        let message = config_message(auth_parts(&email_key(), "op-id", &[&[AuthScheme::Bearer]]));
        assert!(
            message.contains("accepts API token (bearer), but"),
            "{message}"
        );
        // Half an alternative is not enough.
        let message = config_message(auth_parts(
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
        let none = config_message(Credentials::resolve(None, None, None, no_others(), &NAMES));
        assert!(none.starts_with("no credentials"), "{none}");
        let both = config_message(Credentials::resolve(
            secret("t"),
            Some("e".into()),
            secret("k"),
            no_others(),
            &NAMES,
        ));
        assert!(both.contains("use exactly one"), "{both}");
        let token_and_key = config_message(Credentials::resolve(
            secret("t"),
            None,
            secret("k"),
            no_others(),
            &NAMES,
        ));
        assert!(token_and_key.contains("use exactly one"), "{token_and_key}");
        let email_only = config_message(Credentials::resolve(
            None,
            Some("e".into()),
            None,
            no_others(),
            &NAMES,
        ));
        assert_eq!(
            email_only,
            "EMAIL was given without KEY; the email/key mode needs both"
        );
        let key_only = config_message(Credentials::resolve(
            None,
            None,
            secret("k"),
            no_others(),
            &NAMES,
        ));
        assert_eq!(
            key_only,
            "KEY was given without EMAIL; the email/key mode needs both"
        );
        assert_eq!(
            config_message(Credentials::resolve(
                secret(""),
                None,
                None,
                no_others(),
                &NAMES
            )),
            "TOKEN is empty"
        );
    }

    #[test]
    fn invalid_header_characters_are_refused_without_echoing_the_secret() {
        let message = config_message(Credentials::resolve(
            secret("bad\nsecret-value"),
            None,
            None,
            no_others(),
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

    fn with_others(others: OtherCredentials) -> Credentials {
        Credentials::resolve(None, None, None, others, &NAMES).unwrap()
    }

    fn key(location: KeyLocation, name: &str, value: &str) -> ApiKey {
        ApiKey {
            location,
            name: name.to_owned(),
            value: Secret::new(value.to_owned()),
        }
    }

    #[test]
    fn api_keys_fill_their_scheme_in_header_query_or_cookie() {
        let credentials = with_others(OtherCredentials {
            basic: None,
            keys: vec![
                key(
                    KeyLocation::Header,
                    "X-Auth-User-Service-Key",
                    "v1.0-origin",
                ),
                key(KeyLocation::Query, "api_key", "q-secret"),
                key(KeyLocation::Cookie, "session", "c-secret"),
            ],
        });
        // The whole document's alternatives: the email + key, a token, or the service key.
        let origin_ca: &[&[AuthScheme]] = &[
            &[
                AuthScheme::Header("X-Auth-Email"),
                AuthScheme::Header("X-Auth-Key"),
            ],
            &[AuthScheme::Bearer],
            &[AuthScheme::Header("x-auth-user-service-key")],
        ];
        let sent = headers(auth_parts(&credentials, "op", origin_ca).unwrap());
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "x-auth-user-service-key");
        assert_eq!(sent[0].1, "v1.0-origin");
        assert!(sent[0].1.is_sensitive());

        let parts = auth_parts(
            &credentials,
            "op",
            &[&[AuthScheme::Query("api_key"), AuthScheme::Cookie("session")]],
        )
        .unwrap();
        assert!(matches!(&parts[0], AuthPart::Query("api_key", v) if v == "q-secret"));
        assert!(matches!(&parts[1], AuthPart::Cookie("session", v) if v == "c-secret"));
        // A query key is matched by its exact name.
        let message = config_message(auth_parts(
            &credentials,
            "op",
            &[&[AuthScheme::Query("API_KEY")]],
        ));
        assert!(
            message.contains("but the client was built with the API key"),
            "{message}"
        );
    }

    #[test]
    fn basic_auth_is_encoded_once_and_refuses_a_colon_in_the_user() {
        let credentials = with_others(OtherCredentials {
            basic: Some(("Aladdin".to_owned(), Secret::new("open sesame".to_owned()))),
            keys: Vec::new(),
        });
        let sent = headers(auth_parts(&credentials, "op", &[&[AuthScheme::Basic]]).unwrap());
        // RFC 7617's example.
        assert_eq!(sent[0].1, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(sent[0].1.is_sensitive());
        let message = config_message(Credentials::resolve(
            None,
            None,
            None,
            OtherCredentials {
                basic: Some(("a:b".to_owned(), Secret::new("p".to_owned()))),
                keys: Vec::new(),
            },
            &NAMES,
        ));
        assert!(message.contains("contains `:`"), "{message}");
    }

    #[test]
    fn other_credentials_beside_a_token_are_used_only_where_the_token_is_not_accepted() {
        let credentials = Credentials::resolve(
            secret("tok-123"),
            None,
            None,
            OtherCredentials {
                basic: None,
                keys: vec![key(KeyLocation::Header, "X-Auth-User-Service-Key", "svc")],
            },
            &NAMES,
        )
        .unwrap();
        let both: &[&[AuthScheme]] = &[
            &[AuthScheme::Bearer],
            &[AuthScheme::Header("X-Auth-User-Service-Key")],
        ];
        assert_eq!(
            headers(auth_parts(&credentials, "op", both).unwrap())[0].1,
            "Bearer tok-123"
        );
        let only_key: &[&[AuthScheme]] = &[&[AuthScheme::Header("X-Auth-User-Service-Key")]];
        assert_eq!(
            headers(auth_parts(&credentials, "op", only_key).unwrap())[0].1,
            "svc"
        );
        let debug = format!("{credentials:?}");
        assert!(
            !debug.contains("svc") && !debug.contains("tok-123"),
            "{debug}"
        );
    }

    #[test]
    fn an_empty_or_unsendable_api_key_is_refused_at_build_time() {
        let message = config_message(Credentials::resolve(
            None,
            None,
            None,
            OtherCredentials {
                basic: None,
                keys: vec![key(KeyLocation::Header, "X-Key", "")],
            },
            &NAMES,
        ));
        assert_eq!(message, "the API key `X-Key` is empty");
        let message = config_message(Credentials::resolve(
            None,
            None,
            None,
            OtherCredentials {
                basic: None,
                keys: vec![key(KeyLocation::Header, "bad header", "v")],
            },
            &NAMES,
        ));
        assert!(message.contains("not a valid header name"), "{message}");
    }
}
