//! Types the document defines more than once. Cloudflare's document repeats the same shapes under each
//! product's prefix (its messages, envelopes, identifiers...): about four types in ten are copies. Each copy
//! becomes a type alias of one definition, so users keep every name while the crate compiles each shape's
//! serde, `Debug`, `Clone` and `PartialEq` code once.
//!
//! Two types are the same when they have the same kind and members, and the types their members name are
//! the same in turn (partition refinement, as in minimising an automaton). Docs and names do not count.

use crate::ir::{Api, Ty, TypeDef, TypeKind, TypePath};
use std::collections::{BTreeSet, HashMap};

/// Turns every copy into an alias of its definition. Uses keep the names they had (a field of a Lists type
/// still reads `ListsItem`), so every member of a class is compiled whenever any is: each gets the features of
/// all, and the definition the directions of all.
pub fn merge(api: &mut Api) {
    let classes = classes(&api.types);
    let canonical = canonical_members(&api.types, &classes);
    if canonical.iter().enumerate().all(|(i, &c)| c == i) {
        return;
    }
    let mut class_features: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for (def, class) in api.types.iter().zip(&classes) {
        if !def.features.is_empty() {
            class_features
                .entry(*class)
                .or_default()
                .extend(def.features.iter().cloned());
        }
    }
    for (def, class) in api.types.iter_mut().zip(&classes) {
        if !def.features.is_empty() {
            if let Some(all) = class_features.get(class) {
                def.features = all.iter().cloned().collect();
            }
        }
    }
    for (i, &c) in canonical.iter().enumerate() {
        if c == i {
            continue;
        }
        let (sent, received) = (api.types[i].sent, api.types[i].received);
        let definition = &mut api.types[c];
        definition.sent |= sent;
        definition.received |= received;
        let path = definition.path.clone();
        let copy = &mut api.types[i];
        copy.kind = TypeKind::Alias(Ty::Named(path.clone()));
        copy.copy_of = Some(path);
    }
}

/// Each type's class: types in one class are the same shape. Aliases (the `serde_json::Value` fallbacks) are
/// each their own class.
fn classes(types: &[TypeDef]) -> Vec<usize> {
    let index: HashMap<&TypePath, usize> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (&t.path, i))
        .collect();
    // Start from one class for all, then split by the signature until nothing splits.
    let mut class = vec![0usize; types.len()];
    let mut count = 1;
    loop {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let next: Vec<usize> = types
            .iter()
            .enumerate()
            .map(|(i, def)| {
                // The previous class is part of the signature, so classes only ever split.
                let signature = format!(
                    "{}|{}",
                    class[i],
                    signature(def, i, &|path: &TypePath| {
                        index.get(path).map_or(usize::MAX, |&j| class[j])
                    })
                );
                let fresh = ids.len();
                *ids.entry(signature).or_insert(fresh)
            })
            .collect();
        let new_count = ids.len();
        class = next;
        if new_count == count {
            return class;
        }
        count = new_count;
    }
}

/// Everything that makes a type's shape, with named types replaced by their current class.
fn signature(def: &TypeDef, own: usize, class_of: &dyn Fn(&TypePath) -> usize) -> String {
    let ty = |ty: &Ty| ty_signature(ty, class_of);
    match &def.kind {
        TypeKind::Struct { fields, extra } => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "{}:{}:{}:{}:{}:{}:{}:{}",
                        f.wire,
                        f.flatten,
                        f.ident,
                        ty(&f.ty),
                        f.required,
                        f.nullable,
                        f.deprecated,
                        f.boxed
                    )
                })
                .collect();
            format!(
                "struct {} [{}] {:?}",
                def.deprecated,
                fields.join(","),
                extra.as_ref().map(ty)
            )
        }
        TypeKind::StringEnum { values, open } => {
            let values: Vec<String> = values
                .iter()
                .map(|v| format!("{}={}", v.ident, v.wire))
                .collect();
            format!("enum {} {open} [{}]", def.deprecated, values.join(","))
        }
        TypeKind::Union(union) => {
            let variants: Vec<String> = union
                .variants
                .iter()
                .map(|v| format!("{}:{}:{:?}:{}", v.ident, ty(&v.ty), v.selector, v.boxed))
                .collect();
            format!(
                "union {} {:?} [{}]",
                def.deprecated,
                union.rule,
                variants.join(",")
            )
        }
        // Never merged: the fallbacks stay apart, each documented where it comes from.
        TypeKind::Alias(_) => format!("alias #{own}"),
    }
}

fn ty_signature(ty: &Ty, class_of: &dyn Fn(&TypePath) -> usize) -> String {
    match ty {
        Ty::Named(path) => format!("#{}", class_of(path)),
        Ty::Array(inner) => format!("[{}]", ty_signature(inner, class_of)),
        Ty::Map(inner) => format!("{{{}}}", ty_signature(inner, class_of)),
        Ty::Nullable(inner) => format!("{}?", ty_signature(inner, class_of)),
        other => format!("{other:?}"),
    }
}

/// For each type, the type it becomes an alias of (itself when it stays a definition). The definition is the
/// first of its class in the shared `types` module, so any product can name it; a class with none there keeps
/// one definition per product (a product's module is compiled only with its feature).
fn canonical_members(types: &[TypeDef], classes: &[usize]) -> Vec<usize> {
    let mut shared: HashMap<usize, usize> = HashMap::new();
    let mut per_product: HashMap<(usize, &str), usize> = HashMap::new();
    for (i, def) in types.iter().enumerate() {
        if def.features.is_empty() {
            continue;
        }
        let product = def.path.module.first().map_or("", String::as_str);
        if product == "types" {
            shared.entry(classes[i]).or_insert(i);
        } else {
            per_product.entry((classes[i], product)).or_insert(i);
        }
    }
    types
        .iter()
        .enumerate()
        .map(|(i, def)| {
            if def.features.is_empty() || matches!(def.kind, TypeKind::Alias(_)) {
                return i;
            }
            let product = def.path.module.first().map_or("", String::as_str);
            shared
                .get(&classes[i])
                .or_else(|| per_product.get(&(classes[i], product)))
                .copied()
                .unwrap_or(i)
        })
        .collect()
}
