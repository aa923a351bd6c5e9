//! Doc comments from spec text: one `#[doc]` line each; code fences without a language (or marked rust)
//! become `text`, so rustdoc does not compile prose as doctests.

use proc_macro2::TokenStream;
use quote::quote;

pub fn outer(text: &str) -> TokenStream {
    let lines = lines(text);
    quote! { #(#[doc = #lines])* }
}

pub fn inner(text: &str) -> TokenStream {
    let lines = lines(text);
    quote! { #(#![doc = #lines])* }
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
