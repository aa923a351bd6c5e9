//! Request paths built from percent-encoded segments.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::error::{Error, Result};

/// Everything except RFC 3986 unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~") is encoded, so a
/// value can never add a segment, a query or a fragment to the path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a literal segment of the spec's path template must have encoded: everything but RFC 3986's `pchar`
/// (unreserved, sub-delims, ":" and "@"). "%" is encoded too, so the spec's text is sent as text.
const LITERAL: &AsciiSet = &SEGMENT
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Room for most API paths (two 32-character ids and a few words), so that building one allocates once.
const PATH_CAPACITY: usize = 128;

/// Builds "/a/b/c" one segment at a time; each segment is encoded on its own.
#[allow(dead_code)] // used only by generated operations; a spec without paths has none
#[derive(Debug, Default)]
pub(crate) struct PathBuilder {
    path: String,
}

#[allow(dead_code)] // used only by generated operations; a spec without paths has none
impl PathBuilder {
    pub(crate) fn new() -> Self {
        Self {
            path: String::with_capacity(PATH_CAPACITY),
        }
    }

    /// Appends "/" + the literal segment from the spec. It is sent as the spec writes it (`@cf`, `v1.5`,
    /// `a:b`), since a server routes on those bytes; only what a path segment cannot hold is percent-encoded.
    pub(crate) fn literal(&mut self, segment: &str) {
        self.push(segment, LITERAL);
    }

    /// Appends "/" + the percent-encoded value. "", "." and ".." are rejected: they would drop or climb a
    /// segment and send the request to another endpoint.
    pub(crate) fn param(&mut self, name: &'static str, value: &str) -> Result<()> {
        let reason = match value {
            "" => "must not be empty",
            "." | ".." => "must not be \".\" or \"..\"",
            _ => {
                self.push(value, SEGMENT);
                return Ok(());
            }
        };
        Err(Error::InvalidArgument {
            parameter: name,
            reason: reason.to_owned(),
        })
    }

    /// The path, e.g. "/accounts/abc/rules"; "/" when no segment was added.
    pub(crate) fn finish(self) -> String {
        if self.path.is_empty() {
            "/".to_owned()
        } else {
            self.path
        }
    }

    fn push(&mut self, segment: &str, encoded: &'static AsciiSet) {
        self.path.push('/');
        // Ids and words need no encoding: copied whole rather than chunk by chunk.
        if segment.bytes().all(is_unreserved) {
            self.path.push_str(segment);
        } else {
            self.path.extend(utf8_percent_encode(segment, encoded));
        }
    }
}

/// The bytes [`SEGMENT`] leaves as they are.
fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[usize::from(byte)]
}

/// [`is_unreserved`] as a table: one load per byte of every id in every path.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        byte += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Result<String> {
        let mut path = PathBuilder::new();
        path.literal("accounts");
        path.param("id", value)?;
        Ok(path.finish())
    }

    fn reason(result: Result<()>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidArgument { parameter, reason }) => (parameter, reason),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn literal_segments_are_sent_as_the_spec_writes_them() {
        let mut path = PathBuilder::new();
        path.literal("ai");
        path.literal("@cf");
        path.literal("bge-base-en-v1.5");
        path.literal("a:b");
        path.literal("with space");
        path.literal("100%");
        assert_eq!(
            path.finish(),
            "/ai/@cf/bge-base-en-v1.5/a:b/with%20space/100%25"
        );
    }

    #[test]
    fn values_never_keep_delimiters() {
        assert_eq!(one("@cf").unwrap(), "/accounts/%40cf");
        assert_eq!(one("a:b").unwrap(), "/accounts/a%3Ab");
    }

    #[test]
    fn builds_plain_paths() {
        let mut path = PathBuilder::new();
        path.literal("accounts");
        path.param("account_id", "023e105f4ecef8ad9ca31a8372d0c353")
            .unwrap();
        path.literal("rules");
        assert_eq!(
            path.finish(),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/rules"
        );
        assert_eq!(PathBuilder::new().finish(), "/");
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(one("a b").unwrap(), "/accounts/a%20b");
        assert_eq!(one("a/b").unwrap(), "/accounts/a%2Fb");
        assert_eq!(one("100%").unwrap(), "/accounts/100%25");
        assert_eq!(one("a?b=c").unwrap(), "/accounts/a%3Fb%3Dc");
        assert_eq!(one("a#b").unwrap(), "/accounts/a%23b");
        assert_eq!(one("é☃").unwrap(), "/accounts/%C3%A9%E2%98%83");
        assert_eq!(one("A-z.0_9~").unwrap(), "/accounts/A-z.0_9~");
        assert_eq!(
            one("a\\b+c&d;e:f@g").unwrap(),
            "/accounts/a%5Cb%2Bc%26d%3Be%3Af%40g"
        );
        assert_eq!(one("...").unwrap(), "/accounts/...");
        assert_eq!(one("%2e%2e").unwrap(), "/accounts/%252e%252e");
    }

    #[test]
    fn unreserved_bytes_are_those_the_encoding_keeps() {
        for byte in 0..=0x7f_u8 {
            let text = char::from(byte).to_string();
            let kept = utf8_percent_encode(&text, SEGMENT).to_string() == text;
            assert_eq!(is_unreserved(byte), kept, "{byte:#x}");
        }
        assert!((0x80..=0xff_u8).all(|byte| !is_unreserved(byte)));
    }

    #[test]
    fn rejects_empty_and_dot_segments() {
        for bad in ["", ".", ".."] {
            let mut path = PathBuilder::new();
            let (parameter, why) = reason(path.param("operation_id", bad));
            assert_eq!(parameter, "operation_id");
            assert!(!why.is_empty());
        }
        assert_eq!(
            reason(PathBuilder::new().param("p", "")).1,
            "must not be empty"
        );
        assert_eq!(
            reason(PathBuilder::new().param("p", "..")).1,
            "must not be \".\" or \"..\""
        );
    }
}
