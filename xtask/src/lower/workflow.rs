//! What makes a call more than one request: paging by cursor or page number (Cloudflare's conventions, found
//! in the parameters and the envelope) and long-running operations (declared with `x-sdk-waiter`, since which
//! states mean "done" is meaning the spec's types cannot carry).

use crate::ir::{
    Field, Operation, Paging, PagingConvention, Param, ParamLocation, Response, Rule, Selector,
    Started, Step, Ty, TypeDef, TypeKind, TypePath, Union, Waiter,
};
use anyhow::{bail, Result};

/// The two paging conventions of Cloudflare's list calls, found by name in the parameters and the envelope:
/// a `cursor` query parameter that takes the previous page's `result_info.cursors.after` (or
/// `result_info.cursor`), or a `page` number query parameter, with `result_info.total_pages` and
/// `result_info.total_count` saying where the listing ends when the envelope has them.
const CURSOR_PARAM: &str = "cursor";
const PAGE_PARAM: &str = "page";
const PAGE_SIZE_PARAM: &str = "per_page";
const PAGE_INFO: &str = "result_info";
const NEXT_CURSOR: [&str; 2] = ["cursors", "after"];
const TOTAL_PAGES: &str = "total_pages";
const TOTAL_COUNT: &str = "total_count";
const PAGE_ITEMS: &str = "result";

/// The vendor extension on a call that reads an operation's state:
/// `x-sdk-waiter: {success: [values], failure: [values], message: property}`, values of the result
/// union's discriminator; any other value means "still running".
pub const WAITER_EXTENSION: &str = "x-sdk-waiter";

/// Paging for `op`, when it is a list call (a GET whose result is an array: the envelope's `result`, or a
/// `result` array in other JSON) that takes a cursor or a page number by the conventions above; a cursor
/// wins when a call takes both. `find` looks types up.
pub fn paging<'t>(
    op: &Operation,
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
) -> Option<Paging> {
    if op.method != "GET" {
        return None;
    }
    // The page: the envelope (items in `result`, and its `result_info`) or other JSON with a `result` array,
    // or the `result` array alone.
    let (item, items, page_optional, page_fields) = match &op.response {
        Response::EnvelopedWhole(Ty::Named(page)) | Response::Json(Ty::Named(page)) => {
            let fields = struct_fields(&find, page)?;
            let items = fields.iter().find(|f| f.wire == PAGE_ITEMS)?;
            let Ty::Array(item) = &items.ty else {
                return None;
            };
            (item, Some(step(items)), false, fields)
        }
        Response::Enveloped(Ty::Array(item)) => (item, None, false, &[][..]),
        Response::EnvelopedNullable(Ty::Array(item)) => (item, None, true, &[][..]),
        _ => return None,
    };
    // The fields from the page down to `result_info.<path>`, when the leaf's type passes `leaf`.
    let info = |path: &[&str], leaf: fn(&Ty) -> bool| -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        let mut fields = page_fields;
        let wires = std::iter::once(PAGE_INFO).chain(path.iter().copied());
        let last = path.len();
        for (depth, wire) in wires.enumerate() {
            let field = fields.iter().find(|f| f.wire == wire)?;
            steps.push(step(field));
            match &field.ty {
                ty if depth == last => return leaf(ty).then_some(steps),
                Ty::Named(next) => fields = struct_fields(&find, next)?,
                _ => return None,
            }
        }
        None
    };
    let query_param = |wire: &str, fits: fn(&Ty) -> bool| {
        op.params
            .iter()
            .position(|p| p.wire == wire && p.location == ParamLocation::Query && fits(&p.ty))
    };
    let is_string = |ty: &Ty| *ty == Ty::String;
    let is_count = |ty: &Ty| matches!(ty, Ty::Integer | Ty::Number);
    let cursor = query_param(CURSOR_PARAM, is_string)
        .filter(|param| !op.params[*param].required)
        .and_then(|param| {
            let next =
                info(&NEXT_CURSOR, is_string).or_else(|| info(&[CURSOR_PARAM], is_string))?;
            Some(PagingConvention::Cursor { param, next })
        });
    let convention = match cursor {
        Some(cursor) => cursor,
        None => {
            let param = query_param(PAGE_PARAM, is_count)?;
            PagingConvention::Pages {
                param,
                first: first_page(&op.params[param]),
                total_pages: info(&[TOTAL_PAGES], is_count),
                total_count: info(&[TOTAL_COUNT], is_count),
            }
        }
    };
    Some(Paging {
        page_fn: format!("{}_page", op.fn_name),
        item: (**item).clone(),
        items,
        page_optional,
        convention,
    })
}

/// A list call's page number and page size are counts, whole by meaning: where the spec types them `number`
/// (as Cloudflare often does), they are integers.
pub fn count_pages_in_integers(op: &mut Operation) {
    if op.paging.is_none() {
        return;
    }
    for p in &mut op.params {
        let counts = p.wire == PAGE_PARAM || p.wire == PAGE_SIZE_PARAM;
        if counts && p.location == ParamLocation::Query && p.ty == Ty::Number {
            p.ty = Ty::Integer;
        }
    }
}

/// The number of the page a listing starts at when the caller gives none: the parameter's `default`, else its
/// `minimum`, else 1.
fn first_page(param: &Param) -> u64 {
    let whole = |n: f64| (n >= 0.0 && n.fract() == 0.0 && n < u64::MAX as f64).then_some(n as u64);
    param
        .default
        .as_ref()
        .and_then(serde_json::Value::as_f64)
        .and_then(whole)
        .or_else(|| param.constraints.minimum.and_then(|b| whole(b.value)))
        .unwrap_or(1)
}

fn step(field: &Field) -> Step {
    Step {
        ident: field.ident.clone(),
        optional: field.optional(),
    }
}

fn struct_fields<'t>(
    find: &impl Fn(&TypePath) -> Option<&'t TypeDef>,
    path: &TypePath,
) -> Option<&'t [Field]> {
    match &find(path)?.kind {
        TypeKind::Struct { fields, .. } => Some(fields),
        _ => None,
    }
}

/// Reads `x-sdk-waiter` against the call's result union; errors name the spec location.
pub fn waiter<'t>(
    extension: &serde_json::Value,
    response: &Response,
    positional: &[Param],
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
    let succeeded = variants_for(union, tag, &success, &format!("{at}.success"))?;
    let failed = variants_for(union, tag, &failure, &format!("{at}.failure"))?;
    let message = failure_message(extension.get("message"), union, &failed, &find, &at)?;
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
    let [id_param] = positional else {
        bail!("{at}: the call must take the operation's id as its one argument (its path's last segment)");
    };
    Ok(Waiter {
        succeeded,
        failed,
        message,
        status_field,
        handle,
        id_arg: id_param.ident.clone(),
        tag: tag.clone(),
    })
}

/// The idents of the variants whose tag values are `wanted` (`x-sdk-waiter`'s `success` or `failure`, at
/// `at`); each variant must stand for listed values only.
fn variants_for(union: &Union, tag: &str, wanted: &[String], at: &str) -> Result<Vec<String>> {
    let mut idents = Vec::new();
    for value in wanted {
        let found = union.variants.iter().find_map(|v| match &v.selector {
            Selector::Tag(values) if values.contains(value) => Some((v, values)),
            _ => None,
        });
        let Some((variant, values)) = found else {
            bail!("{at}: `{value}` is not a value of the result's `{tag}`");
        };
        if values.iter().any(|t| !wanted.contains(t)) {
            bail!(
                "{at}: variant `{}` also stands for {:?}, which is not listed",
                variant.ident,
                values
            );
        }
        if !idents.contains(&variant.ident) {
            idents.push(variant.ident.clone());
        }
    }
    Ok(idents)
}

/// `x-sdk-waiter`'s `message` (at `at`): the field ident of the string property every failed variant
/// reports its message in, if the extension names one.
fn failure_message<'t>(
    message: Option<&serde_json::Value>,
    union: &Union,
    failed: &[String],
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
    at: &str,
) -> Result<Option<String>> {
    let wire = match message {
        None => return Ok(None),
        Some(serde_json::Value::String(wire)) => wire,
        Some(other) => bail!("{at}.message: expected a property name, got `{other}`"),
    };
    let mut ident = None;
    for variant in failed {
        let fields = union
            .variants
            .iter()
            .find(|v| &v.ident == variant)
            .and_then(|v| match &v.ty {
                Ty::Named(p) => struct_fields(&find, p),
                _ => None,
            });
        let field = fields.and_then(|fields| {
            fields
                .iter()
                .find(|f| &f.wire == wire && f.ty == Ty::String)
        });
        match field {
            Some(field) => ident = Some(field.ident.clone()),
            None => {
                bail!("{at}.message: failed variant `{variant}` has no string property `{wire}`")
            }
        }
    }
    Ok(ident)
}

/// A call with a waiter that a starting call can link to: its one id argument, and only path parameters
/// besides (its scope).
struct Candidate {
    op: usize,
    handle: String,
    id_wire: String,
    scope: Vec<String>,
    module: Vec<String>,
}

fn waiter_candidates(operations: &[Operation]) -> Vec<Candidate> {
    operations
        .iter()
        .enumerate()
        .filter_map(|(w, op)| {
            let (Some(waiter), [id_param]) = (&op.waiter, op.positional.as_slice()) else {
                return None;
            };
            if op.params.iter().any(|p| p.location != ParamLocation::Path) {
                return None;
            }
            Some(Candidate {
                op: w,
                handle: waiter.handle.clone(),
                id_wire: id_param.wire.clone(),
                scope: op.params.iter().map(|p| p.ident.clone()).collect(),
                module: op.resource.clone(),
            })
        })
        .collect()
}

/// The candidates nearest `module` in the resource tree (longest shared module path); several on a tie.
fn nearest<'c>(
    candidates: impl Iterator<Item = &'c Candidate>,
    module: &[String],
) -> Vec<&'c Candidate> {
    let shared = |w: &Candidate| {
        w.module
            .iter()
            .zip(module)
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut nearest: Vec<&Candidate> = Vec::new();
    for w in candidates {
        match nearest.first().map(|n| shared(n).cmp(&shared(w))) {
            Some(std::cmp::Ordering::Greater) => {}
            Some(std::cmp::Ordering::Equal) => nearest.push(w),
            Some(std::cmp::Ordering::Less) | None => nearest = vec![w],
        }
    }
    nearest
}

/// Links calls that start an operation to the waiter that polls it: the call's result is an object whose
/// only property is the waiter call's id parameter, and the waiter's other parameters are path parameters
/// the call has too. When several waiters fit, the one nearest in the resource tree (longest shared module
/// path) wins; a tie links nothing and is returned as a warning naming the call.
pub fn link_started<'t>(
    operations: &mut [Operation],
    find: impl Fn(&TypePath) -> Option<&'t TypeDef>,
) -> Vec<String> {
    let waiters = waiter_candidates(operations);
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
        match nearest(fitting, &op.resource).as_slice() {
            [] => {}
            [w] => {
                op.starts = Some(Started {
                    waiter_op: w.op,
                    handle: w.handle.clone(),
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
