//! Doc comments from spec text: one `#[doc]` line each; code fences without a language (or marked rust)
//! become `text`, so rustdoc does not compile prose as doctests.
//!
//! Spec text is most of the output's bytes. Carried through tokens, every line would be escaped into a
//! literal, parsed by syn and unescaped by prettyplease again. Inside [`spliced`] the tokens carry a short
//! marker per doc comment instead, and the text goes in after printing: the same bytes, printed faster.

use proc_macro2::TokenStream;
use quote::quote;
use std::cell::RefCell;

/// Starts a marker's doc value: `///\u{1}7` is doc comment 7 of the file being printed. Spec text never
/// produces it, since every doc line is empty or starts with a space.
const MARKER: char = '\u{1}';

thread_local! {
    /// The doc comments of the file being built on this thread, while [`spliced`] runs.
    static PENDING: RefCell<Option<Vec<Vec<String>>>> = const { RefCell::new(None) };
}

pub fn outer(text: &str) -> TokenStream {
    let lines = lines(text);
    if lines.is_empty() {
        return TokenStream::new();
    }
    match defer(lines) {
        Ok(marker) => quote! { #[doc = #marker] },
        Err(lines) => quote! { #(#[doc = #lines])* },
    }
}

pub fn inner(text: &str) -> TokenStream {
    let lines = lines(text);
    if lines.is_empty() {
        return TokenStream::new();
    }
    match defer(lines) {
        Ok(marker) => quote! { #![doc = #marker] },
        Err(lines) => quote! { #(#![doc = #lines])* },
    }
}

/// Inside [`spliced`], keeps the lines for later and returns the marker that stands for them; elsewhere
/// gives the lines back.
fn defer(lines: Vec<String>) -> Result<String, Vec<String>> {
    PENDING.with(|pending| match pending.borrow_mut().as_mut() {
        Some(table) => {
            table.push(lines);
            Ok(format!("{MARKER}{}", table.len() - 1))
        }
        None => Err(lines),
    })
}

/// Runs `print`, which builds tokens with [`outer`] and [`inner`] and prints them, then replaces each
/// marker line of the printed text with the doc comment it stands for.
pub fn spliced(print: impl FnOnce() -> anyhow::Result<String>) -> anyhow::Result<String> {
    PENDING.with(|pending| *pending.borrow_mut() = Some(Vec::new()));
    let printed = print();
    let table = PENDING
        .with(|pending| pending.borrow_mut().take())
        .unwrap_or_default();
    let printed = printed?;
    let mut out = String::with_capacity(
        printed.len() + table.iter().flatten().map(|l| l.len() + 8).sum::<usize>(),
    );
    for line in printed.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let marker = body
            .strip_prefix("///")
            .or_else(|| body.strip_prefix("//!"))
            .and_then(|rest| rest.trim_end().strip_prefix(MARKER))
            .and_then(|index| index.parse::<usize>().ok())
            .and_then(|index| table.get(index));
        match marker {
            Some(doc_lines) => {
                for doc_line in doc_lines {
                    out.push_str(indent);
                    out.push_str(&body[..3]);
                    out.push_str(doc_line);
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    Ok(out)
}

fn lines(text: &str) -> Vec<String> {
    let mut in_fence = false;
    text.trim_end()
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let line = if let Some(lang) = trimmed.strip_prefix("```") {
                let opening = !in_fence;
                in_fence = !in_fence;
                if opening && (lang.trim().is_empty() || lang.trim() == "rust") {
                    format!("{}```text", &line[..line.len() - trimmed.len()])
                } else {
                    line.to_owned()
                }
            } else {
                line.to_owned()
            };
            if line.is_empty() {
                String::new()
            } else {
                format!(" {}", line.trim_end())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_fences_become_text_and_closers_stay() {
        assert_eq!(
            lines("a\n```\nx\n```\n```json\n{}\n```"),
            [" a", " ```text", " x", " ```", " ```json", " {}", " ```"]
        );
    }
}
