//! The members of an `allOf` that are not objects, beside members that are. `allOf` means the value meets
//! every member, so nothing is dropped: a union (`oneOf`/`anyOf` of objects) becomes a flattened part of
//! the struct, its properties beside the struct's own on the wire; a union whose members only add
//! `required` to the struct's properties becomes a note in its doc; only what no object can also be (a
//! string, an array) is left out, with a warning.

use super::{add_paragraph, component_name, members_location, Direction, Hint, Merged};
use crate::ident::{ident, Case, Scope};
use crate::ir::{Field, TypeKind, TypePath};
use crate::location::Location;
use crate::lower::view::{shape, Shape};
use crate::lower::Lowerer;
use anyhow::Result;
use openapiv3::{ReferenceOr, Schema, SchemaKind};
use std::collections::BTreeSet;

/// A part named from its members' titles joins at most this many; more are named after the keyword.
const MAX_TITLES_IN_NAME: usize = 3;

impl<'a> Lowerer<'a> {
    /// Adds `merged.others` (the `allOf` members that are not objects) to the struct `kind` built from
    /// the object members.
    ///
    /// A struct with a flattened part has no `extra` map: serde gives both every key the struct's own
    /// fields do not take, so each would send them again. The part keeps them (a union's `Unknown`, or
    /// its variant's own map).
    pub(super) fn add_allof_parts(
        &mut self,
        merged: &Merged<'a>,
        path: &TypePath,
        at: &str,
        dir: Direction,
        kind: &mut TypeKind,
    ) -> Result<()> {
        let TypeKind::Struct { fields, extra } = kind else {
            return Ok(());
        };
        let mut scope = Scope::with_reserved(&["extra"]);
        for f in fields.iter() {
            scope.claim(&f.ident, Case::Snake);
        }
        let mut flattened = false;
        for (r, location) in &merged.others {
            let (schema, _, resolved_at) = self.resolve(*r, location)?;
            // `merge` keeps members resolved; a component's own location names it.
            let component = self.component_at(&resolved_at);
            let (keyword, members) = match shape(schema) {
                Shape::OneOf(members, _) => ("oneOf", members),
                Shape::AnyOf(members, _) => ("anyOf", members),
                _ => {
                    self.warnings.push(format!(
                        "{location}: an `allOf` member that cannot be an object beside members that are; the object members are used"
                    ));
                    continue;
                }
            };
            let (_, members_at) = members_location(schema, &resolved_at, None);
            if let Some((names, note)) = required_only(schema, keyword, members, merged, |i, m| {
                self.resolve(m.into(), &members_at.index(i))
                    .map(|(s, _, _)| s)
            })? {
                for f in fields.iter_mut().filter(|f| names.contains(&f.wire)) {
                    add_paragraph(&mut f.doc, &note);
                }
                continue;
            }
            let mut shared = BTreeSet::new();
            let mut objects = true;
            for (i, member) in members.iter().enumerate() {
                let view = self.object_view(member.into(), &members_at.index(i))?;
                objects &= view.others.is_empty();
                shared.extend(
                    view.properties
                        .keys()
                        .filter(|name| merged.properties.contains_key(*name))
                        .cloned(),
                );
            }
            if !objects {
                self.warnings.push(format!(
                    "{location}: an `allOf` member whose `{keyword}` members are not all objects, beside object members; the object members are used"
                ));
                continue;
            }
            let name = self.part_name(schema, component, keyword, members, &members_at)?;
            let hint = Hint {
                module: path.module.clone(),
                name: path.name.clone(),
            };
            let ty = match component {
                Some(key) => self.lower_component(key, schema, &resolved_at, dir)?,
                None => self.lower_inline(schema, &hint.child(&name), &resolved_at, dir)?,
            };
            let mut doc = format!(
                "The `{keyword}` this object also meets (an `allOf` member): its properties sit beside the \
                 others in the JSON."
            );
            if !shared.is_empty() {
                let names: Vec<String> = shared.iter().map(|n| format!("`{n}`")).collect();
                doc.push_str(&format!(
                    " Its shapes also name {}, which this struct's own fields hold: on the wire they \
                     go to those fields, so leave them unset here.",
                    names.join(", ")
                ));
            }
            if let Some(said) = &schema.schema_data.description {
                doc = format!("{said}\n\n{doc}");
            }
            fields.push(Field {
                wire: String::new(),
                ident: scope.claim(&ident(&name, Case::Snake), Case::Snake),
                ty,
                required: true,
                nullable: false,
                doc: Some(doc),
                deprecated: schema.schema_data.deprecated,
                boxed: false,
                flatten: true,
            });
            flattened = true;
        }
        if flattened && extra.take().is_some() {
            self.warnings.push(format!(
                "{at}: `additionalProperties` beside an `allOf` member that is a union; the other keys are kept by that union"
            ));
        }
        Ok(())
    }

    /// The component whose own location `at` is (`#/components/schemas/NAME`), by its key in the document.
    fn component_at(&self, at: &str) -> Option<&'a str> {
        let name = component_name(at, "schemas")?;
        let schemas = &self.doc.components.as_ref()?.schemas;
        schemas
            .get_key_value(name.as_str())
            .map(|(key, _)| key.as_str())
    }

    /// A flattened part's name, from the spec: the union's `title`, else its component's name, else its
    /// members' titles joined by "or" (when each has one and they are few), else the keyword.
    fn part_name(
        &self,
        schema: &Schema,
        component: Option<&str>,
        keyword: &str,
        members: &'a [ReferenceOr<Schema>],
        members_at: &str,
    ) -> Result<String> {
        if let Some(name) = schema.schema_data.title.as_deref().or(component) {
            return Ok(name.to_owned());
        }
        let mut titles = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            let (member, component, _) = self.resolve(member.into(), &members_at.index(i))?;
            match member.schema_data.title.as_deref().or(component) {
                Some(title) => titles.push(title.to_owned()),
                None => return Ok(keyword.to_owned()),
            }
        }
        Ok(if titles.len() <= MAX_TITLES_IN_NAME {
            titles.join(" or ")
        } else {
            keyword.to_owned()
        })
    }
}

/// A union whose members only list `required` properties the struct has (Cloudflare's "at least one of
/// `breakout`, `priority`"): a constraint on those fields, said in their docs, not a part. Returns the
/// properties and the note.
fn required_only<'a>(
    schema: &Schema,
    keyword: &str,
    members: &'a [ReferenceOr<Schema>],
    merged: &Merged<'_>,
    resolve: impl Fn(usize, &'a ReferenceOr<Schema>) -> Result<&'a Schema>,
) -> Result<Option<(BTreeSet<String>, String)>> {
    if !matches!(shape(schema), Shape::OneOf(_, None) | Shape::AnyOf(_, None)) || members.is_empty()
    {
        return Ok(None);
    }
    let mut choices = Vec::with_capacity(members.len());
    let mut names = BTreeSet::new();
    for (i, member) in members.iter().enumerate() {
        let member = resolve(i, member)?;
        let required = match &member.schema_kind {
            SchemaKind::Any(any) if matches!(shape(member), Shape::Any) => &any.required,
            _ => return Ok(None),
        };
        if required.is_empty() || !required.iter().all(|n| merged.properties.contains_key(n)) {
            return Ok(None);
        }
        names.extend(required.iter().cloned());
        let quoted: Vec<String> = required.iter().map(|n| format!("`{n}`")).collect();
        choices.push(quoted.join(" and "));
    }
    let how_many = if keyword == "anyOf" {
        "at least one"
    } else {
        "exactly one"
    };
    let note = format!(
        "The spec requires {how_many} of: {} (`{keyword}`).",
        choices.join("; ")
    );
    Ok(Some((names, note)))
}
