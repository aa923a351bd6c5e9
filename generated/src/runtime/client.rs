//! The client: configuration (builder, environment), and sending one request of a call.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, COOKIE, USER_AGENT};
use reqwest::StatusCode;
use tracing::field::Empty;
use tracing::Instrument;

use super::auth::{
    chosen_alternative, masked_email, ApiKey, AuthPart, CredentialSources, Credentials,
    KeyLocation, OtherCredentials, Secret,
};
use super::call::{Call, RequestOptions, Response};
use super::decode::{error_response, Decoder};
use super::error::{Error, Result};
use super::request::RequestSpec;
use super::retry::{self, RetryPolicy, Sleeper, RETRY_COUNT};

/// The header of Cloudflare's Origin CA key (`user_service_key` in its document).
const USER_SERVICE_KEY_HEADER: &str = "X-Auth-User-Service-Key";
const USER_AGENT_VALUE: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));
/// Redirects followed by the default HTTP client, all on the same origin.
const MAX_REDIRECTS: usize = 10;
/// Default limit of each attempt, from connecting until the body is read.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit on connecting (TCP and TLS), for the default HTTP client.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit on a response body: 64 MiB.
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Async client for the API. Cheap to clone (one `Arc`); share it rather than building one per call.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Validated http(s) URL without trailing "/", so paths starting with "/" join without "//".
    base_url: String,
    credentials: Credentials,
    timeout: Duration,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
    max_response_bytes: u64,
    sleeper: Sleeper,
    /// What every request starts from (User-Agent), built once: cloning it costs less than building it.
    base_headers: HeaderMap,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("credentials", &self.inner.credentials)
            .field("timeout", &self.inner.timeout)
            .field("total_timeout", &self.inner.total_timeout)
            .field("retry", &self.inner.retry)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]: exactly one auth mode (API token, or email + Global API key), optionally a base URL,
/// the caller's `reqwest::ClientBuilder` settings, timeouts, retries and the response size limit.
#[derive(Default)]
pub struct ClientBuilder {
    api_token: Option<Secret>,
    api_email: Option<String>,
    api_key: Option<Secret>,
    other_credentials: OtherCredentials,
    base_url: Option<String>,
    allow_insecure_http: bool,
    http_client_builder: Option<reqwest::ClientBuilder>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    max_response_bytes: Option<u64>,
    sleeper: Option<Sleeper>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_token", &self.api_token)
            .field("api_email", &self.api_email.as_deref().map(masked_email))
            .field("api_key", &self.api_key)
            .field(
                "basic_auth",
                &self
                    .other_credentials
                    .basic
                    .as_ref()
                    .map(|(user, password)| (user, password)),
            )
            .field("api_keys", &self.other_credentials.keys)
            .field("base_url", &self.base_url)
            .field("allow_insecure_http", &self.allow_insecure_http)
            // The caller's builder may carry default headers of its own; only say whether there is one.
            .field(
                "http_client_builder",
                &self.http_client_builder.as_ref().map(|_| "custom"),
            )
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("sleeper", &self.sleeper.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// How each setting is named in error messages, so they point at what the caller actually set.
struct SourceNames {
    credentials: CredentialSources,
    base_url: &'static str,
}

const BUILDER_NAMES: SourceNames = SourceNames {
    credentials: CredentialSources {
        token: "api_token(..)",
        email: "api_email(..)",
        key: "api_key(..)",
        others: "user_service_key(..), basic_auth(..) or api_key_in(..)",
    },
    base_url: "base_url(..)",
};

const ENV_NAMES: SourceNames = SourceNames {
    credentials: CredentialSources {
        token: "CLOUDFLARE_API_TOKEN",
        email: "CLOUDFLARE_EMAIL",
        key: "CLOUDFLARE_API_KEY",
        others: "CLOUDFLARE_API_USER_SERVICE_KEY",
    },
    base_url: "CLOUDFLARE_BASE_URL",
};

impl ClientBuilder {
    /// Authenticate with an API token (`Authorization: Bearer ..`), the preferred mode.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.api_token = Some(Secret::new(token.into()));
        self
    }

    /// Account email for the legacy email + Global API key mode (`X-Auth-Email`); needs [`Self::api_key`].
    pub fn api_email(mut self, email: impl Into<String>) -> Self {
        self.api_email = Some(email.into());
        self
    }

    /// Global API key for the legacy email + key mode (`X-Auth-Key`); needs [`Self::api_email`].
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key.into()));
        self
    }

    /// Cloudflare's Origin CA key (`X-Auth-User-Service-Key`), which the Origin CA certificate calls accept.
    /// It can be given beside a token or an email + key: each call uses the first of its accepted schemes the
    /// client has.
    pub fn user_service_key(self, key: impl Into<String>) -> Self {
        self.api_key_in(KeyLocation::Header, USER_SERVICE_KEY_HEADER, key)
    }

    /// HTTP basic authentication, for operations whose spec accepts `type: http, scheme: basic`.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.other_credentials.basic = Some((user.into(), Secret::new(password.into())));
        self
    }

    /// An API key for a security scheme of `type: apiKey`: sent in the header, query parameter or cookie
    /// `name` to the operations that accept that scheme. A key given again for the same place replaces it.
    pub fn api_key_in(
        mut self,
        location: KeyLocation,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        let name = name.into();
        self.other_credentials
            .keys
            .retain(|k| !k.is_for(location, &name));
        self.other_credentials.keys.push(ApiKey {
            location,
            name,
            value: Secret::new(value.into()),
        });
        self
    }

    /// Overrides the spec's server URL (e.g. a test server). A trailing "/" is fine. It must be `https`, except
    /// for a loopback address (`127.0.0.0/8`, `::1`, `localhost`) or with [`Self::allow_insecure_http`]: credentials
    /// are never sent in cleartext over a network by default.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Allows a plain `http://` base URL to a host that is not a loopback address (default false: such a URL is
    /// an [`Error::Config`] naming the host, since the token or key would cross the network in cleartext). Only
    /// for a trusted network, e.g. a proxy on the same host that adds TLS.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Builds the HTTP client from the caller's `reqwest::ClientBuilder` (proxies, TLS roots, pool settings,
    /// local address...), with settings of the SDK's own on top: its redirect policy, which follows a redirect
    /// only within the base URL's origin (same scheme, host and port; at most 10), so credentials never reach
    /// another host or plain http whatever the builder said; the per-attempt [`Self::timeout`] (60 s unless set),
    /// which replaces the builder's `timeout`; and [`Self::connect_timeout`] when it is given (else the builder's
    /// own).
    pub fn http_client_builder(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http_client_builder = Some(builder);
        self
    }

    /// Limits each attempt, from connecting until the whole response body is read (default 60 s). A call can
    /// override it ([`Call::timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limits connecting, TCP and TLS (default 5 s, or with [`Self::http_client_builder`] that builder's own
    /// setting). A call's [`Call::timeout`] bounds connecting too.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limits a whole call: every attempt and every wait between attempts (default: none, so with the defaults a
    /// call can take about 5 minutes: 3 attempts of up to 60 s and server-requested waits of up to 60 s). Each
    /// attempt gets at most the time left, and a retry whose wait would end past the limit is not made: the error
    /// of the last attempt is returned at once (a timeout when the limit cut it short, see
    /// [`Error::is_timeout`]). A call can override it ([`Call::total_timeout`]).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// How many times a call may be sent again after a retryable failure (default 2, so 3 requests at most; 0
    /// never retries). A call can override it ([`Call::max_retries`]).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The exponential backoff between attempts: `initial` before the first retry, doubling up to `max`
    /// (defaults 0.5 s and 8 s); each wait is shortened by a random 0 to 25%.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max;
        self
    }

    /// The longest wait the server may ask for (`retry-after-ms` / `retry-after`) that the client sleeps through
    /// before retrying (default 60 s). When the server asks for more, the error is returned at once; its
    /// [`Error::retry_after`] says when to try again.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.retry.max_retry_after = max;
        self
    }

    /// Whether POST and PATCH calls are retried like idempotent ones (default false: they are retried only when
    /// they provably never reached the server, i.e. could not connect, or the server answered
    /// `x-should-retry: true`). A call can override it ([`Call::retry_non_idempotent`]).
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.retry.retry_non_idempotent = retry;
        self
    }

    /// The largest response body read, in bytes (default 64 MiB). A larger one is an
    /// [`Error::ResponseTooLarge`]; nothing past the limit is buffered.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Replaces `tokio::time::sleep` for every wait the client makes: between attempts, between the polls of a
    /// long-running operation (`wait()`), and for the deadline of such a wait. To record them in tests instead of
    /// waiting, or to use another async runtime's timer (then no Tokio runtime is needed for waiting).
    pub fn sleeper<F, Fut>(mut self, sleep: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sleeper = Some(Arc::new(move |delay| Box::pin(sleep(delay))));
        self
    }

    /// Checks the configuration; nothing is sent. [`Error::Config`] says what is missing or conflicting.
    pub fn build(self) -> Result<Client> {
        self.build_with(&BUILDER_NAMES)
    }

    fn build_with(self, names: &SourceNames) -> Result<Client> {
        let credentials = Credentials::resolve(
            self.api_token,
            self.api_email,
            self.api_key,
            self.other_credentials,
            &names.credentials,
        )?;
        let base_url = match self.base_url.as_deref().or(crate::DEFAULT_BASE_URL) {
            Some(url) => check_base_url(url, names.base_url, self.allow_insecure_http)?,
            None => {
                return Err(Error::Config(format!(
                    "no base URL: the API description names no server, so set {}",
                    names.base_url
                )))
            }
        };
        let builder = match self.http_client_builder {
            Some(builder) => builder,
            None => reqwest::Client::builder().connect_timeout(DEFAULT_CONNECT_TIMEOUT),
        };
        let builder = match self.connect_timeout {
            Some(timeout) => builder.connect_timeout(timeout),
            None => builder,
        };
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        // Every attempt's limit unless the call sets another (then set on its requests).
        let http = builder
            .timeout(timeout)
            .redirect(same_origin_redirects())
            .build()
            .map_err(|err| Error::Config(format!("could not create the HTTP client: {err}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                credentials,
                timeout,
                total_timeout: self.total_timeout,
                retry: self.retry,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                sleeper: self.sleeper.unwrap_or_else(retry::tokio_sleeper),
                base_headers: base_headers(),
            }),
        })
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`, and optionally
    /// `CLOUDFLARE_API_USER_SERVICE_KEY` (the Origin CA key; enough on its own for Origin CA calls) and
    /// `CLOUDFLARE_BASE_URL`. Empty variables count as unset.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Error::Config(format!("{name} is not valid UTF-8")))
            }
        })
    }

    fn from_lookup(lookup: impl Fn(&'static str) -> Result<Option<String>>) -> Result<Self> {
        let var = |name: &'static str| -> Result<Option<String>> {
            Ok(lookup(name)?.filter(|value| !value.is_empty()))
        };
        let mut builder = ClientBuilder {
            api_token: var(ENV_NAMES.credentials.token)?.map(Secret::new),
            api_email: var(ENV_NAMES.credentials.email)?,
            api_key: var(ENV_NAMES.credentials.key)?.map(Secret::new),
            base_url: var(ENV_NAMES.base_url)?,
            ..ClientBuilder::default()
        };
        if let Some(key) = var(ENV_NAMES.credentials.others)? {
            builder = builder.user_service_key(key);
        }
        builder.build_with(&ENV_NAMES)
    }

    /// A call of one operation, to be awaited. `request` carries the argument error, if any, so that it is
    /// returned on `.await` before anything is sent; `decode` reads 2xx bodies. The call holds a clone of the
    /// client (one reference count), so it can outlive this handle and be spawned.
    #[allow(dead_code)] // a spec without operations never calls it
    pub(crate) fn call<T: 'static>(
        &self,
        request: Result<RequestSpec>,
        decode: Decoder<T>,
    ) -> Call<T> {
        Call::new(self.clone(), request, decode)
    }

    /// The client's timer, for every wait it makes.
    #[allow(dead_code)] // only specs with asynchronous operations wait
    pub(crate) fn sleeper(&self) -> Sleeper {
        Arc::clone(&self.inner.sleeper)
    }

    /// Sends the call, retrying as the retry policy says (see `retry.rs`), and decodes the final 2xx response.
    /// Traced as a `cloudflare_request` span (operation, method, path_template, attempts, status) holding one
    /// `cloudflare_attempt` span per request (attempt, status, cf_ray, duration_ms). Header values, query values
    /// and bodies are never recorded.
    pub(super) async fn execute<T>(
        &self,
        request: &RequestSpec,
        decode: impl FnOnce(StatusCode, &HeaderMap, &[u8]) -> Result<T>,
        options: &RequestOptions,
    ) -> Result<Response<T>> {
        let span = tracing::debug_span!(
            "cloudflare_request",
            operation = request.operation,
            method = %request.method,
            path_template = request.path_template,
            attempts = Empty,
            status = Empty,
        );
        let sending = self.send_with_retries(request, decode, options, &span);
        // A span no subscriber wants is not entered at each poll.
        if span.is_disabled() {
            sending.await
        } else {
            sending.instrument(span.clone()).await
        }
    }

    async fn send_with_retries<T>(
        &self,
        request: &RequestSpec,
        decode: impl FnOnce(StatusCode, &HeaderMap, &[u8]) -> Result<T>,
        options: &RequestOptions,
        call_span: &tracing::Span,
    ) -> Result<Response<T>> {
        let policy = &self.inner.retry;
        let max_retries = options.retries().unwrap_or(policy.max_retries);
        let unsent_only = !retry::is_idempotent(&request.method)
            && !options
                .non_idempotent_retries()
                .unwrap_or(policy.retry_non_idempotent);
        let deadline = options
            .overall_timeout()
            .or(self.inner.total_timeout)
            .map(|total| (Instant::now(), total));
        // What is left of the call's time, when it has a limit.
        let left = || deadline.map(|(start, total)| total.saturating_sub(start.elapsed()));
        let mut retries: u32 = 0;
        loop {
            let attempts = retries + 1;
            let mut http_request = self.prepare(request, options)?;
            http_request
                .headers_mut()
                .insert(RETRY_COUNT, retry::count_value(retries));
            if let Some(left) = left() {
                let attempt_timeout = http_request
                    .timeout()
                    .copied()
                    .unwrap_or(self.inner.timeout);
                if left < attempt_timeout {
                    *http_request.timeout_mut() = Some(left);
                }
            }
            let attempt_span = tracing::debug_span!(
                "cloudflare_attempt",
                attempt = retries,
                status = Empty,
                cf_ray = Empty,
                duration_ms = Empty,
            );
            let attempt = self.attempt(http_request, attempts, &attempt_span);
            let outcome = if attempt_span.is_disabled() {
                attempt.await
            } else {
                attempt.instrument(attempt_span.clone()).await
            };
            let retries_left = retries < max_retries;
            let (err, delay) = match outcome {
                Ok((status, headers, body)) if status.is_success() => {
                    call_span.record("attempts", attempts);
                    call_span.record("status", status.as_u16());
                    return match decode(status, &headers, &body) {
                        Ok(value) => {
                            Ok(Response::new(status, headers, value).with_attempts(attempts))
                        }
                        Err(err) => Err(err.with_response_context(attempts, Some(&headers))),
                    };
                }
                Ok((status, headers, body)) => {
                    let err = error_response(status, &body)
                        .with_response_context(attempts, Some(&headers));
                    let delay = retries_left
                        .then(|| {
                            policy.after_response(
                                status,
                                &headers,
                                unsent_only,
                                SystemTime::now(),
                                retry::jitter(),
                                retries,
                            )
                        })
                        .flatten();
                    (err, delay)
                }
                Err(err) => {
                    // Connection errors never reached the server; timeouts and broken-off responses may have. A
                    // request the HTTP client could not build fails the same way every time.
                    let delay = match &err {
                        Error::Transport { source, .. }
                            if retries_left
                                && !source.is_builder()
                                && (source.is_connect() || !unsent_only) =>
                        {
                            Some(policy.backoff(retries, retry::jitter()))
                        }
                        _ => None,
                    };
                    (err, delay)
                }
            };
            // A retry that could not start before the call's deadline is not waited for.
            let delay = delay.filter(|delay| left().is_none_or(|left| *delay < left));
            let Some(delay) = delay else {
                call_span.record("attempts", attempts);
                if let Some(status) = err.status() {
                    call_span.record("status", status.as_u16());
                }
                return Err(err);
            };
            tracing::debug!(
                attempt = retries,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                status = err.status().map(|status| status.as_u16()),
                timeout = err.is_timeout(),
                connect = err.is_connect(),
                "retrying"
            );
            (self.inner.sleeper)(delay).await;
            retries += 1;
        }
    }

    /// One request: send it and read its whole body (within the size limit). `Err` is a transport failure or a
    /// body over the limit; any response that arrived whole is `Ok`, whatever its status.
    async fn attempt(
        &self,
        request: reqwest::Request,
        attempts: u32,
        span: &tracing::Span,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        // Timed only for a span that records it.
        let started = (!span.is_disabled()).then(Instant::now);
        let limit = self.inner.max_response_bytes;
        let transport = |source: reqwest::Error, status| Error::Transport {
            source: source.without_url(),
            attempts,
            status,
        };
        let outcome = match self.inner.http.execute(request).await {
            Err(err) => Err(transport(err, None)),
            Ok(mut response) => {
                let status = response.status();
                span.record("status", status.as_u16());
                // Taken, not cloned: the body is read without them.
                let headers = std::mem::take(response.headers_mut());
                if !span.is_disabled() {
                    if let Some(ray) = retry::cf_ray(&headers) {
                        span.record("cf_ray", ray);
                    }
                }
                match read_body(&mut response, limit).await {
                    Ok(body) => {
                        tracing::debug!(
                            status = status.as_u16(),
                            body_bytes = body.len(),
                            "response received"
                        );
                        Ok((status, headers, body))
                    }
                    Err(BodyError::TooLarge) => Err(Error::ResponseTooLarge {
                        status,
                        limit,
                        attempts,
                        cf_ray: retry::cf_ray(&headers).map(str::to_owned),
                    }),
                    Err(BodyError::Transport(err)) => Err(transport(err, Some(status))),
                }
            }
        };
        if let Some(started) = started {
            span.record(
                "duration_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
        }
        if let Err(err) = &outcome {
            tracing::debug!(error = %err, "attempt failed");
        }
        outcome
    }

    /// Everything before the network, for one attempt: auth selection (refusing the call if no alternative is
    /// satisfied), the URL, the headers and the body. Takes the spec by reference so a retry can prepare again.
    pub(super) fn prepare(
        &self,
        request: &RequestSpec,
        options: &RequestOptions,
    ) -> Result<reqwest::Request> {
        let credentials = &self.inner.credentials;
        let alternative = chosen_alternative(credentials, request.operation, request.security)?;
        let mut headers = self.inner.base_headers.clone();
        headers.insert(ACCEPT, accept_header(request)?);
        let mut auth_query = Vec::new();
        let mut cookies = Vec::new();
        for part in credentials.parts(alternative) {
            match part {
                AuthPart::Header(name, value) => {
                    headers.append(name, value);
                }
                AuthPart::Query(name, value) => auth_query.push((name, value)),
                AuthPart::Cookie(name, value) => cookies.push(format!("{name}={value}")),
            }
        }
        let url = request.url(&self.inner.base_url, &auth_query)?;
        let parameters = request.header_parameters()?;
        let extra = options.extra_headers()?;
        let mut http_request = reqwest::Request::new(request.method.clone(), url);
        *http_request.headers_mut() = headers;
        let mut http_request = request.body.apply(http_request, &self.inner.http)?;
        // Spec header parameters, then the caller's, each replacing what was set before them.
        replace_headers(http_request.headers_mut(), parameters);
        replace_headers(http_request.headers_mut(), extra);
        if !cookies.is_empty() {
            add_cookies(http_request.headers_mut(), &cookies)?;
        }
        // The client's own timeout is the HTTP client's (set at build); only another one is set per request.
        if let Some(timeout) = options
            .attempt_timeout()
            .filter(|timeout| *timeout != self.inner.timeout)
        {
            *http_request.timeout_mut() = Some(timeout);
        }
        Ok(http_request)
    }
}

/// The headers every request starts with.
fn base_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    headers
}

/// The call's `Accept`, the media types its responses are documented in; generated code only writes valid
/// ones, but a bad one is an error rather than a panic.
fn accept_header(request: &RequestSpec) -> Result<HeaderValue> {
    HeaderValue::from_str(request.accept).map_err(|_| {
        Error::Config(format!(
            "operation `{}`: `{}` cannot be sent as the Accept header",
            request.operation, request.accept
        ))
    })
}

/// Appends credential cookies to the request's `Cookie` header (cookie parameters may have set it), as a
/// sensitive value.
fn add_cookies(headers: &mut HeaderMap, cookies: &[String]) -> Result<()> {
    let mut all: Vec<String> = headers
        .get(COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|v| vec![v.to_owned()])
        .unwrap_or_default();
    all.extend(cookies.iter().cloned());
    let mut value = HeaderValue::from_str(&all.join("; "))
        .map_err(|_| Error::Config("a cookie cannot be sent in a header".to_owned()))?;
    value.set_sensitive(true);
    headers.insert(COOKIE, value);
    Ok(())
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

/// The whole body, chunk by chunk, refusing (without buffering further) as soon as it would pass `limit` bytes:
/// at once when `Content-Length` says so.
async fn read_body(
    response: &mut reqwest::Response,
    limit: u64,
) -> std::result::Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    // Trust the announced length only so far for the first allocation.
    let capacity = announced.unwrap_or(0).min(limit).min(1 << 20);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        let total = u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX);
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Every name in `headers` loses its earlier values; repeated names in `headers` keep all theirs.
fn replace_headers(map: &mut HeaderMap, headers: Vec<(HeaderName, HeaderValue)>) {
    for (name, _) in &headers {
        map.remove(name);
    }
    for (name, value) in headers {
        map.append(name, value);
    }
}

/// An http(s) URL without credentials, query or fragment, returned without its trailing "/". Plain http only to a
/// loopback address, unless `allow_insecure_http`. Error messages never repeat the URL, in case it holds
/// something private; the host is named when it is the problem.
fn check_base_url(raw: &str, name: &str, allow_insecure_http: bool) -> Result<String> {
    let url = reqwest::Url::parse(raw)
        .map_err(|err| Error::Config(format!("{name} is not a valid URL: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{name} must be an http or https URL, not `{}:`",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{name} must not contain credentials: authentication is sent in headers"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} must not have a query or fragment"
        )));
    }
    if url.scheme() == "http" && !allow_insecure_http && !is_loopback(&url) {
        return Err(Error::Config(format!(
            "{name} uses plain http to `{}`, which would send the credentials in cleartext: use https, or \
             ClientBuilder::allow_insecure_http(true) if that network is trusted",
            url.host_str().unwrap_or_default()
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `localhost`, or an IP address of the loopback interface (`127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    // The URL parser has already normalised IPv4 spellings (`127.1`, `0x7f.0.0.1`) and bracketed IPv6.
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|ip| ip.is_loopback())
        }
        Err(_) => false,
    }
}

/// The redirect rule of every client the SDK builds: follow a redirect only within the same origin (scheme, host
/// and port), at most 10 times. reqwest strips `Authorization` on a cross-host redirect but not `X-Auth-Email` /
/// `X-Auth-Key`, and an https-to-http redirect would send them in cleartext; a redirect that leaves the origin is
/// not followed and the 3xx response is returned as the call's error.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::auth::AuthScheme;
    use std::collections::HashMap;

    const TOKEN: &str = "tok-very-secret";
    const KEY: &str = "key-very-secret";
    const BOTH_MODES: &[&[AuthScheme]] = &[
        &[AuthScheme::Bearer],
        &[
            AuthScheme::Header("X-Auth-Email"),
            AuthScheme::Header("X-Auth-Key"),
        ],
    ];

    fn config_message<T: fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(Error::Config(message)) => message,
            other => panic!("expected Config, got {other:?}"),
        }
    }

    fn spec(security: &'static [&'static [AuthScheme]]) -> RequestSpec {
        RequestSpec {
            method: reqwest::Method::GET,
            operation: "lists-get-bulk-operation-status",
            path_template: "/accounts/{account_id}",
            path: "/accounts/abc".to_owned(),
            query: vec![("page", "1".to_owned())],
            headers: Vec::new(),
            body: crate::runtime::body::Body::Empty,
            accept: "text/csv, application/json",
            security,
        }
    }

    #[test]
    fn client_is_send_sync_and_its_futures_are_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Client>();
        send_sync::<ClientBuilder>();
        send_sync::<Error>();
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let future = client
            .call(Ok(spec(BOTH_MODES)), crate::runtime::enveloped::<()>)
            .send();
        send(&future);
    }

    #[test]
    fn builder_requires_exactly_one_auth_mode() {
        let none = config_message(Client::builder().build());
        assert!(
            none.contains("no credentials") && none.contains("api_token(..)"),
            "{none}"
        );
        let both = config_message(
            Client::builder()
                .api_token(TOKEN)
                .api_email("a@b.c")
                .api_key(KEY)
                .build(),
        );
        assert!(both.contains("exactly one"), "{both}");
        let email_only = config_message(Client::builder().api_email("a@b.c").build());
        assert_eq!(
            email_only,
            "api_email(..) was given without api_key(..); the email/key mode needs both"
        );
        let key_only = config_message(Client::builder().api_key(KEY).build());
        assert!(
            key_only.starts_with("api_key(..) was given without api_email(..)"),
            "{key_only}"
        );
        for message in [none, both, email_only, key_only] {
            assert!(!message.contains(TOKEN) && !message.contains(KEY));
        }
        assert!(Client::builder()
            .api_email("a@b.c")
            .api_key(KEY)
            .base_url("http://127.0.0.1:1")
            .build()
            .is_ok());
    }

    #[test]
    fn base_url_is_checked_and_trimmed() {
        let build = |url: &str| Client::builder().api_token(TOKEN).base_url(url).build();
        assert_eq!(
            build("https://api.example.com/client/v4/")
                .unwrap()
                .inner
                .base_url,
            "https://api.example.com/client/v4"
        );
        assert_eq!(
            build("http://127.0.0.1:8080").unwrap().inner.base_url,
            "http://127.0.0.1:8080"
        );
        // The default comes from the spec, which may name no server.
        let default = Client::builder().api_token(TOKEN).build();
        match crate::DEFAULT_BASE_URL {
            Some(url) => assert_eq!(default.unwrap().inner.base_url, url.trim_end_matches('/')),
            None => assert!(config_message(default).starts_with("no base URL")),
        }
        assert!(config_message(build("not a url")).starts_with("base_url(..) is not a valid URL"));
        assert!(config_message(build("ftp://example.com")).contains("http or https"));
        let with_password = config_message(build("https://user:hunter2@example.com"));
        assert!(
            with_password.contains("credentials") && !with_password.contains("hunter2"),
            "{with_password}"
        );
        assert!(config_message(build("https://example.com/?a=b")).contains("query"));
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        let build = |url: &str, allow: bool| {
            Client::builder()
                .api_token(TOKEN)
                .base_url(url)
                .allow_insecure_http(allow)
                .build()
        };
        for url in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://127.1",
            "http://[::1]:9",
            "http://[::ffff:127.0.0.1]",
            "http://localhost:1/v4",
            "http://LOCALHOST",
            "https://api.example.com",
        ] {
            assert!(build(url, false).is_ok(), "{url}");
        }
        for (url, host) in [
            ("http://api.example.com/client/v4", "api.example.com"),
            ("http://10.0.0.1", "10.0.0.1"),
            ("http://[2001:db8::1]", "[2001:db8::1]"),
            ("http://localhost.example.com", "localhost.example.com"),
            ("http://0.0.0.0", "0.0.0.0"),
        ] {
            let message = config_message(build(url, false));
            assert!(
                message.contains(&format!("`{host}`"))
                    && message.contains("cleartext")
                    && message.contains("allow_insecure_http"),
                "{message}"
            );
            assert!(build(url, true).is_ok(), "{url}");
        }
        // The environment's base URL is held to the same rule, named as the variable.
        let from_env = Client::from_lookup(|name| {
            Ok(match name {
                "CLOUDFLARE_API_TOKEN" => Some(TOKEN.to_owned()),
                "CLOUDFLARE_BASE_URL" => Some("http://api.cloudflare.com/client/v4".to_owned()),
                _ => None,
            })
        });
        let message = config_message(from_env);
        assert!(
            message.starts_with("CLOUDFLARE_BASE_URL uses plain http to `api.cloudflare.com`"),
            "{message}"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let builder = Client::builder()
            .api_email("someone@example.com")
            .api_key(KEY)
            .base_url("http://127.0.0.1:1");
        let builder_debug = format!("{builder:?}");
        assert!(
            builder_debug.contains("[redacted]") && !builder_debug.contains(KEY),
            "{builder_debug}"
        );
        // The email is masked as the built client masks it.
        assert!(
            builder_debug.contains("s***@example.com") && !builder_debug.contains("someone@"),
            "{builder_debug}"
        );
        let client = builder.build().unwrap();
        let client_debug = format!("{client:?}");
        assert!(
            client_debug.contains("[redacted]") && !client_debug.contains(KEY),
            "{client_debug}"
        );

        let builder = Client::builder()
            .api_token(TOKEN)
            .base_url("http://127.0.0.1:1")
            .http_client_builder(reqwest::Client::builder());
        let builder_debug = format!("{builder:?}");
        assert!(
            builder_debug.contains("[redacted]") && !builder_debug.contains(TOKEN),
            "{builder_debug}"
        );
        let client_debug = format!("{:?}", builder.build().unwrap());
        assert!(
            client_debug.contains("[redacted]") && !client_debug.contains(TOKEN),
            "{client_debug}"
        );
    }

    #[test]
    fn prepare_sets_url_headers_and_auth() {
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url("http://127.0.0.1:1/v4/")
            .build()
            .unwrap();
        let request = client
            .prepare(&spec(BOTH_MODES), &RequestOptions::new())
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "http://127.0.0.1:1/v4/accounts/abc?page=1"
        );
        let headers = request.headers();
        assert_eq!(headers[USER_AGENT], USER_AGENT_VALUE);
        assert!(USER_AGENT_VALUE.starts_with("cloudflare-sdk/"));
        assert_eq!(headers[ACCEPT], "text/csv, application/json");
        let authorization = &headers[reqwest::header::AUTHORIZATION];
        assert_eq!(authorization, &format!("Bearer {TOKEN}"));
        assert!(authorization.is_sensitive());
        assert!(!format!("{request:?}").contains(TOKEN));

        let client = Client::builder()
            .api_email("a@b.c")
            .api_key(KEY)
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap();
        let request = client
            .prepare(&spec(BOTH_MODES), &RequestOptions::new())
            .unwrap();
        assert_eq!(request.headers()["x-auth-email"], "a@b.c");
        assert_eq!(request.headers()["x-auth-key"], KEY);
        assert!(!request
            .headers()
            .contains_key(reqwest::header::AUTHORIZATION));

        let request = client.prepare(&spec(&[]), &RequestOptions::new()).unwrap();
        assert!(!request.headers().contains_key("x-auth-key"));
    }

    #[test]
    fn prepare_refuses_when_no_alternative_is_satisfied() {
        let client = Client::builder()
            .api_email("a@b.c")
            .api_key(KEY)
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap();
        let message =
            config_message(client.prepare(&spec(&[&[AuthScheme::Bearer]]), &RequestOptions::new()));
        assert!(
            message.contains("lists-get-bulk-operation-status") && message.contains("API token"),
            "{message}"
        );
    }

    #[test]
    fn an_accept_that_is_no_header_value_is_refused_not_a_panic() {
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url("http://127.0.0.1:1")
            .build()
            .unwrap();
        let mut request = spec(BOTH_MODES);
        request.accept = "text/plain\n";
        let message = config_message(client.prepare(&request, &RequestOptions::new()));
        assert!(
            message.contains("lists-get-bulk-operation-status") && message.contains("Accept"),
            "{message}"
        );
    }

    #[test]
    fn from_env_reads_variables_and_names_them_in_errors() {
        let from = |vars: &[(&str, &str)]| {
            let vars: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            Client::from_lookup(move |name| Ok(vars.get(name).cloned()))
        };
        let client = from(&[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:1/"),
        ])
        .unwrap();
        assert_eq!(client.inner.base_url, "http://127.0.0.1:1");
        assert!(from(&[
            ("CLOUDFLARE_EMAIL", "a@b.c"),
            ("CLOUDFLARE_API_KEY", KEY),
            ("CLOUDFLARE_API_TOKEN", ""),
            ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:1"),
        ])
        .is_ok());
        let none = config_message(from(&[]));
        assert!(
            none.contains("CLOUDFLARE_API_TOKEN") && none.contains("CLOUDFLARE_EMAIL"),
            "{none}"
        );
        let email_only = config_message(from(&[("CLOUDFLARE_EMAIL", "a@b.c")]));
        assert!(email_only.contains("CLOUDFLARE_API_KEY"), "{email_only}");
        let both = config_message(from(&[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_API_KEY", KEY),
        ]));
        assert!(both.contains("exactly one"), "{both}");
        let bad_url = config_message(from(&[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_BASE_URL", "nope"),
        ]));
        assert!(bad_url.starts_with("CLOUDFLARE_BASE_URL"), "{bad_url}");
    }
}
