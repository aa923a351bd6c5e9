//! The `Accept` header of a call: the media types its documented responses come in, so that a server that
//! negotiates (and answers 406 to what it cannot produce) sends what the spec says the call receives.

/// What a call accepts when its responses document nothing, and what is always added: Cloudflare's
/// envelope, in which errors come.
pub const JSON: &str = "application/json";

/// The header value for responses documented in `media_types` (success ones first, in the order given): each
/// distinct one, then `application/json` unless already there. A name that is no media type (the spec has
/// `string` and `undefined`) says nothing of what comes, so it accepts anything (`*/*`).
pub fn accept<'m>(media_types: impl IntoIterator<Item = &'m str>) -> String {
    let mut ranges: Vec<&str> = Vec::new();
    for media in media_types {
        let range = if is_media_range(media) {
            media.trim()
        } else {
            "*/*"
        };
        if !ranges.contains(&range) {
            ranges.push(range);
        }
    }
    if !ranges.contains(&JSON) {
        ranges.push(JSON);
    }
    ranges.join(", ")
}

/// `type/subtype` (either may be `*`), optionally with `;` parameters, all of it text a header can carry.
fn is_media_range(media: &str) -> bool {
    let mut parts = media.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    is_token(kind)
        && is_token(subtype)
        && parts.all(|parameter| {
            parameter
                .trim()
                .split_once('=')
                .is_some_and(|(name, value)| is_token(name.trim()) && !value.trim().is_empty())
        })
        && media.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// An HTTP token (RFC 9110 `tchar`s), which `*` is.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::accept;

    #[test]
    fn documented_types_then_json_once() {
        assert_eq!(accept([]), "application/json");
        assert_eq!(accept(["application/json"]), "application/json");
        assert_eq!(
            accept(["text/plain", "application/json", "text/plain"]),
            "text/plain, application/json"
        );
        assert_eq!(accept(["image/*"]), "image/*, application/json");
        assert_eq!(
            accept(["text/csv; charset=utf-8"]),
            "text/csv; charset=utf-8, application/json"
        );
    }

    #[test]
    fn what_is_no_media_type_accepts_anything() {
        assert_eq!(
            accept(["undefined", "string", "text/a\u{7f}"]),
            "*/*, application/json"
        );
        assert_eq!(accept(["text/plain; charset"]), "*/*, application/json");
    }
}
