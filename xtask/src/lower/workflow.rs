//! What makes a call more than one request: cursor paging (a Cloudflare convention, found in the
//! parameters and the envelope) and long-running operations (declared with `x-sdk-waiter`, since which
//! states mean "done" is meaning the spec's types cannot carry).

use crate::ir::{
    Operation, Paging, ParamLocation, Response, Rule, Started, Ty, TypeDef, TypeKind, TypePath,
    Waiter,
};
use anyhow::{bail, Result};

/// Cloudflare's cursor paging: the `cursor` query parameter takes the previous page's
/// `result_info.cursors.after`; the list ends when there is none.
const CURSOR_PARAM: &str = "cursor";
const NEXT_CURSOR: [&str; 3] = ["result_info", "cursors", "after"];
const PAGE_ITEMS: &str = "result";

/// The vendor extension on a call that reads an operation's state:
/// `x-sdk-waiter: {success: [values], failure: [values], message: property}`, values of the result
/// union's discriminator; any other value means "still running".
pub const WAITER_EXTENSION: &str = "x-sdk-waiter";

/// Cursor paging for `op`, when its parameters and page type follow the convention. `find` looks types up.
pub fn paging<'t>(
    op: &Operation,
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
) -> Option<Paging> {
    let Response::EnvelopedWhole(Ty::Named(page)) = &op.response else {
        return None;
    };
    let cursor_param = op.params.iter().position(|p| {
        p.wire == CURSOR_PARAM
            && p.location == ParamLocation::Query
            && p.ty == Ty::String
            && !p.required
    })?;
    let page_fields = struct_fields(&find, page)?;
    let items = page_fields.iter().find(|f| f.wire == PAGE_ITEMS)?;
    let Ty::Array(item) = &items.ty else {
        return None;
    };
    let mut next_cursor = Vec::new();
    let mut optional = Vec::new();
    let mut fields = page_fields;
    for (depth, wire) in NEXT_CURSOR.iter().enumerate() {
        let field = fields.iter().find(|f| f.wire == *wire)?;
        next_cursor.push(field.ident.clone());
        optional.push(field.optional());
        match &field.ty {
            Ty::Named(next) if depth + 1 < NEXT_CURSOR.len() => {
                fields = struct_fields(&find, next)?
            }
            Ty::String if depth + 1 == NEXT_CURSOR.len() => {}
            _ => return None,
        }
    }
    Some(Paging {
        page_fn: format!("{}_page", op.fn_name),
        cursor_param,
        next_cursor,
        optional,
        item: (**item).clone(),
        result_optional: items.optional(),
        result_ident: items.ident.clone(),
    })
}

fn struct_fields<'t>(
    find: &impl Fn(&TypePath) -> Option<&'t TypeDef>,
    path: &TypePath,
) -> Option<&'t [crate::ir::Field]> {
    match &find(path)?.kind {
        TypeKind::Struct { fields, .. } => Some(fields),
        _ => None,
    }
}

/// Reads `x-sdk-waiter` against the call's result union; errors name the spec location.
pub fn waiter<'t>(
    extension: &serde_json::Value,
    response: &Response,
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
    handle: String,
    at: &str,
) -> Result<Waiter> {
    let at = format!("{at}.{WAITER_EXTENSION}");
    let values = |key: &str| -> Result<Vec<String>> {
        let Some(list) = extension.get(key).and_then(|v| v.as_array()) else {
            bail!("{at}.{key}: expected a list of the result's status values");
        };
        list.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow::anyhow!("{at}.{key}: `{v}` is not a string"))
            })
            .collect()
    };
    let (success, failure) = (values("success")?, values("failure")?);
    let union = match response {
        Response::Enveloped(Ty::Named(path)) => match find(path).map(|t| &t.kind) {
            Some(TypeKind::Union(union)) => union,
            _ => bail!("{at}: the call's result must be a union decided by a status property"),
        },
        _ => bail!("{at}: the call's result must be a union decided by a status property"),
    };
    let Rule::Tag(tag) = &union.rule else {
        bail!("{at}: the result union is not decided by a property's value");
    };
    let variants_for = |wanted: &[String], key: &str| -> Result<Vec<String>> {
        let mut idents = Vec::new();
        for value in wanted {
            let Some(variant) = union.variants.iter().find(|v| v.tags.contains(value)) else {
                bail!("{at}.{key}: `{value}` is not a value of the result's `{tag}`");
            };
            if variant.tags.iter().any(|t| !wanted.contains(t)) {
                bail!(
                    "{at}.{key}: variant `{}` also stands for {:?}, which is not listed",
                    variant.ident,
                    variant.tags
                );
            }
            if !idents.contains(&variant.ident) {
                idents.push(variant.ident.clone());
            }
        }
        Ok(idents)
    };
    let succeeded = variants_for(&success, "success")?;
    let failed = variants_for(&failure, "failure")?;
    let variant_fields = |ident: &str| {
        union
            .variants
            .iter()
            .find(|v| v.ident == ident)
            .and_then(|v| match &v.ty {
                Ty::Named(p) => struct_fields(&find, p),
                _ => None,
            })
    };
    let message = match extension.get("message") {
        None => None,
        Some(serde_json::Value::String(wire)) => {
            let mut ident = None;
            for variant in &failed {
                let field = variant_fields(variant).and_then(|fields| {
                    fields
                        .iter()
                        .find(|f| &f.wire == wire && f.ty == Ty::String)
                });
                match field {
                    Some(field) => ident = Some(field.ident.clone()),
                    None => bail!(
                        "{at}.message: failed variant `{variant}` has no string property `{wire}`"
                    ),
                }
            }
            ident
        }
        Some(other) => bail!("{at}.message: expected a property name, got `{other}`"),
    };
    let status_field = union
        .variants
        .iter()
        .find_map(|v| match &v.ty {
            Ty::Named(p) => struct_fields(&find, p)?
                .iter()
                .find(|f| &f.wire == tag)
                .map(|f| f.ident.clone()),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("{at}: no variant has the `{tag}` property"))?;
    Ok(Waiter {
        succeeded,
        failed,
        message,
        status_field,
        handle,
    })
}

/// Links calls that start an operation to the waiter that polls it: the call's result is an object whose
/// only property is the waiter call's id parameter, and the waiter's other parameters are path parameters
/// the call has too. When several waiters fit, the one nearest in the resource tree (longest shared module
/// path) wins; a tie links nothing and is returned as a warning naming the call.
pub fn link_started<'t>(
    operations: &mut [Operation],
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
) -> Vec<String> {
    struct Candidate {
        op: usize,
        id_wire: String,
        scope: Vec<String>,
        module: Vec<String>,
    }
    let waiters: Vec<Candidate> = operations
        .iter()
        .enumerate()
        .filter_map(|(w, op)| {
            let (Some(_), [id_param]) = (&op.waiter, op.positional.as_slice()) else {
                return None;
            };
            if op.params.iter().any(|p| p.location != ParamLocation::Path) {
                return None;
            }
            Some(Candidate {
                op: w,
                id_wire: id_param.wire.clone(),
                scope: op.params.iter().map(|p| p.ident.clone()).collect(),
                module: op.resource.clone(),
            })
        })
        .collect();
    let mut warnings = Vec::new();
    if waiters.is_empty() {
        return warnings;
    }
    for op in operations.iter_mut() {
        let Response::Enveloped(Ty::Named(result)) = &op.response else {
            continue;
        };
        let Some([field]) = struct_fields(&find, result) else {
            continue;
        };
        if field.ty != Ty::String {
            continue;
        }
        let fitting = waiters.iter().filter(|w| {
            field.wire == w.id_wire
                && w.scope.iter().all(|ident| {
                    op.params
                        .iter()
                        .any(|p| &p.ident == ident && p.location == ParamLocation::Path)
                })
        });
        let shared = |w: &Candidate| {
            w.module
                .iter()
                .zip(&op.resource)
                .take_while(|(a, b)| a == b)
                .count()
        };
        let mut nearest: Vec<&Candidate> = Vec::new();
        for w in fitting {
            match nearest.first().map(|n| shared(n).cmp(&shared(w))) {
                Some(std::cmp::Ordering::Greater) => {}
                Some(std::cmp::Ordering::Equal) => nearest.push(w),
                Some(std::cmp::Ordering::Less) | None => nearest = vec![w],
            }
        }
        match nearest.as_slice() {
            [] => {}
            [w] => {
                op.starts = Some(Started {
                    waiter_op: w.op,
                    id_field: field.ident.clone(),
                    id_optional: field.optional(),
                });
            }
            several => warnings.push(format!(
                "{}: its result fits {} waiters equally well ({}); it returns the result, not a handle",
                op.origin,
                several.len(),
                several
                    .iter()
                    .map(|w| format!("`{}`", w.module.join(".")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    warnings
}
