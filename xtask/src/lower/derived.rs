//! The last pass: facts about the finished model that emitting needs, computed once here so that emit
//! only reads them: which structs derive `Default`, which types serde decodes from its own buffer, and the
//! distinct security requirements.

use crate::ir::{is_string_enum, Api, BodyMedia, FormPart, Operation, Ty, TypeKind, TypePath};
use std::collections::BTreeSet;

pub fn fill(api: &mut Api) {
    let defaultable = defaultable_structs(api);
    let buffered = buffered(api);
    for def in &mut api.types {
        def.defaultable = defaultable.contains(&def.path);
        def.buffered = buffered.contains(&def.path);
    }
    let mut sets: Vec<Vec<Vec<crate::ir::AuthScheme>>> = Vec::new();
    for op in &mut api.operations {
        op.security_set = match sets.iter().position(|s| s == &op.security) {
            Some(i) => i,
            None => {
                sets.push(op.security.clone());
                sets.len() - 1
            }
        };
    }
    api.security_sets = sets;
    let facts: Vec<(bool, bool)> = api
        .operations
        .iter()
        .map(|op| {
            (
                params_default(op, api, &defaultable),
                form_default(op, &defaultable),
            )
        })
        .collect();
    for (op, (params, form)) in api.operations.iter_mut().zip(facts) {
        op.params_default = params;
        op.form_default = form;
    }
}

/// Structs that can derive `Default`: every field is an `Option` or has a default itself (computed to a
/// fixed point, since structs contain structs). Unions and enums have no natural default.
fn defaultable_structs(api: &Api) -> BTreeSet<TypePath> {
    let mut found: BTreeSet<TypePath> = BTreeSet::new();
    loop {
        let before = found.len();
        for def in &api.types {
            let ok = match (&def.kind, &def.copy_of) {
                (TypeKind::Struct { fields, .. }, _) => fields
                    .iter()
                    .all(|f| f.optional() || has_default(&f.ty, &found)),
                // A copy of a struct is an alias: it has a default when the struct has.
                (_, Some(of)) => found.contains(of),
                _ => false,
            };
            if ok {
                found.insert(def.path.clone());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

fn has_default(ty: &Ty, structs: &BTreeSet<TypePath>) -> bool {
    match ty {
        Ty::DateTime => false,
        Ty::Named(path) => structs.contains(path),
        _ => true,
    }
}

/// Whether a multipart form can derive `Default`: a required enum part has no value to start from.
fn form_defaultable(parts: &[FormPart], structs: &BTreeSet<TypePath>) -> bool {
    parts
        .iter()
        .all(|p| !p.required || p.binary || p.repeated || has_default(&p.ty, structs))
}

fn form_default(op: &Operation, structs: &BTreeSet<TypePath>) -> bool {
    match op.body.as_ref().map(|b| &b.media) {
        Some(BodyMedia::Multipart { parts, .. }) => form_defaultable(parts, structs),
        _ => false,
    }
}

/// Whether the params struct can derive `Default`: its body has one (or is optional) and no required
/// parameter is a string enum.
fn params_default(op: &Operation, api: &Api, structs: &BTreeSet<TypePath>) -> bool {
    let body_default = match &op.body {
        None => true,
        Some(body) if !body.required => true,
        Some(body) => match &body.media {
            BodyMedia::Json(Ty::Named(p)) => structs.contains(p),
            BodyMedia::Json(Ty::DateTime) => false,
            BodyMedia::Multipart { parts, .. } => form_defaultable(parts, structs),
            _ => true,
        },
    };
    body_default
        && op
            .params
            .iter()
            .all(|p| !p.required || !is_string_enum(|path| api.find(path), &p.ty))
}

/// Types that serde decodes from its own buffer instead of the JSON text: what a struct flattens (the
/// values of its `additionalProperties` beside its properties, a union of its `allOf`), and all they
/// contain. A union among them cannot capture its raw JSON text, so it decodes through a
/// `serde_json::Value`.
fn buffered(api: &Api) -> BTreeSet<TypePath> {
    let mut found = BTreeSet::new();
    let mut pending: Vec<&Ty> = api
        .types
        .iter()
        .flat_map(|def| match &def.kind {
            TypeKind::Struct { fields, extra } => fields
                .iter()
                .filter(|f| f.flatten)
                .map(|f| &f.ty)
                .chain(extra)
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    while let Some(ty) = pending.pop() {
        match ty {
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => pending.push(inner),
            // A copy's definition is what is decoded: it is the one that is buffered.
            Ty::Named(path) if found.insert(api.find(path).map_or(path, |d| &d.path).clone()) => {
                match api.find(path).map(|d| &d.kind) {
                    Some(TypeKind::Struct { fields, extra }) => {
                        pending.extend(fields.iter().map(|f| &f.ty));
                        pending.extend(extra);
                    }
                    Some(TypeKind::Union(union)) => {
                        pending.extend(union.variants.iter().map(|v| &v.ty))
                    }
                    Some(TypeKind::Alias(inner)) => pending.push(inner),
                    Some(TypeKind::StringEnum { .. }) | None => {}
                }
            }
            _ => {}
        }
    }
    found
}
