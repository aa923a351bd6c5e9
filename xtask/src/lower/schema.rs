//! Schemas to types: `$ref`s resolved (each component lowered once), `allOf` merged (a later member's
//! property replaces an earlier one's), `oneOf`/`anyOf` turned into unions decided by a discriminator found
//! in the spec, inline objects and enums named after where they appear.

use super::view::{enum_allows_null, shape, OwnProps, Shape};
use super::Lowerer;
use crate::ident::{ident, Case, Scope};
use crate::ir::{find, EnumValue, Field, Ty, TypeDef, TypeKind, TypePath, Union, Variant};
use anyhow::{bail, Result};
use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema};
use std::collections::BTreeSet;

/// A schema position in the document: a `$ref` or a schema written in place.
#[derive(Clone, Copy)]
pub enum SchemaRef<'a> {
    Ref(&'a str),
    Inline(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for SchemaRef<'a> {
    fn from(r: &'a ReferenceOr<Schema>) -> Self {
        match r {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(s) => SchemaRef::Inline(s),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for SchemaRef<'a> {
    fn from(r: &'a ReferenceOr<Box<Schema>>) -> Self {
        match r {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(s) => SchemaRef::Inline(s),
        }
    }
}

/// Where a new named type would go if the schema needs one.
#[derive(Clone, Debug)]
pub struct Hint {
    pub module: Vec<String>,
    pub name: String,
}

impl Hint {
    pub fn child(&self, suffix: &str) -> Hint {
        Hint {
            module: self.module.clone(),
            name: format!("{}{}", self.name, ident(suffix, Case::Pascal)),
        }
    }
}

/// The properties of an object after every `allOf` member has been applied in order.
pub struct Merged<'a> {
    pub properties: IndexMap<String, (SchemaRef<'a>, String)>,
    pub required: BTreeSet<String>,
    pub additional: Option<&'a AdditionalProperties>,
    /// Members that are not objects (arrays, strings, unions...), with their locations.
    pub others: Vec<(SchemaRef<'a>, String)>,
    /// Properties a later member redefined.
    pub overridden: Vec<String>,
}

const MAX_REF_DEPTH: usize = 64;

impl<'a> Lowerer<'a> {
    /// Follows `$ref`s (also chains of them) to the schema they name, with the component's name.
    pub fn resolve(
        &self,
        r: SchemaRef<'a>,
        at: &str,
    ) -> Result<(&'a Schema, Option<&'a str>, String)> {
        let mut current = r;
        let mut name = None;
        let mut location = at.to_owned();
        for _ in 0..MAX_REF_DEPTH {
            match current {
                SchemaRef::Inline(s) => return Ok((s, name, location)),
                SchemaRef::Ref(reference) => {
                    let component = component_name(reference, "schemas")
                        .ok_or_else(|| anyhow::anyhow!("{at}: unsupported $ref `{reference}` (only `#/components/schemas/...` is supported here)"))?;
                    let (key, schema) = self
                        .doc
                        .components
                        .as_ref()
                        .and_then(|c| c.schemas.get_key_value(component.as_str()))
                        .ok_or_else(|| anyhow::anyhow!("{at}: unresolved $ref `{reference}`: no such schema in components.schemas"))?;
                    name = Some(key.as_str());
                    location = format!("#/components/schemas/{}", escape_pointer(key));
                    current = schema.into();
                }
            }
        }
        bail!("{at}: `$ref` chain longer than {MAX_REF_DEPTH} links (a reference cycle?)")
    }

    /// Lowers the schema at `r` to a type, defining named types as needed.
    pub fn lower(&mut self, r: SchemaRef<'a>, hint: &Hint, at: &str) -> Result<Ty> {
        let (schema, component, location) = self.resolve(r, at)?;
        match component {
            Some(name) => self.lower_component(name, schema, &location),
            None => self.lower_inline(schema, hint, &location),
        }
    }

    fn lower_component(&mut self, name: &'a str, schema: &'a Schema, at: &str) -> Result<Ty> {
        if let Some(ty) = self.components.get(name) {
            return Ok(ty.clone());
        }
        let hint = Hint {
            module: vec!["types".to_owned()],
            name: ident(name, Case::Pascal),
        };
        if self.needs_named_type(schema, at)? {
            // Registered before its properties are lowered, so recursive schemas refer to themselves.
            let path = self.claim_type(&hint);
            self.components.insert(name, Ty::Named(path.clone()));
            self.define(schema, path.clone(), at, false)?;
            Ok(Ty::Named(path))
        } else {
            self.components.insert(name, Ty::Json);
            let ty = self.lower_inline(schema, &hint, at)?;
            self.components.insert(name, ty.clone());
            Ok(ty)
        }
    }

    fn lower_inline(&mut self, schema: &'a Schema, hint: &Hint, at: &str) -> Result<Ty> {
        if let Some(ty) = self.inline_types.get(at) {
            return Ok(ty.clone());
        }
        let ty = match shape(schema) {
            Shape::String { format, values, .. } => {
                if !values.is_empty() {
                    self.define_new(schema, hint, at)?
                } else if format.as_deref() == Some("date-time") {
                    Ty::DateTime
                } else {
                    Ty::String
                }
            }
            Shape::Integer => Ty::Integer,
            Shape::Number => Ty::Number,
            Shape::Boolean => Ty::Boolean,
            Shape::Null => Ty::Null,
            Shape::Any => Ty::Json,
            Shape::Object {
                properties,
                additional,
                ..
            } => {
                if properties.is_empty() {
                    self.map_type(additional, hint, at)?
                } else {
                    self.define_new(schema, hint, at)?
                }
            }
            Shape::Array { items } => match items {
                Some(items) => {
                    let ty =
                        self.lower(items.into(), &hint.child("Item"), &format!("{at}/items"))?;
                    Ty::Array(Box::new(ty))
                }
                None => Ty::Array(Box::new(Ty::Json)),
            },
            Shape::OneOf(_) | Shape::AnyOf(_) => self.define_new(schema, hint, at)?,
            Shape::AllOf { members, own } => {
                let merged = self.merge(members, own, at)?;
                if !merged.properties.is_empty() {
                    self.define_new(schema, hint, at)?
                } else if let [(only, location)] = merged.others.as_slice() {
                    self.lower(*only, hint, location)?
                } else if merged.others.is_empty() {
                    self.map_type(merged.additional, hint, at)?
                } else {
                    self.loose(at, "`allOf` of several members that are not objects")
                }
            }
            Shape::Unsupported(what) => self.loose(at, &format!("{what} is not supported")),
        };
        if matches!(ty, Ty::Named(_)) {
            self.inline_types.insert(at.to_owned(), ty.clone());
        }
        Ok(ty)
    }

    /// `additionalProperties` as a map; an object with no properties and no rule is a map of any JSON.
    fn map_type(
        &mut self,
        additional: Option<&'a AdditionalProperties>,
        hint: &Hint,
        at: &str,
    ) -> Result<Ty> {
        Ok(match additional {
            Some(AdditionalProperties::Schema(value)) => {
                let r: &'a ReferenceOr<Schema> = value;
                Ty::Map(Box::new(self.lower(
                    r.into(),
                    &hint.child("Value"),
                    &format!("{at}/additionalProperties"),
                )?))
            }
            _ => Ty::Map(Box::new(Ty::Json)),
        })
    }

    /// Records a deliberate `serde_json::Value` fallback, with the reason and the spec location.
    pub fn loose(&mut self, at: &str, why: &str) -> Ty {
        self.warnings
            .push(format!("{at}: {why}; typed as serde_json::Value"));
        Ty::Json
    }

    fn needs_named_type(&mut self, schema: &'a Schema, at: &str) -> Result<bool> {
        Ok(match shape(schema) {
            Shape::String { values, .. } => !values.is_empty(),
            Shape::Object { properties, .. } => !properties.is_empty(),
            Shape::OneOf(_) | Shape::AnyOf(_) => true,
            Shape::AllOf { members, own } => !self.merge(members, own, at)?.properties.is_empty(),
            _ => false,
        })
    }

    fn define_new(&mut self, schema: &'a Schema, hint: &Hint, at: &str) -> Result<Ty> {
        let path = self.claim_type(hint);
        self.define(schema, path.clone(), at, true)?;
        Ok(Ty::Named(path))
    }

    /// Builds the type named `path` from `schema` and adds it to the model.
    fn define(&mut self, schema: &'a Schema, path: TypePath, at: &str, inline: bool) -> Result<()> {
        let data = &schema.schema_data;
        let mut doc = data.description.clone().or_else(|| data.title.clone());
        let kind = match shape(schema) {
            Shape::String { values, .. } => TypeKind::StringEnum {
                values: enum_values(&values),
                open: true,
            },
            Shape::Object {
                properties,
                required,
                additional,
            } => {
                if matches!(
                    additional,
                    Some(AdditionalProperties::Schema(_) | AdditionalProperties::Any(true))
                ) {
                    self.warnings.push(format!("{at}: `additionalProperties` beside `properties`; the extra keys are not kept"));
                }
                let merged = Merged::from_object(properties, required, at);
                TypeKind::Struct {
                    fields: self.fields(&merged, &path)?,
                }
            }
            Shape::AllOf { members, own } => {
                let merged = self.merge(members, own, at)?;
                if !merged.overridden.is_empty() {
                    let names = merged
                        .overridden
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let note = format!(
                        "Merged from `allOf`; where members disagree the later one wins ({names})."
                    );
                    doc = Some(match doc {
                        Some(d) => format!("{d}\n\n{note}"),
                        None => note,
                    });
                }
                if !merged.others.is_empty() {
                    self.warnings.push(format!("{at}: `allOf` mixes objects with other schemas; the object members are used"));
                }
                TypeKind::Struct {
                    fields: self.fields(&merged, &path)?,
                }
            }
            Shape::OneOf(members) | Shape::AnyOf(members) => {
                match self.union(schema, members, &path, at)? {
                    Some(union) => TypeKind::Union(union),
                    None => {
                        let why = "no property whose values tell the members apart (and no `discriminator`)";
                        let ty = self.loose(at, why);
                        self.types.push(TypeDef {
                            path,
                            doc,
                            kind: TypeKind::Alias(ty),
                            origin: at.to_owned(),
                            inline,
                            deprecated: data.deprecated,
                        });
                        return Ok(());
                    }
                }
            }
            _ => bail!("internal: {at} does not need a named type"),
        };
        self.types.push(TypeDef {
            path,
            doc,
            kind,
            origin: at.to_owned(),
            inline,
            deprecated: data.deprecated,
        });
        Ok(())
    }

    fn fields(&mut self, merged: &Merged<'a>, owner: &TypePath) -> Result<Vec<Field>> {
        let mut scope = Scope::default();
        let owner_hint = Hint {
            module: owner.module.clone(),
            name: owner.name.clone(),
        };
        let mut fields = Vec::with_capacity(merged.properties.len());
        for (wire, (r, location)) in &merged.properties {
            let ty = self.lower(*r, &owner_hint.child(wire), location)?;
            let (schema, _, _) = self.resolve(*r, location)?;
            let data = &schema.schema_data;
            fields.push(Field {
                wire: wire.clone(),
                ident: scope.claim(&ident(wire, Case::Snake), Case::Snake),
                required: merged.required.contains(wire),
                nullable: data.nullable || enum_allows_null(schema) || ty == Ty::Null,
                ty,
                doc: data.description.clone(),
                deprecated: data.deprecated,
            });
        }
        Ok(fields)
    }

    /// Applies `allOf` members in order: properties by name (a later definition replaces an earlier one),
    /// `required` as a union, `additionalProperties` from the last member that sets it.
    pub fn merge(
        &self,
        members: &'a [ReferenceOr<Schema>],
        own: OwnProps<'a>,
        at: &str,
    ) -> Result<Merged<'a>> {
        let mut merged = Merged::empty();
        for (i, member) in members.iter().enumerate() {
            self.merge_into(&mut merged, member.into(), &format!("{at}/allOf/{i}"), 0)?;
        }
        if let Some((properties, required)) = own {
            merged.add_object(properties, required, at);
        }
        Ok(merged)
    }

    /// The object view of any schema: its merged properties, or none when it is not an object.
    pub fn object_view(&self, r: SchemaRef<'a>, at: &str) -> Result<Merged<'a>> {
        let mut merged = Merged::empty();
        self.merge_into(&mut merged, r, at, 0)?;
        Ok(merged)
    }

    fn merge_into(
        &self,
        merged: &mut Merged<'a>,
        r: SchemaRef<'a>,
        at: &str,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_REF_DEPTH {
            bail!("{at}: `allOf` nested deeper than {MAX_REF_DEPTH} levels (a cycle?)");
        }
        let (schema, _, location) = self.resolve(r, at)?;
        match shape(schema) {
            Shape::AllOf { members, own } => {
                for (i, member) in members.iter().enumerate() {
                    self.merge_into(
                        merged,
                        member.into(),
                        &format!("{location}/allOf/{i}"),
                        depth + 1,
                    )?;
                }
                if let Some((properties, required)) = own {
                    merged.add_object(properties, required, &location);
                }
            }
            Shape::Object {
                properties,
                required,
                additional,
            } => {
                merged.add_object(properties, required, &location);
                if additional.is_some() {
                    merged.additional = additional;
                }
            }
            Shape::Any => {}
            _ => merged.others.push((SchemaRef::Inline(schema), location)),
        }
        Ok(())
    }

    /// Finds how to tell the members of a `oneOf`/`anyOf` apart and lowers each member.
    fn union(
        &mut self,
        schema: &'a Schema,
        members: &'a [ReferenceOr<Schema>],
        path: &TypePath,
        at: &str,
    ) -> Result<Option<Union>> {
        let keyword = if matches!(shape(schema), Shape::AnyOf(_)) {
            "anyOf"
        } else {
            "oneOf"
        };
        let mut views = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            views.push(self.object_view(member.into(), &format!("{at}/{keyword}/{i}"))?);
        }
        let explicit = schema.schema_data.discriminator.as_ref();
        let Some((tag, tags)) = (match explicit {
            Some(d) => Some((
                d.property_name.clone(),
                self.explicit_tags(d, members, &views)?,
            )),
            None => self.find_discriminator(&views)?,
        }) else {
            return Ok(None);
        };
        let hint = Hint {
            module: path.module.clone(),
            name: path.name.clone(),
        };
        let mut tys = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            let location = format!("{at}/{keyword}/{i}");
            let (member_schema, _, _) = self.resolve(member.into(), &location)?;
            let title = member_schema.schema_data.title.clone().unwrap_or_else(|| {
                tags[i]
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("Variant{i}"))
            });
            tys.push(self.lower(member.into(), &hint.child(&title), &location)?);
        }
        let names = variant_names(&tys, &tags);
        let mut variants = Vec::with_capacity(members.len());
        for ((ty, tags), ident) in tys.into_iter().zip(tags).zip(names) {
            self.close_tag_enum(&ty, &tag);
            let doc = match &ty {
                Ty::Named(p) => find(&self.types, p).and_then(|t| t.doc.clone()),
                _ => None,
            };
            variants.push(Variant {
                ident,
                ty,
                tags,
                doc,
            });
        }
        Ok(Some(Union { tag, variants }))
    }

    /// A property present in every member whose enum values are disjoint between members.
    fn find_discriminator(
        &self,
        views: &[Merged<'a>],
    ) -> Result<Option<(String, Vec<Vec<String>>)>> {
        let Some(first) = views.first() else {
            return Ok(None);
        };
        let mut best: Option<(bool, String, Vec<Vec<String>>)> = None;
        for name in first.properties.keys() {
            let mut all_tags = Vec::with_capacity(views.len());
            let mut required_everywhere = true;
            for view in views {
                let Some((r, location)) = view.properties.get(name) else {
                    break;
                };
                let (schema, _, _) = self.resolve(*r, location)?;
                let Shape::String { values, .. } = shape(schema) else {
                    break;
                };
                if values.is_empty() {
                    break;
                }
                required_everywhere &= view.required.contains(name);
                all_tags.push(values);
            }
            if all_tags.len() != views.len() || !pairwise_disjoint(&all_tags) {
                continue;
            }
            let better = match &best {
                None => true,
                Some((required, _, _)) => required_everywhere && !required,
            };
            if better {
                best = Some((required_everywhere, name.clone(), all_tags));
            }
        }
        Ok(best.map(|(_, name, tags)| (name, tags)))
    }

    /// Tags from an explicit `discriminator`: the `mapping` entries pointing at a member, else the
    /// member's own enum for the property, else its component name (the OpenAPI default).
    fn explicit_tags(
        &self,
        d: &openapiv3::Discriminator,
        members: &'a [ReferenceOr<Schema>],
        views: &[Merged<'a>],
    ) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::with_capacity(members.len());
        for (member, view) in members.iter().zip(views) {
            let reference = match member {
                ReferenceOr::Reference { reference } => Some(reference.as_str()),
                ReferenceOr::Item(_) => None,
            };
            let mut tags: Vec<String> = d
                .mapping
                .iter()
                .filter(|(_, target)| Some(target.as_str()) == reference)
                .map(|(k, _)| k.clone())
                .collect();
            if tags.is_empty() {
                if let Some((r, location)) = view.properties.get(&d.property_name) {
                    if let Shape::String { values, .. } = shape(self.resolve(*r, location)?.0) {
                        tags = values;
                    }
                }
            }
            if tags.is_empty() {
                if let Some(name) = reference.and_then(|r| r.rsplit('/').next()) {
                    tags.push(name.to_owned());
                }
            }
            out.push(tags);
        }
        Ok(out)
    }

    /// Inside a union member the discriminator can only hold that member's values (the union routes
    /// nothing else there), so its inline enum needs no `Unknown`.
    fn close_tag_enum(&mut self, member: &Ty, tag: &str) {
        let Ty::Named(member_path) = member else {
            return;
        };
        let enum_path = find(&self.types, member_path).and_then(|t| match &t.kind {
            TypeKind::Struct { fields } => {
                fields
                    .iter()
                    .find(|f| f.wire == tag)
                    .and_then(|f| match &f.ty {
                        Ty::Named(p) => Some(p.clone()),
                        _ => None,
                    })
            }
            _ => None,
        });
        if let Some(enum_path) = enum_path {
            if let Some(def) = self
                .types
                .iter_mut()
                .find(|t| t.path == enum_path && t.inline)
            {
                if let TypeKind::StringEnum { open, .. } = &mut def.kind {
                    *open = false;
                }
            }
        }
    }
}

impl<'a> Merged<'a> {
    fn empty() -> Self {
        Merged {
            properties: IndexMap::new(),
            required: BTreeSet::new(),
            additional: None,
            others: Vec::new(),
            overridden: Vec::new(),
        }
    }

    fn from_object(
        properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
        at: &str,
    ) -> Self {
        let mut merged = Merged::empty();
        merged.add_object(properties, required, at);
        merged
    }

    fn add_object(
        &mut self,
        properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
        at: &str,
    ) {
        for (name, schema) in properties {
            let location = format!("{at}/properties/{}", escape_pointer(name));
            if self
                .properties
                .insert(name.clone(), (schema.into(), location))
                .is_some()
                && !self.overridden.contains(name)
            {
                self.overridden.push(name.clone());
            }
        }
        self.required.extend(required.iter().cloned());
    }
}

fn enum_values(values: &[String]) -> Vec<EnumValue> {
    let mut scope = Scope::with_reserved(&["Unknown"]);
    values
        .iter()
        .map(|v| EnumValue {
            wire: v.clone(),
            ident: scope.claim(&ident(v, Case::Pascal), Case::Pascal),
        })
        .collect()
}

fn pairwise_disjoint(sets: &[Vec<String>]) -> bool {
    let mut seen = BTreeSet::new();
    sets.iter().flatten().all(|v| seen.insert(v.as_str()))
}

/// Variant names: the member type names without the words they all start with
/// (`ListsBulkOperationCompleted`, `ListsBulkOperationFailed` -> `Completed`, `Failed`).
fn variant_names(tys: &[Ty], tags: &[Vec<String>]) -> Vec<String> {
    let base: Vec<String> = tys
        .iter()
        .zip(tags)
        .enumerate()
        .map(|(i, (ty, tags))| match ty {
            Ty::Named(p) => p.name.clone(),
            _ => tags
                .first()
                .map(|t| ident(t, Case::Pascal))
                .unwrap_or_else(|| format!("Variant{i}")),
        })
        .collect();
    let words: Vec<Vec<String>> = base.iter().map(|n| split_words(n)).collect();
    let common = if words.len() < 2 {
        0
    } else {
        let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
        (0..shortest)
            .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
            .count()
    };
    let common = if words.iter().any(|w| w.len() == common) {
        0
    } else {
        common
    };
    let mut scope = Scope::with_reserved(&["Unknown"]);
    words
        .iter()
        .map(|w| scope.claim(&ident(&w[common..].concat(), Case::Pascal), Case::Pascal))
        .collect()
}

/// `ListsBulkOperation2` -> [`Lists`, `Bulk`, `Operation2`].
fn split_words(pascal: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in pascal.chars() {
        match words.last_mut() {
            Some(w) if !c.is_ascii_uppercase() => w.push(c),
            _ => words.push(c.to_string()),
        }
    }
    words
}

/// The component name in `#/components/<kind>/<name>`, JSON-pointer unescaped.
pub fn component_name(reference: &str, kind: &str) -> Option<String> {
    let rest = reference
        .strip_prefix("#/components/")?
        .strip_prefix(kind)?
        .strip_prefix('/')?;
    (!rest.is_empty() && !rest.contains('/')).then(|| rest.replace("~1", "/").replace("~0", "~"))
}

pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;
