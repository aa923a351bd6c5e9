//! The general rule that places an operation in the client's resource tree, so
//! `GET /accounts/{account_id}/rules/lists/bulk_operations/{operation_id}` becomes
//! `client.rules().lists().bulk_operations().get(operation_id, params)`.
//!
//! - Resources are the literal path segments, minus a leading scope (`/accounts/{id}`, `/zones/{id}`:
//!   a first literal followed by a parameter), and minus parameters.
//! - The method comes from the HTTP verb: POST `create`, PUT `update`, PATCH `edit`, DELETE `delete`;
//!   GET is `list` when the call returns an array and `get` otherwise.

use super::path_template::{PathSegment, PathTemplate};
use crate::ident::{ident, Case};

pub struct Placement {
    pub resource: Vec<String>,
    pub method: String,
}

pub fn place(path: &PathTemplate, http_method: &str, returns_array: bool) -> Placement {
    let mut resource: Vec<String> = path
        .below_scope()
        .iter()
        .filter_map(|s| match s {
            PathSegment::Literal(text) => Some(ident(text, Case::Snake)),
            PathSegment::Param(_) => None,
        })
        .collect();
    if resource.is_empty() {
        resource = vec![path
            .literals()
            .next()
            .map_or_else(|| "root".to_owned(), |s| ident(s, Case::Snake))];
    }
    let method = match http_method.to_ascii_lowercase().as_str() {
        "get" if returns_array => "list".to_owned(),
        "get" => "get".to_owned(),
        "post" => "create".to_owned(),
        "put" => "update".to_owned(),
        "patch" => "edit".to_owned(),
        other => ident(other, Case::Snake),
    };
    Placement { resource, method }
}

/// `bulk_operations` -> `bulk_operation`, for type names such as `BulkOperationGetParams`.
pub fn singular(word: &str) -> String {
    let keep = ["ss", "us", "is", "news", "dns", "series", "species"];
    if keep.iter().any(|k| word.ends_with(k)) {
        return word.to_owned();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_owned();
        }
    }
    word.strip_suffix('s')
        .filter(|s| !s.is_empty())
        .unwrap_or(word)
        .to_owned()
}

#[cfg(test)]
mod tests;
