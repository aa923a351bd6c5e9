//! The checks of arguments against the spec's constraints, done before a request is built: lengths of text,
//! bounds of numbers and patterns of text. A failed check is `Error::InvalidArgument` naming the parameter and
//! the rule, and nothing is sent.

use super::error::{Error, Result};

/// A parameter's JSON Schema `minLength` / `maxLength`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Length {
    min: Option<u64>,
    max: Option<u64>,
}

#[allow(dead_code)] // generated code uses the bounds its spec gives
impl Length {
    pub(crate) const fn between(min: u64, max: u64) -> Length {
        Length {
            min: Some(min),
            max: Some(max),
        }
    }
    pub(crate) const fn at_least(min: u64) -> Length {
        Length {
            min: Some(min),
            max: None,
        }
    }
    pub(crate) const fn at_most(max: u64) -> Length {
        Length {
            min: None,
            max: Some(max),
        }
    }
}

/// Checks JSON Schema `minLength` / `maxLength`, counted in Unicode scalar values as the schema means.
#[allow(dead_code)] // a spec without length constraints never calls it
pub(crate) fn check_length(parameter: &'static str, value: &str, length: Length) -> Result<()> {
    let Length { min, max } = length;
    // usize always fits in u64 on supported targets; saturate rather than panic if it ever did not.
    let len = u64::try_from(value.chars().count()).unwrap_or(u64::MAX);
    let reason = match (min, max) {
        (Some(min), Some(max)) if min == max && len != min => {
            format!("must be exactly {} long, got {len}", characters(min))
        }
        (Some(min), _) if len < min => {
            format!("must be at least {} long, got {len}", characters(min))
        }
        (_, Some(max)) if len > max => {
            format!("must be at most {} long, got {len}", characters(max))
        }
        _ => return Ok(()),
    };
    Err(Error::InvalidArgument { parameter, reason })
}

fn characters(n: u64) -> String {
    if n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
}

/// A parameter's JSON Schema `minimum`, `maximum` (each maybe exclusive) and `multipleOf`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounds {
    pub(crate) minimum: Option<f64>,
    pub(crate) exclusive_minimum: bool,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_maximum: bool,
    pub(crate) multiple_of: Option<f64>,
}

/// A value of a number parameter, integer or not, as the checks compare it.
pub(crate) trait Number: Copy + std::fmt::Display {
    fn as_f64(self) -> f64;
}

impl Number for i64 {
    #[allow(clippy::cast_precision_loss)] // compared with bounds a spec writes, far below 2^53
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Number for f64 {
    fn as_f64(self) -> f64 {
        self
    }
}

/// Checks JSON Schema `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` and `multipleOf`.
#[allow(dead_code)] // a spec without numeric bounds never calls it
pub(crate) fn check_number<N: Number>(
    parameter: &'static str,
    value: N,
    bounds: Bounds,
) -> Result<()> {
    let x = value.as_f64();
    let reason = match bounds {
        _ if x.is_nan() => "must be a number, got NaN".to_owned(),
        Bounds {
            minimum: Some(min),
            exclusive_minimum: true,
            ..
        } if x <= min => format!("must be greater than {min}, got {value}"),
        Bounds {
            minimum: Some(min), ..
        } if x < min => format!("must be at least {min}, got {value}"),
        Bounds {
            maximum: Some(max),
            exclusive_maximum: true,
            ..
        } if x >= max => format!("must be less than {max}, got {value}"),
        Bounds {
            maximum: Some(max), ..
        } if x > max => format!("must be at most {max}, got {value}"),
        Bounds {
            multiple_of: Some(step),
            ..
        } if (x / step).fract() != 0.0 => format!("must be a multiple of {step}, got {value}"),
        _ => return Ok(()),
    };
    Err(Error::InvalidArgument { parameter, reason })
}

/// A parameter's JSON Schema `pattern`, compiled the first time a value is checked against it, then kept for
/// the life of the program.
#[cfg(feature = "patterns")]
pub(crate) struct Pattern {
    source: &'static str,
    compiled: std::sync::OnceLock<std::result::Result<regex::Regex, String>>,
}

#[cfg(feature = "patterns")]
#[allow(dead_code)] // a spec without patterns never calls it
impl Pattern {
    pub(crate) const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: std::sync::OnceLock::new(),
        }
    }
}

/// Checks JSON Schema `pattern` (an ECMA-262 regular expression, found anywhere in the value unless it is
/// anchored). The generator keeps only patterns the `regex` crate compiles; its `\d`, `\w` and `\s` also take
/// non-ASCII digits, letters and spaces, so a check may pass a value ECMA-262 would not, never the reverse.
#[cfg(feature = "patterns")]
#[allow(dead_code)] // a spec without patterns never calls it
pub(crate) fn check_pattern(parameter: &'static str, value: &str, pattern: &Pattern) -> Result<()> {
    let compiled = pattern
        .compiled
        .get_or_init(|| regex::Regex::new(pattern.source).map_err(|err| err.to_string()));
    match compiled {
        Ok(regex) if regex.is_match(value) => Ok(()),
        Ok(_) => Err(Error::InvalidArgument {
            parameter,
            reason: format!("must match the pattern `{}`", pattern.source),
        }),
        // The generator compiled it with the same crate; a later `regex` that no longer does is a setup
        // problem, not the caller's.
        Err(err) => Err(Error::Config(format!(
            "the pattern `{}` of parameter `{parameter}` does not compile: {err}",
            pattern.source
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<()>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidArgument { parameter, reason }) => (parameter, reason),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn check_length_messages() {
        let exact = |v: &str| check_length("account_id", v, Length::between(32, 32));
        assert!(exact(&"a".repeat(32)).is_ok());
        assert_eq!(
            reason(exact("abcde")),
            (
                "account_id",
                "must be exactly 32 characters long, got 5".to_owned()
            )
        );
        assert_eq!(
            reason(exact(&"a".repeat(33))).1,
            "must be exactly 32 characters long, got 33"
        );
        assert_eq!(
            reason(check_length("n", "ab", Length::at_least(3))).1,
            "must be at least 3 characters long, got 2"
        );
        assert_eq!(
            reason(check_length("n", "abcd", Length::at_most(3))).1,
            "must be at most 3 characters long, got 4"
        );
        assert_eq!(
            reason(check_length("n", "", Length::between(1, 9))).1,
            "must be at least 1 character long, got 0"
        );
        assert_eq!(
            reason(check_length("n", "ab", Length::between(1, 1))).1,
            "must be exactly 1 character long, got 2"
        );
        assert!(check_length("n", "abc", Length::between(1, 9)).is_ok());
        assert!(check_length("n", "", Length::at_most(0)).is_ok());
    }

    #[test]
    fn check_length_counts_chars_not_bytes() {
        assert!(check_length("n", "ééé", Length::between(3, 3)).is_ok());
        assert_eq!(
            reason(check_length("n", "☃☃", Length::at_most(1))).1,
            "must be at most 1 character long, got 2"
        );
    }
    #[test]
    fn check_number_messages() {
        let page = Bounds {
            minimum: Some(1.0),
            maximum: Some(100.0),
            ..Bounds::default()
        };
        assert!(check_number("per_page", 1_i64, page).is_ok());
        assert!(check_number("per_page", 100.0, page).is_ok());
        assert_eq!(
            reason(check_number("per_page", 0_i64, page)),
            ("per_page", "must be at least 1, got 0".to_owned())
        );
        assert_eq!(
            reason(check_number("per_page", 100.5, page)).1,
            "must be at most 100, got 100.5"
        );
        let open = Bounds {
            minimum: Some(0.0),
            exclusive_minimum: true,
            maximum: Some(1.0),
            exclusive_maximum: true,
            ..Bounds::default()
        };
        assert!(check_number("ratio", 0.5, open).is_ok());
        assert_eq!(
            reason(check_number("ratio", 0.0, open)).1,
            "must be greater than 0, got 0"
        );
        assert_eq!(
            reason(check_number("ratio", 1.0, open)).1,
            "must be less than 1, got 1"
        );
        assert_eq!(
            reason(check_number("ratio", f64::NAN, open)).1,
            "must be a number, got NaN"
        );
        let step = Bounds {
            multiple_of: Some(5.0),
            ..Bounds::default()
        };
        assert!(check_number("ttl", 30_i64, step).is_ok());
        assert_eq!(
            reason(check_number("ttl", 31_i64, step)).1,
            "must be a multiple of 5, got 31"
        );
    }

    #[cfg(feature = "patterns")]
    #[test]
    fn check_pattern_messages() {
        static ID: Pattern = Pattern::new("^[0-9a-f]{32}$");
        assert!(check_pattern("zone_id", "023e105f4ecef8ad9ca31a8372d0c353", &ID).is_ok());
        assert_eq!(
            reason(check_pattern("zone_id", "not-an-id", &ID)),
            (
                "zone_id",
                "must match the pattern `^[0-9a-f]{32}$`".to_owned()
            )
        );
        // Unanchored, as ECMA-262 means it: found anywhere in the value.
        static DIGITS: Pattern = Pattern::new("[0-9]+");
        assert!(check_pattern("n", "abc1", &DIGITS).is_ok());
        static BROKEN: Pattern = Pattern::new("(?=lookahead)");
        assert!(matches!(
            check_pattern("n", "x", &BROKEN),
            Err(Error::Config(message)) if message.contains("`n`")
        ));
    }
}
