//! Docs for what the document leaves undescribed. Every public item of the crate is documented
//! (`#![deny(missing_docs)]`): a type the spec says nothing about gets a sentence saying where it is used
//! (the body or result of a call, an item of one, a call's parameter, a property or variant of another type),
//! and a property without a description says which property it is.

use crate::ir::{Api, BodyMedia, Operation, Response, Ty, TypeKind, TypePath};
use std::collections::HashMap;

/// Fills the docs the spec left empty.
pub fn fill(api: &mut Api) {
    let mut said: HashMap<TypePath, Said> = HashMap::new();
    for op in &api.operations {
        let call = call_path(op);
        let mut say = |ty: &Ty, role: &str| {
            let (path, text) = match named(ty) {
                Some((path, false)) => (path, format!("The {role} of {call}.")),
                Some((path, true)) => (path, format!("An item of the {role} of {call}.")),
                None => return,
            };
            said.entry(path.clone())
                .and_modify(|s| s.others += 1)
                .or_insert(Said { text, others: 0 });
        };
        match op.body.as_ref().map(|b| &b.media) {
            Some(BodyMedia::Json(ty)) => say(ty, "body"),
            Some(BodyMedia::Multipart { parts, .. }) => {
                for part in parts {
                    say(&part.ty, &format!("`{}` part of the body", part.wire));
                }
            }
            _ => {}
        }
        match &op.response {
            Response::Enveloped(ty) | Response::EnvelopedNullable(ty) | Response::Json(ty) => {
                say(ty, "result")
            }
            Response::EnvelopedWhole(ty) => say(ty, "response"),
            Response::Text | Response::Bytes | Response::Empty => {}
        }
        for param in op.positional.iter().chain(&op.params) {
            say(&param.ty, &format!("`{}` parameter", param.wire));
        }
    }
    let mut placed: HashMap<TypePath, String> = HashMap::new();
    for def in &api.types {
        let parent = &def.path.name;
        let mut place = |ty: &Ty, text: String| {
            let Some((path, _)) = named(ty) else { return };
            placed.entry(path.clone()).or_insert(text);
        };
        match &def.kind {
            TypeKind::Struct { fields, extra } => {
                for f in fields {
                    let text = match f.flatten {
                        true => format!("The `{}` part of `{parent}`.", f.ident),
                        false => format!("The `{}` property of `{parent}`.", f.wire),
                    };
                    place(&f.ty, text);
                }
                if let Some(extra) = extra {
                    place(extra, format!("The other properties of `{parent}`."));
                }
            }
            TypeKind::Union(union) => {
                for v in &union.variants {
                    place(&v.ty, format!("A variant of `{parent}`."));
                }
            }
            TypeKind::Alias(ty) => place(ty, format!("What `{parent}` stands for.")),
            TypeKind::StringEnum { .. } => {}
        }
    }
    for def in &mut api.types {
        if def.doc.as_deref().is_none_or(|d| d.trim().is_empty()) {
            def.doc = said
                .get(&def.path)
                .map(Said::sentence)
                .or_else(|| placed.get(&def.path).cloned());
        }
        if let TypeKind::Struct { fields, .. } = &mut def.kind {
            for f in fields {
                if f.doc.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    f.doc = Some(format!("The `{}` property.", f.wire));
                }
            }
        }
    }
}

/// The type `ty` names, and whether it is inside an array or map.
fn named(ty: &Ty) -> Option<(&TypePath, bool)> {
    match ty {
        Ty::Named(path) => Some((path, false)),
        Ty::Array(inner) | Ty::Map(inner) => named(inner).map(|(path, _)| (path, true)),
        Ty::Nullable(inner) => named(inner),
        _ => None,
    }
}

/// Where a type is used by calls: the first use, and how many more calls use it.
struct Said {
    text: String,
    others: usize,
}

impl Said {
    fn sentence(&self) -> String {
        match self.others {
            0 => self.text.clone(),
            1 => format!("{} Also used by one other call.", self.text),
            n => format!("{} Also used by {n} other calls.", self.text),
        }
    }
}

/// `` `client.rules().lists().items().create()` ``.
fn call_path(op: &Operation) -> String {
    let resources: String = op.resource.iter().map(|r| format!("{r}().")).collect();
    format!("`client.{resources}{}()`", op.fn_name)
}
