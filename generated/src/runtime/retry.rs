//! When a call is sent again, and how long the client waits first.
//!
//! By default a call is retried twice on connection errors, timeouts and HTTP 408, 409, 429 and 5xx, after an
//! exponential backoff (0.5 s, 1 s, 2 s... capped at 8 s, each shortened by up to 25% of jitter), or after the
//! wait the server asked for (`retry-after-ms`, else `retry-after` in seconds or as an HTTP date) when that is at
//! most 60 s; a longer wait is not honoured by waiting: the error is returned at once, with
//! [`Error::retry_after`](super::Error::retry_after) saying when to come back. `x-should-retry: true|false` from
//! the server overrides the status. Requests that are not idempotent (POST, PATCH) are retried only when they
//! provably never reached the server (could not connect) or the server said `x-should-retry: true`, unless the
//! client or the call allows it. Every attempt carries `x-cloudflare-sdk-retry-count: N` (0 on the first).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

/// The header every attempt carries: how many times the call was sent before (0 on the first attempt).
pub(crate) const RETRY_COUNT: HeaderName = HeaderName::from_static("x-cloudflare-sdk-retry-count");

/// The value of [`RETRY_COUNT`]: the first attempt's is a constant, the others are written out.
pub(crate) fn count_value(retries: u32) -> HeaderValue {
    match retries {
        0 => HeaderValue::from_static("0"),
        _ => HeaderValue::from(retries),
    }
}

/// Waits between attempts: `tokio::time::sleep` unless a test (or another runtime) injects its own.
pub(crate) type Sleeper = Arc<dyn Fn(Duration) -> SleepFuture + Send + Sync>;

/// One wait of a [`Sleeper`].
pub(crate) type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(crate) fn tokio_sleeper() -> Sleeper {
    Arc::new(|delay| Box::pin(tokio::time::sleep(delay)))
}

/// The client's retry settings; `max_retries` and `retry_non_idempotent` can be overridden per call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` requests at most).
    pub(crate) max_retries: u32,
    /// The first backoff; each further one doubles.
    pub(crate) initial_backoff: Duration,
    /// No backoff is longer.
    pub(crate) max_backoff: Duration,
    /// The longest server-requested wait (`retry-after`) the client sleeps through; past it, no retry.
    pub(crate) max_retry_after: Duration,
    /// Retry POST and PATCH like the idempotent methods.
    pub(crate) retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (0 for the first retry): `initial * 2^retry`, capped, then shortened
    /// by `jitter` (in [0, 1)) times 25%.
    pub(crate) fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let factor = 2u32.checked_pow(retry).unwrap_or(u32::MAX);
        let base = self
            .initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let shortened = base.as_secs_f64() * (1.0 - jitter.clamp(0.0, 1.0) * 0.25);
        Duration::try_from_secs_f64(shortened).map_or(base, |wait| wait.min(base))
    }

    /// Whether (and after how long) to retry a non-2xx response, when retries are left. `retries_done` counts the
    /// retries already made; `unsent_only` is true when the request may be retried only if it never reached the
    /// server (unless the server asks for a retry).
    pub(crate) fn after_response(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        unsent_only: bool,
        now: SystemTime,
        jitter: f64,
        retries_done: u32,
    ) -> Option<Duration> {
        let wanted = match server_says(headers) {
            Some(says) => says,
            None => retryable_status(status) && !unsent_only,
        };
        if !wanted {
            return None;
        }
        match retry_after(headers, now) {
            Some(asked) if asked <= self.max_retry_after => Some(asked),
            Some(_) => None,
            None => Some(self.backoff(retries_done, jitter)),
        }
    }
}

/// GET, HEAD, PUT, DELETE, OPTIONS and TRACE: sending them twice does no more than sending them once.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// 408, 409 (a conflicting concurrent change), 429 and every 5xx.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// `x-should-retry: true|false`, when the server sent it.
pub(crate) fn server_says(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get("x-should-retry")?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The `cf-ray` header.
pub(crate) fn cf_ray(headers: &HeaderMap) -> Option<&str> {
    headers.get("cf-ray").and_then(|value| value.to_str().ok())
}

/// The wait the server asked for: `retry-after-ms` (milliseconds), else `retry-after` (seconds, or an HTTP date,
/// counted from `now`; a date in the past is no wait). A number too large for a `Duration` (`1e20`) is
/// `Duration::MAX`, so that it counts as longer than any cap rather than as no answer. Negative or unreadable
/// values (`NaN`, `inf`, words) are ignored.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(millis) = header("retry-after-ms").and_then(non_negative) {
        return Some(seconds_to_duration(millis / 1000.0));
    }
    let value = header("retry-after")?;
    if let Some(seconds) = non_negative(value) {
        return Some(seconds_to_duration(seconds));
    }
    let date = parse_http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative number of seconds (possibly infinite after parsing `1e400`) as a `Duration`, saturating.
fn seconds_to_duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
}

/// A decimal number written with digits (`3`, `1.5`, `1e20`), not negative. `NaN`, `inf` and the like are not
/// numbers a server means.
fn non_negative(text: &str) -> Option<f64> {
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .filter(|value| !value.is_nan() && *value >= 0.0)
}

/// An HTTP date in any of the three forms RFC 9110 accepts: `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate),
/// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850) and `Sun Nov  6 08:49:37 1994` (asctime). Always UTC.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut day, mut month, mut year, mut clock) = (None, None, None, None);
    let tokens = text
        .split([' ', ',', '-', '\t'])
        .filter(|token| !token.is_empty());
    for token in tokens {
        if token.contains(':') {
            let mut parts = token.split(':').map(|part| {
                (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| part.parse::<u8>().ok())
                    .flatten()
            });
            let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
            if parts.next().is_some() || clock.is_some() {
                return None;
            }
            clock = Some(time::Time::from_hms(h, m, s).ok()?);
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            if token.len() <= 2 && day.is_none() {
                day = Some(token.parse::<u8>().ok()?);
            } else if year.is_none() && (token.len() == 2 || token.len() == 4) {
                let value = token.parse::<i32>().ok()?;
                year = Some(match token.len() {
                    2 if value < 70 => 2000 + value,
                    2 => 1900 + value,
                    _ => value,
                });
            } else {
                return None;
            }
        } else if token.bytes().all(|b| b.is_ascii_alphabetic()) {
            let lower = token.to_ascii_lowercase();
            if let Some(index) = MONTHS.iter().position(|m| *m == lower) {
                if month.is_some() {
                    return None;
                }
                month = Some(index as u8 + 1);
            }
            // Weekday names and the zone (always GMT) carry nothing more.
        } else {
            return None;
        }
    }
    let month = time::Month::try_from(month?).ok()?;
    let date = time::Date::from_calendar_date(year?, month, day?).ok()?;
    let seconds = date.with_time(clock?).assume_utc().unix_timestamp();
    let seconds = u64::try_from(seconds).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// A number in [0, 1) for the jitter, different on every call. No dependency on a random crate: std's
/// `RandomState` is seeded randomly per process and advanced per instance.
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos().into()),
    );
    // The top 53 bits as a fraction.
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_eight_with_up_to_25_percent_jitter() {
        let policy = RetryPolicy::default();
        let ms = |retry, jitter| policy.backoff(retry, jitter).as_millis();
        assert_eq!(
            (0..7).map(|retry| ms(retry, 0.0)).collect::<Vec<_>>(),
            vec![500, 1000, 2000, 4000, 8000, 8000, 8000]
        );
        assert_eq!(ms(0, 0.999_999), 375);
        assert_eq!(ms(4, 0.5), 7000);
        assert_eq!(ms(u32::MAX, 0.0), 8000);
        let huge = RetryPolicy {
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(huge.backoff(3, 0.0), Duration::MAX);
        for _ in 0..1000 {
            let value = jitter();
            assert!((0.0..1.0).contains(&value), "{value}");
        }
    }

    #[test]
    fn which_responses_are_retried() {
        let policy = RetryPolicy::default();
        let decide = |status: u16, pairs: &[(&'static str, &str)], unsent_only: bool| {
            policy.after_response(
                StatusCode::from_u16(status).unwrap(),
                &headers(pairs),
                unsent_only,
                at(0),
                0.0,
                0,
            )
        };
        let backoff = Some(Duration::from_millis(500));
        for status in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert_eq!(decide(status, &[], false), backoff, "{status}");
            // Not idempotent: only when the server says so.
            assert_eq!(decide(status, &[], true), None, "{status}");
        }
        for status in [400, 401, 403, 404, 422, 301] {
            assert_eq!(decide(status, &[], false), None, "{status}");
        }
        assert_eq!(decide(503, &[("x-should-retry", "false")], false), None);
        assert_eq!(decide(400, &[("x-should-retry", "true")], true), backoff);
        assert_eq!(decide(400, &[("x-should-retry", " TRUE ")], false), backoff);
        assert_eq!(decide(503, &[("x-should-retry", "maybe")], false), backoff);
        assert_eq!(
            decide(429, &[("retry-after", "3")], false),
            Some(Duration::from_secs(3))
        );
        // Longer than the cap: no retry rather than an early one.
        assert_eq!(decide(429, &[("retry-after", "61")], false), None);
        assert_eq!(decide(429, &[("retry-after", "1e20")], false), None);
        assert_eq!(decide(503, &[("retry-after-ms", "1e30")], false), None);
        assert_eq!(
            decide(429, &[("retry-after", "60")], false),
            Some(Duration::from_secs(60))
        );
        let third = policy.after_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            false,
            at(0),
            0.0,
            2,
        );
        assert_eq!(third, Some(Duration::from_secs(2)));
    }

    #[test]
    fn retry_after_forms() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let read = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), now);
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(
            read(&[("retry-after", "1.5")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            read(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250))
        );
        // A bad retry-after-ms falls back to retry-after.
        assert_eq!(
            read(&[("retry-after-ms", "soon"), ("retry-after", "9")]),
            Some(Duration::from_secs(9))
        );
        for bad in ["-1", "NaN", "inf", "+inf", "infinity", "", "soon", "-0.5"] {
            assert_eq!(read(&[("retry-after", bad)]), None, "{bad}");
        }
        // Too long for a Duration: the longest wait, never "no answer".
        for huge in ["1e20", "1e400", "18446744073709551616"] {
            assert_eq!(
                read(&[("retry-after", huge)]),
                Some(Duration::MAX),
                "{huge}"
            );
        }
        for huge in ["1e23", "1e400"] {
            assert_eq!(
                read(&[("retry-after-ms", huge)]),
                Some(Duration::MAX),
                "{huge}"
            );
        }
        assert_eq!(
            read(&[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            read(&[("retry-after", "Sunday, 06-Nov-94 08:50:37 GMT")]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            read(&[("retry-after", "Sun Nov  6 08:49:40 1994")]),
            Some(Duration::from_secs(3))
        );
        // In the past: retry now.
        assert_eq!(
            read(&[("retry-after", "Sat, 05 Nov 1994 08:49:37 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            read(&[("retry-after", "Sun, 31 Feb 1994 08:49:37 GMT")]),
            None
        );
        assert_eq!(
            read(&[("retry-after", "Sun, 06 Nov 1994 25:49:37 GMT")]),
            None
        );
    }

    #[test]
    fn http_dates_never_panic() {
        let samples = [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37:12 GMT",
            "06 06 Nov 1994 08:49:37",
            "Nov Nov 06 1994 08:49:37",
            "Sun, 06 Nov 99999 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "::",
            ",,,--",
            "é",
        ];
        for sample in samples {
            let _ = parse_http_date(sample);
        }
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(SystemTime::UNIX_EPOCH)
        );
        assert_eq!(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"), None);
    }

    #[test]
    fn idempotent_methods() {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            assert!(is_idempotent(&method), "{method}");
        }
        for method in [Method::POST, Method::PATCH] {
            assert!(!is_idempotent(&method), "{method}");
        }
    }
}
