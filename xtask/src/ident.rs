//! The one place where spec names become Rust identifiers.
//!
//! heck does the casing; this module makes the result a valid, non-reserved identifier: symbols are
//! spelled out or dropped, non-ASCII letters become their code point, a leading digit gets a prefix and
//! keywords get a trailing `_`. Wire names are kept separately (`#[serde(rename)]`), so nothing here has to
//! round-trip.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Fields, functions, modules, parameters.
    Snake,
    /// Types and enum variants.
    Pascal,
}

/// Rust keywords in every edition, plus the reserved ones; none of them is usable as a plain identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Names of symbols that would otherwise vanish, so `+` and `-` as enum values stay distinct.
const SYMBOL_WORDS: &[(char, &str)] = &[
    ('+', "plus"),
    ('-', "minus"),
    ('*', "star"),
    ('/', "slash"),
    ('.', "dot"),
    ('@', "at"),
    ('#', "hash"),
    ('!', "bang"),
    ('<', "lt"),
    ('>', "gt"),
    ('=', "eq"),
    ('~', "tilde"),
    ('%', "percent"),
    ('&', "and"),
    ('|', "or"),
    ('^', "caret"),
    ('$', "dollar"),
    ('?', "question"),
    (',', "comma"),
    (':', "colon"),
    (';', "semicolon"),
];

/// Longest identifier kept as is: module names become directory names, which file systems limit (often to
/// 255 bytes), and nobody reads a longer name anyway.
pub const MAX_IDENT: usize = 64;

/// `name` cut to `max` bytes when longer, ending in a hash of the whole name so that names which share a
/// long prefix stay distinct (and the same name always gets the same result).
pub fn shorten(name: String, max: usize, case: Case) -> String {
    if name.len() <= max {
        return name;
    }
    // FNV-1a: tiny and stable across Rust versions, unlike `DefaultHasher`.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let suffix = match case {
        Case::Snake => format!("_{:08x}", hash as u32),
        Case::Pascal => format!("H{:08X}", hash as u32),
    };
    let mut keep = max.saturating_sub(suffix.len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{suffix}", name[..keep].trim_end_matches('_'))
}

thread_local! {
    /// Results of [`ident`] by case: lowering asks for the same names many times (every property of every
    /// use of a schema), and casing is most of a name's cost. Lowering runs on a thread of its own, so the
    /// memo lives as long as one run.
    static MEMO: RefCell<[HashMap<String, String>; 2]> = RefCell::default();
}

/// Turns any string into a valid Rust identifier in the given case.
pub fn ident(raw: &str, case: Case) -> String {
    let slot = case as usize;
    if let Some(hit) = MEMO.with(|memo| memo.borrow()[slot].get(raw).cloned()) {
        return hit;
    }
    let made = make_ident(raw, case);
    MEMO.with(|memo| memo.borrow_mut()[slot].insert(raw.to_owned(), made.clone()));
    made
}

fn make_ident(raw: &str, case: Case) -> String {
    let words = ascii_words(raw);
    let cased = match case {
        Case::Snake => words.to_snake_case(),
        Case::Pascal => words.to_upper_camel_case(),
    };
    let mut out = if cased.is_empty() {
        match case {
            Case::Snake => "empty".to_owned(),
            Case::Pascal => "Empty".to_owned(),
        }
    } else {
        cased
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(
            0,
            match case {
                Case::Snake => "n",
                Case::Pascal => "N",
            },
        );
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    shorten(out, MAX_IDENT, case)
}

/// Rewrites `raw` into ASCII words separated by spaces: alphanumerics kept, non-ASCII letters as
/// `u{hex}`, and symbols spelled out only when the name has no letters or digits of its own.
fn ascii_words(raw: &str) -> String {
    let has_alnum = raw.chars().any(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c.is_alphanumeric() {
            out.push_str(&format!(" u{:04x} ", c as u32));
        } else if let Some((_, word)) = SYMBOL_WORDS
            .iter()
            .find(|(s, _)| *s == c)
            .filter(|_| !has_alnum)
        {
            out.push(' ');
            out.push_str(word);
            out.push(' ');
        } else {
            out.push(' ');
        }
    }
    out
}

/// A set of names already used in one scope; `claim` hands out a free one, deterministically.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    pub fn with_reserved(names: &[&str]) -> Self {
        Scope {
            taken: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    /// Returns `name`, or `name` with the smallest numeric suffix that is still free, and marks it taken.
    pub fn claim(&mut self, name: &str, case: Case) -> String {
        let mut candidate = name.to_owned();
        // `self_` (a keyword's escape) numbers as `self_2`, not `self__2`, which the naming lints reject.
        let stem = name.trim_end_matches('_');
        let stem = if stem.is_empty() { name } else { stem };
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = match case {
                Case::Snake => format!("{stem}_{n}"),
                Case::Pascal => format!("{stem}{n}"),
            };
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

#[cfg(test)]
mod tests;
