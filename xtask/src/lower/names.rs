//! Names a user would guess. A schema written in the shared `types` module (a component, or a schema inside
//! one) that only one call uses is named after that call and its role there, exactly as the call would have
//! named it written in place: `ListCreateBody`, `EntryCreateBodyItem`, `ItemListResponse`,
//! `ListListResponseItem` (`…Result` when the call's result may be `null`), and it moves to the call's
//! module. The types named after a position inside it follow it (`ItemListResponseResultInfo`). A schema several calls use keeps the
//! component's name, since no one call owns it. Every new name is claimed in its module, so a clash gets the
//! smallest free number, in document order.

use super::resource::singular;
use crate::ident::{ident, shorten, Case, Scope, MAX_IDENT};
use crate::ir::{Api, BodyMedia, Response, Ty, TypeKind, TypePath};
use std::collections::{BTreeMap, HashMap};

/// The module every type not owned by a call lives in.
const SHARED: &str = "types";

/// Renames and moves every type that one call alone uses, and rewrites every use of it.
pub fn by_role(api: &mut Api) {
    let index = crate::ir::index_types(&api.types);
    let users = users(api, &index);
    let mut scopes = taken_names(api);
    let mut renamed: HashMap<TypePath, TypePath> = HashMap::new();
    for (op_index, op) in api.operations.iter().enumerate() {
        let last = op.resource.last().map(String::as_str).unwrap_or("root");
        let base = format!(
            "{}{}",
            ident(&singular(last), Case::Pascal),
            ident(&op.fn_name, Case::Pascal)
        );
        let mut roles: Vec<(&Ty, String)> = Vec::new();
        if let Some(BodyMedia::Json(ty)) = op.body.as_ref().map(|b| &b.media) {
            roles.push((ty, format!("{base}Body")));
        }
        match &op.response {
            Response::Enveloped(ty) | Response::EnvelopedWhole(ty) | Response::Json(ty) => {
                roles.push((ty, op.response_type.clone()))
            }
            Response::EnvelopedNullable(ty) => roles.push((ty, format!("{base}Result"))),
            Response::Text | Response::Bytes | Response::Empty => {}
        }
        for (ty, name) in roles {
            let (path, name) = match ty {
                Ty::Named(path) => (path, name),
                Ty::Array(item) => match item.as_ref() {
                    Ty::Named(path) => (path, format!("{name}Item")),
                    Ty::Nullable(inner) => match inner.as_ref() {
                        Ty::Named(path) => (path, format!("{name}Item")),
                        _ => continue,
                    },
                    _ => continue,
                },
                _ => continue,
            };
            let Some(&i) = index.get(path) else { continue };
            if path.module.first().map(String::as_str) != Some(SHARED)
                || users[i] != Some(op_index)
                || renamed.contains_key(path)
            {
                continue;
            }
            let scope = scopes
                .entry(op.resource.clone())
                .or_insert_with(|| Scope::with_reserved(super::PRELUDE_NAMES));
            // The result alias's own name is free for the type that is the result: no alias is emitted then.
            let name = if name == op.response_type {
                name
            } else {
                scope.claim(&name, Case::Pascal)
            };
            let to = TypePath {
                module: op.resource.clone(),
                name,
            };
            follow(api, &index, &users, i, &to, op_index, scope, &mut renamed);
            renamed.insert(path.clone(), to);
        }
    }
    rewrite(api, &renamed);
}

/// Renames the types named after a position inside the type at `i` (their names start with its name) that
/// the same call alone uses, after `to`.
#[allow(clippy::too_many_arguments)]
fn follow(
    api: &Api,
    index: &HashMap<TypePath, usize>,
    users: &[Option<usize>],
    i: usize,
    to: &TypePath,
    op_index: usize,
    scope: &mut Scope,
    renamed: &mut HashMap<TypePath, TypePath>,
) {
    let from = &api.types[i].path.name;
    let mut children = Vec::new();
    for ty in kind_types(&api.types[i].kind) {
        named_in(ty, &mut |p| children.push(p.clone()));
    }
    for child in children {
        let Some(&j) = index.get(&child) else {
            continue;
        };
        let def = &api.types[j];
        let Some(rest) = child.name.strip_prefix(from.as_str()) else {
            continue;
        };
        if !def.inline
            || rest.is_empty()
            || users[j] != Some(op_index)
            || child.module.first().map(String::as_str) != Some(SHARED)
            || renamed.contains_key(&child)
        {
            continue;
        }
        let name = shorten(format!("{}{rest}", to.name), 2 * MAX_IDENT, Case::Pascal);
        let new = TypePath {
            module: to.module.clone(),
            name: scope.claim(&name, Case::Pascal),
        };
        renamed.insert(child.clone(), new.clone());
        follow(api, index, users, j, &new, op_index, scope, renamed);
    }
}

/// For each type, the one call that uses it (directly or through other types), or `None` when no call or
/// several do.
fn users(api: &Api, index: &HashMap<TypePath, usize>) -> Vec<Option<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Used {
        Never,
        By(usize),
        Shared,
    }
    let mut used = vec![Used::Never; api.types.len()];
    for (op_index, op) in api.operations.iter().enumerate() {
        let mut pending: Vec<usize> = Vec::new();
        for ty in super::features::operation_types(op)
            .0
            .into_iter()
            .chain(super::features::operation_types(op).1)
        {
            named_in(ty, &mut |p| pending.extend(index.get(p).copied()));
        }
        while let Some(i) = pending.pop() {
            match used[i] {
                Used::By(o) if o == op_index => continue,
                Used::Shared => continue,
                Used::Never => used[i] = Used::By(op_index),
                Used::By(_) => used[i] = Used::Shared,
            }
            for ty in kind_types(&api.types[i].kind) {
                named_in(ty, &mut |p| pending.extend(index.get(p).copied()));
            }
        }
    }
    used.into_iter()
        .map(|u| match u {
            Used::By(op) => Some(op),
            _ => None,
        })
        .collect()
}

/// The names already taken in each module: its types, and the calls' params structs, result aliases, handles
/// and forms.
fn taken_names(api: &Api) -> BTreeMap<Vec<String>, Scope> {
    let mut scopes: BTreeMap<Vec<String>, Scope> = BTreeMap::new();
    let mut take = |module: &[String], name: &str| {
        scopes
            .entry(module.to_vec())
            .or_insert_with(|| Scope::with_reserved(super::PRELUDE_NAMES))
            .claim(name, Case::Pascal);
    };
    for def in &api.types {
        take(&def.path.module, &def.path.name);
    }
    for resource in &api.resources {
        take(&resource.module, &resource.handle);
    }
    for op in &api.operations {
        take(&op.resource, &op.params_type);
        take(&op.resource, &op.response_type);
        if let Some(waiter) = &op.waiter {
            take(&op.resource, &waiter.handle);
        }
        if let Some(BodyMedia::Multipart { type_name, .. }) = op.body.as_ref().map(|b| &b.media) {
            take(&op.resource, type_name);
        }
    }
    scopes
}

/// Points every type and every use of one at its new path.
fn rewrite(api: &mut Api, renamed: &HashMap<TypePath, TypePath>) {
    if renamed.is_empty() {
        return;
    }
    let fix = |ty: &mut Ty| rename_in(ty, renamed);
    for def in &mut api.types {
        if let Some(to) = renamed.get(&def.path) {
            def.path = to.clone();
        }
        match &mut def.kind {
            TypeKind::Struct { fields, extra } => {
                fields.iter_mut().for_each(|f| fix(&mut f.ty));
                extra.iter_mut().for_each(fix);
            }
            TypeKind::Union(union) => union.variants.iter_mut().for_each(|v| fix(&mut v.ty)),
            TypeKind::Alias(ty) => fix(ty),
            TypeKind::StringEnum { .. } => {}
        }
    }
    for op in &mut api.operations {
        op.positional
            .iter_mut()
            .chain(&mut op.params)
            .for_each(|p| fix(&mut p.ty));
        match op.body.as_mut().map(|b| &mut b.media) {
            Some(BodyMedia::Json(ty)) => fix(ty),
            Some(BodyMedia::Multipart { parts, .. }) => {
                parts.iter_mut().for_each(|p| fix(&mut p.ty))
            }
            _ => {}
        }
        match &mut op.response {
            Response::Enveloped(ty)
            | Response::EnvelopedNullable(ty)
            | Response::EnvelopedWhole(ty)
            | Response::Json(ty) => fix(ty),
            Response::Text | Response::Bytes | Response::Empty => {}
        }
        if let Some(paging) = &mut op.paging {
            fix(&mut paging.item);
        }
    }
    api.type_index = crate::ir::index_types(&api.types);
}

fn rename_in(ty: &mut Ty, renamed: &HashMap<TypePath, TypePath>) {
    match ty {
        Ty::Named(path) => {
            if let Some(to) = renamed.get(path) {
                *path = to.clone();
            }
        }
        _ => {
            if let Some(inner) = ty.inner_mut() {
                rename_in(inner, renamed)
            }
        }
    }
}

use super::features::{kind_types, named_in};
