//! Per-product Cargo features. Each top-level resource (`client.dns_records()`, `client.rules()`...) is one
//! feature; a type is compiled with the features of the calls that use it, directly or through other types,
//! so a user who enables one product compiles only what that product needs. Types that no call uses are
//! not emitted at all. Each type also learns whether calls send it, receive it, or both: serde's derives
//! are a large share of the crate's compile time, so a type gets only the half it needs.

use crate::ir::{Api, BodyMedia, Operation, Response, Ty, TypeKind, TypePath};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Feature names Cargo or this crate give a meaning of their own; a resource with such a name gets a suffix.
const RESERVED: &[&str] = &["default", "full"];

/// The feature of the top-level resource `module`.
pub fn feature_name(module: &str) -> String {
    if RESERVED.contains(&module) {
        format!("{module}_api")
    } else {
        module.to_owned()
    }
}

/// The feature of the product an operation belongs to.
pub fn of_operation(op: &Operation) -> String {
    feature_name(op.resource.first().map_or("", String::as_str))
}

/// Sets each type's `features`, and each feature's dependencies on other features (a product whose calls
/// use a type defined in another product's module needs that product's module too).
pub fn assign(api: &mut Api) -> BTreeMap<String, BTreeSet<String>> {
    let index: HashMap<TypePath, usize> = crate::ir::index_types(&api.types);
    let mut reached: Vec<BTreeSet<String>> = vec![BTreeSet::new(); api.types.len()];
    // Whether each type is reached from what calls send, and from what they receive.
    let mut sent = vec![false; api.types.len()];
    let mut received = vec![false; api.types.len()];
    let mut products: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in &api.operations {
        let feature = of_operation(op);
        products.entry(feature.clone()).or_default();
        let (outgoing, incoming) = operation_types(op);
        for (roots, direction) in [(outgoing, &mut sent), (incoming, &mut received)] {
            let mut pending: Vec<usize> = Vec::new();
            for ty in roots {
                named_in(ty, &mut |p| pending.extend(index.get(p).copied()));
            }
            while let Some(i) = pending.pop() {
                let new_feature = reached[i].insert(feature.clone());
                let new_direction = !std::mem::replace(&mut direction[i], true);
                if !new_feature && !new_direction {
                    continue;
                }
                for ty in kind_types(&api.types[i].kind) {
                    named_in(ty, &mut |p| pending.extend(index.get(p).copied()));
                }
            }
        }
    }
    for (i, def) in api.types.iter_mut().enumerate() {
        def.sent = sent[i];
        def.received = received[i];
    }
    for (def, features) in api.types.iter_mut().zip(reached) {
        // A type in a product's own module is compiled with that module; others who use it depend on it.
        if let Some(owner) = def.path.module.first().filter(|m| m.as_str() != "types") {
            let owner = feature_name(owner);
            for feature in &features {
                if *feature != owner {
                    products
                        .entry(feature.clone())
                        .or_default()
                        .insert(owner.clone());
                }
            }
        }
        def.features = features.into_iter().collect();
    }
    products
}

/// The types an operation names: what it sends (its parameters and body), and what it receives.
pub(super) fn operation_types(op: &Operation) -> (Vec<&Ty>, Vec<&Ty>) {
    let mut found: Vec<&Ty> = op
        .positional
        .iter()
        .chain(&op.params)
        .map(|p| &p.ty)
        .collect();
    if let Some(body) = &op.body {
        match &body.media {
            BodyMedia::Json(ty) => found.push(ty),
            BodyMedia::Multipart { parts, .. } => found.extend(parts.iter().map(|p| &p.ty)),
            BodyMedia::Bytes(_) | BodyMedia::Text(_) => {}
        }
    }
    let mut incoming = Vec::new();
    match &op.response {
        Response::Enveloped(ty)
        | Response::EnvelopedNullable(ty)
        | Response::EnvelopedWhole(ty)
        | Response::Json(ty) => incoming.push(ty),
        Response::Text | Response::Bytes | Response::Empty => {}
    }
    if let Some(paging) = &op.paging {
        incoming.push(&paging.item);
    }
    (found, incoming)
}

/// The types a definition names.
pub(super) fn kind_types(kind: &TypeKind) -> Vec<&Ty> {
    match kind {
        TypeKind::Struct { fields, extra } => {
            fields.iter().map(|f| &f.ty).chain(extra.as_ref()).collect()
        }
        TypeKind::Union(union) => union.variants.iter().map(|v| &v.ty).collect(),
        TypeKind::Alias(ty) => vec![ty],
        TypeKind::StringEnum { .. } => Vec::new(),
    }
}

/// Calls `found` with every named type in `ty`.
pub(super) fn named_in<'t>(ty: &'t Ty, found: &mut impl FnMut(&'t TypePath)) {
    match ty {
        Ty::Named(path) => found(path),
        _ => {
            if let Some(inner) = ty.inner() {
                named_in(inner, found)
            }
        }
    }
}
