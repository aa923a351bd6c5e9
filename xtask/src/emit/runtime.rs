//! The runtime items generated code may call, named in one place. Each is an item that
//! `generated/src/runtime/mod.rs` re-exports for generated code; the test below reads that file, so a name
//! the runtime renames or drops fails here instead of in a generated crate. Emit's `quote!`s name the runtime
//! only through these constants (`#ENVELOPED::<T>`, `#BODY::Empty`, `#STRING_ENUM!(...)`).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};

/// A runtime item; in `quote!` it is its path from any module of the crate (`crate::runtime::name`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Item(&'static str);

impl Item {
    /// The item's path from the crate root itself (`runtime::name`), as `lib.rs` names it.
    pub(super) fn path_in_root(self) -> TokenStream {
        let name = Ident::new(self.0, Span::call_site());
        quote!(runtime::#name)
    }
}

impl ToTokens for Item {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = Ident::new(self.0, Span::call_site());
        tokens.extend(quote!(crate::runtime::#name));
    }
}

macro_rules! items {
    ($($(#[$doc:meta])* $constant:ident = $name:literal,)*) => {
        $($(#[$doc])* pub(super) const $constant: Item = Item($name);)*
        /// Every item, for the contract test.
        #[cfg(test)]
        const ALL: &[Item] = &[$($constant),*];
    };
}

items! {
    /// Which credentials an operation accepts (`SECURITY_n` constants).
    AUTH_SCHEME = "AuthScheme",
    /// A request body: empty, JSON, raw bytes or a multipart form.
    BODY = "Body",
    /// One multipart part, and its value.
    PART = "Part",
    PART_VALUE = "PartValue",
    /// A multipart part's text from a JSON value.
    JSON_TEXT = "json_text",
    /// Argument checks before sending: length, numeric bounds, `pattern`.
    LENGTH = "Length",
    CHECK_LENGTH = "check_length",
    BOUNDS = "Bounds",
    CHECK_NUMBER = "check_number",
    PATTERN = "Pattern",
    CHECK_PATTERN = "check_pattern",
    /// A request as the request function builds it, and its path.
    REQUEST_SPEC = "RequestSpec",
    PATH_BUILDER = "PathBuilder",
    /// Response decoders, one per kind of response.
    ENVELOPED = "enveloped",
    ENVELOPED_WHOLE = "enveloped_whole",
    JSON = "json",
    TEXT = "text",
    BYTES = "bytes",
    EMPTY = "empty",
    /// Paging: the streams, the page number's type and the envelope's totals.
    PAGINATE_CURSOR = "paginate_cursor",
    PAGINATE_PAGES = "paginate_pages",
    PAGE_NUMBER = "PageNumber",
    TOTALS = "Totals",
    /// Waiting for a long-running operation.
    POLL_UNTIL = "poll_until",
    POLL_STATE = "PollState",
    /// Decoding unions: the rule that picks a variant, the remembered guess, one variant, tag and marker.
    UNION_RULE = "UnionRule",
    GUESS = "Guess",
    DECODE_UNION = "decode_union",
    DECODE_VARIANT = "decode_variant",
    UNION_TAG = "union_tag",
    UNION_MARKER = "union_marker",
    /// A string enum's `FromStr`, `Display` and serde impls.
    STRING_ENUM = "string_enum",
}

#[cfg(test)]
mod tests {
    use super::ALL;

    /// The names `generated/src/runtime/mod.rs` re-exports (`pub use` and `pub(crate) use` lines).
    fn exported() -> Vec<String> {
        let source = include_str!("../../../generated/src/runtime/mod.rs");
        // Without comments and attributes, statement by statement.
        let code: String = source
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("//") && !line.starts_with("#["))
            .collect::<Vec<_>>()
            .join(" ");
        let mut names = Vec::new();
        for statement in code.split(';').map(str::trim) {
            let Some(path) = statement
                .strip_prefix("pub(crate) use ")
                .or_else(|| statement.strip_prefix("pub use "))
            else {
                continue;
            };
            let list = path.split_once('{').map_or(path, |(_, list)| list);
            let list = list.rsplit("::").next().unwrap_or(list);
            names.extend(
                list.trim_matches(|c| c == '{' || c == '}')
                    .split(',')
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty()),
            );
        }
        names
    }

    #[test]
    fn every_item_emit_names_is_one_the_runtime_re_exports() {
        let exported = exported();
        assert!(exported.contains(&"PathBuilder".to_owned()), "{exported:?}");
        for item in ALL {
            assert!(
                exported.contains(&item.0.to_owned()),
                "the runtime does not re-export `{}`: {exported:?}",
                item.0
            );
        }
    }
}
