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
pub fn spliced(print: impl FnOnce() -> String) -> String {
    PENDING.with(|pending| *pending.borrow_mut() = Some(Vec::new()));
    let printed = print();
    let table = PENDING
        .with(|pending| pending.borrow_mut().take())
        .unwrap_or_default();
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
    out
}

fn lines(text: &str) -> Vec<String> {
    let text = escape_prose(text);
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

/// Spec prose that rustdoc would misread, rewritten so it reads as written: bare URLs become autolinks
/// (`<https://…>`), brackets that are not links are escaped (`\[code\]`, not a broken intra-doc link), and
/// what markdown would make a code block, so a doctest (text indented by a tab or four spaces after a blank
/// line, a table with rows starting with `>` or `<`), is fenced as `text`. Code fences and code spans are
/// left alone.
fn escape_prose(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut in_fence = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if in_fence || line.trim_start().starts_with("```") {
            out.push(line.to_owned());
            i += 1;
            continue;
        }
        let after_blank = i == 0 || lines[i - 1].trim().is_empty();
        let block_end = if after_blank && is_indented(line) && !after_list_item(&lines[..i]) {
            Some(indented_block_end(&lines, i))
        } else if is_table_row(line) && (i == 0 || !is_table_row(lines[i - 1])) {
            let end = (i..lines.len())
                .find(|&j| !is_table_row(lines[j]))
                .unwrap_or(lines.len());
            let block = &lines[i..end];
            let separated = block.iter().any(|l| {
                l.contains('-') && l.chars().all(|c| matches!(c, '-' | '|' | ':' | ' ' | '\t'))
            });
            let quoted = block.iter().any(|l| {
                let l = l.trim_start();
                l.starts_with('>') || l.starts_with('<')
            });
            (separated && quoted).then_some(end)
        } else {
            None
        };
        if let Some(end) = block_end {
            out.push("```text".to_owned());
            out.extend(lines[i..end].iter().map(|l| (*l).to_owned()));
            out.push("```".to_owned());
            i = end;
            continue;
        }
        out.push(escape_line(line));
        i += 1;
    }
    out.join("\n")
}

fn is_indented(line: &str) -> bool {
    line.starts_with('\t') || line.starts_with("    ")
}

fn is_table_row(line: &str) -> bool {
    line.contains('|')
}

/// Whether the paragraph before the blank line is a list item: then indented text continues the item.
fn after_list_item(before: &[&str]) -> bool {
    let Some(previous) = before.iter().rev().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let item = previous.trim_start();
    item.starts_with("- ")
        || item.starts_with("* ")
        || item.starts_with("+ ")
        || item
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The line after an indented block that starts at `start`: blank lines inside it belong to it when more
/// indented text follows.
fn indented_block_end(lines: &[&str], start: usize) -> usize {
    let mut end = start;
    let mut j = start;
    while j < lines.len() {
        if is_indented(lines[j]) && !lines[j].trim().is_empty() {
            end = j + 1;
        } else if !lines[j].trim().is_empty() {
            break;
        }
        j += 1;
    }
    end
}

/// One line of prose: code spans kept, bare URLs made autolinks, brackets that open no link escaped.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            if rest.starts_with("https://") || rest.starts_with("http://") {
                // A link's target, an autolink, a link's text or an HTML attribute is no bare URL.
                let linked = out.ends_with("](")
                    || out.ends_with('<')
                    || out.ends_with('[')
                    || out.ends_with("=\"")
                    || out.ends_with("='");
                if !linked {
                    let len = url_len(rest);
                    out.push('<');
                    out.push_str(&rest[..len]);
                    out.push('>');
                    rest = &rest[len..];
                    continue;
                }
            } else if c == '[' && !out.ends_with('\\') && !out.ends_with(']') {
                if let Some(close) = rest.find(']') {
                    let next = rest[close + 1..].chars().next();
                    // `` [`path`] `` is an intra-doc link, which rustdoc checks resolves.
                    let inner = &rest[1..close];
                    let path_link =
                        inner.len() > 1 && inner.starts_with('`') && inner.ends_with('`');
                    if !path_link && !matches!(next, Some('(' | '[' | ':')) {
                        out.push_str("\\[");
                        out.push_str(&rest[1..close]);
                        out.push_str("\\]");
                        rest = &rest[close + 1..];
                        continue;
                    }
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of the URL at the start of `text`: up to white space or a closing delimiter, without the
/// sentence's punctuation after it.
fn url_len(text: &str) -> usize {
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\'' | '`' | ']' | '<'))
        .unwrap_or(text.len());
    text[..end]
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_rustdoc_would_misread_is_escaped() {
        assert_eq!(
            escape_prose("See https://a.example/x. Or [docs](https://b.example), <https://c.example>, \"https://d.example\"."),
            "See <https://a.example/x>. Or [docs](https://b.example), <https://c.example>, \"<https://d.example>\"."
        );
        assert_eq!(
            escape_prose("status http_status:[code] or `[kept]` and [link][ref]"),
            "status http_status:\\[code\\] or `[kept]` and [link][ref]"
        );
        assert_eq!(escape_prose("see [`crate::X`]"), "see [`crate::X`]");
        assert_eq!(
            escape_prose("An example:\n\n\tcurl -X GET \"https://x.example\" \\\n\n\t\t-H x\n\nAfter."),
            "An example:\n\n```text\n\tcurl -X GET \"https://x.example\" \\\n\n\t\t-H x\n```\n\nAfter."
        );
        assert_eq!(
            escape_prose("1. item\n\n    more of the item"),
            "1. item\n\n    more of the item"
        );
        assert_eq!(
            escape_prose("Op | Name\n---|---\n== | Equals\n> | Greater\ndone"),
            "```text\nOp | Name\n---|---\n== | Equals\n> | Greater\n```\ndone"
        );
        assert_eq!(
            escape_prose("a | b\n---|---\n1 | 2"),
            "a | b\n---|---\n1 | 2"
        );
    }

    #[test]
    fn untagged_fences_become_text_and_closers_stay() {
        assert_eq!(
            lines("a\n```\nx\n```\n```json\n{}\n```"),
            [" a", " ```text", " x", " ```", " ```json", " {}", " ```"]
        );
    }
}
