//! Schemas to types: `$ref`s resolved (each component lowered once), `allOf` merged (a later member's
//! property replaces an earlier one's), `oneOf`/`anyOf` turned into unions decided by a discriminator found
//! in the spec, inline objects and enums named after where they appear.

use super::view::{allows_null, shape, OwnProps, Shape};
use super::Lowerer;
use crate::ident::{ident, Case, Scope};
use crate::ir::{
    EnumValue, Field, JsonKind, Rule, Selector, Ty, TypeDef, TypeKind, TypePath, Union, Variant,
};
use crate::location::{self, Location};
use anyhow::{bail, Result};
use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind};
use std::collections::BTreeSet;

/// The members of a `oneOf`/`anyOf` being lowered (perhaps regrouped, then found at `members_at`), the
/// schema that holds them with the properties written beside them, and its location.
#[derive(Clone, Copy)]
struct MemberSet<'s, 'a> {
    schema: &'a Schema,
    members: &'a [ReferenceOr<Schema>],
    own: OwnProps<'a>,
    at: &'s str,
    members_at: Option<&'s str>,
}

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
    /// Properties a later member redefined where an earlier definition allowed `null`.
    pub null_before: BTreeSet<String>,
}

const MAX_REF_DEPTH: usize = 64;

/// `additionalProperties: true`, for merged shapes one of which is any object.
static ANY_OTHER_KEYS: AdditionalProperties = AdditionalProperties::Any(true);

/// Where component schemas are in the document, as spec locations spell it.
/// What a schema is lowered for. A request body leaves out `readOnly` properties (through `...Input` twins
/// of the components that have them); responses, parameters and the components themselves keep every
/// property as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

pub const COMPONENT_SCHEMAS: &str = "#/components/schemas/";

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
                    location = location::component("schemas", key);
                    current = schema.into();
                }
            }
        }
        bail!("{at}: `$ref` chain longer than {MAX_REF_DEPTH} links (a reference cycle?)")
    }

    /// Lowers the schema at `r` to a type, defining named types as needed.
    pub fn lower(&mut self, r: SchemaRef<'a>, hint: &Hint, at: &str, dir: Direction) -> Result<Ty> {
        let (schema, component, location) = self.resolve(r, at)?;
        match component {
            Some(name) => self.lower_component(name, schema, &location, dir),
            None => match hint_from_location(&location) {
                // Inside a component, a type is named after where it sits there, whichever call reached it first.
                Some(own) => self.lower_inline(schema, &own, &location, dir),
                None => self.lower_inline(schema, hint, &location, dir),
            },
        }
    }

    pub(super) fn lower_component(
        &mut self,
        name: &'a str,
        schema: &'a Schema,
        at: &str,
        dir: Direction,
    ) -> Result<Ty> {
        // In a request body, a component with `readOnly` properties gets a type of its own without them.
        let input =
            dir == Direction::Request && self.has_read_only(schema, at, &mut BTreeSet::new())?;
        let memo = if input {
            &self.input_components
        } else {
            &self.components
        };
        if let Some(ty) = memo.get(name) {
            return Ok(ty.clone());
        }
        let base = ident(name, Case::Pascal);
        let hint = Hint {
            module: vec!["types".to_owned()],
            name: if input { format!("{base}Input") } else { base },
        };
        let memo = |this: &mut Self, ty: Ty| {
            if input {
                this.input_components.insert(name, ty);
            } else {
                this.components.insert(name, ty);
            }
        };
        if self.needs_named_type(schema, at)? {
            // Registered before its properties are lowered, so recursive schemas refer to themselves.
            let path = self.table.claim(&hint);
            memo(self, Ty::Named(path.clone()));
            self.define(schema, path.clone(), at, false, dir)?;
            Ok(Ty::Named(path))
        } else {
            memo(self, Ty::Json);
            let ty = self.lower_inline(schema, &hint, at, dir)?;
            memo(self, ty.clone());
            Ok(ty)
        }
    }

    /// Whether a `readOnly` property is reachable from `schema` (through properties, items, members).
    fn has_read_only(
        &mut self,
        schema: &'a Schema,
        at: &str,
        seen: &mut BTreeSet<String>,
    ) -> Result<bool> {
        if let Some(known) = self.read_only_cache.get(at) {
            return Ok(*known);
        }
        if !seen.insert(at.to_owned()) {
            return Ok(false);
        }
        let mut children: Vec<(SchemaRef<'a>, String)> = Vec::new();
        match shape(schema) {
            Shape::Object {
                properties,
                additional,
                ..
            } => {
                children.extend(properties.iter().map(|(n, r)| (r.into(), at.property(n))));
                if let Some(AdditionalProperties::Schema(r)) = additional {
                    let r: &'a ReferenceOr<Schema> = r;
                    children.push((r.into(), at.member("additionalProperties")));
                }
            }
            Shape::Array { items: Some(items) } => children.push((items.into(), at.item())),
            Shape::AllOf { members, own }
            | Shape::OneOf(members, own)
            | Shape::AnyOf(members, own) => {
                children.extend(
                    members
                        .iter()
                        .enumerate()
                        .map(|(i, m)| (m.into(), at.member("members").index(i))),
                );
                if let Some((properties, _)) = own {
                    children.extend(properties.iter().map(|(n, r)| (r.into(), at.property(n))));
                }
            }
            _ => {}
        }
        let mut found = false;
        for (r, location) in children {
            let (child, _, resolved_at) = self.resolve(r, &location)?;
            if child.schema_data.read_only || self.has_read_only(child, &resolved_at, seen)? {
                found = true;
                break;
            }
        }
        self.read_only_cache.insert(at.to_owned(), found);
        Ok(found)
    }

    fn lower_inline(
        &mut self,
        schema: &'a Schema,
        hint: &Hint,
        at: &str,
        dir: Direction,
    ) -> Result<Ty> {
        // Request-mode types of one location differ from response-mode ones only when `readOnly` is inside.
        let key =
            if dir == Direction::Request && self.has_read_only(schema, at, &mut BTreeSet::new())? {
                format!("{at} (request)")
            } else {
                at.to_owned()
            };
        if let Some(ty) = self.inline_types.get(&key) {
            return Ok(ty.clone());
        }
        let ty = match shape(schema) {
            Shape::String { format, values, .. } => {
                if !values.is_empty() {
                    self.define_new(schema, hint, at, dir)?
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
                    self.map_type(additional, hint, at, dir)?
                } else {
                    self.define_new(schema, hint, at, dir)?
                }
            }
            Shape::Array { items } => match items {
                Some(items) => {
                    let ty = self.element(items.into(), &hint.child("Item"), &at.item(), dir)?;
                    Ty::Array(Box::new(ty))
                }
                None => Ty::Array(Box::new(Ty::Json)),
            },
            Shape::OneOf(members, None) | Shape::AnyOf(members, None)
                if self.same_primitive(members, at)?.is_some() =>
            {
                self.same_primitive(members, at)?.unwrap_or(Ty::Json)
            }
            // "One of" a single member, nothing beside it: that member's type.
            Shape::OneOf([only], None) | Shape::AnyOf([only], None) => {
                let members_at = members_location(schema, at, None).1;
                self.lower(only.into(), hint, &members_at.index(0), dir)?
            }
            Shape::OneOf(..) | Shape::AnyOf(..) => self.define_new(schema, hint, at, dir)?,
            // One member and nothing beside it: that member's type, not a copy of it.
            Shape::AllOf {
                members: [only],
                own: None,
            } => self.lower(only.into(), hint, &at.member("allOf").member("0"), dir)?,
            Shape::AllOf { members, own } => {
                let merged = self.merge(members, own, at)?;
                if !merged.properties.is_empty() {
                    self.define_new(schema, hint, at, dir)?
                } else if let [(only, location)] = merged.others.as_slice() {
                    self.lower(*only, hint, location, dir)?
                } else if merged.others.is_empty() {
                    self.map_type(merged.additional, hint, at, dir)?
                } else if let Some(ty) = self.same_primitive_refs(&merged.others)? {
                    // Every member is one primitive (each adding a format, a description...): that type.
                    ty
                } else {
                    self.loose(at, "`allOf` of several members that are not objects")
                }
            }
            Shape::Unsupported(what) => self.loose(at, &format!("{what} is not supported")),
        };
        if matches!(ty, Ty::Named(_)) {
            self.inline_types.insert(key, ty.clone());
        }
        Ok(ty)
    }

    /// An array item or a map value: its type, `Ty::Nullable` when the spec allows it to be `null` (a field
    /// says that on the field; an item or value has only its type to say it).
    fn element(&mut self, r: SchemaRef<'a>, hint: &Hint, at: &str, dir: Direction) -> Result<Ty> {
        let ty = self.lower(r, hint, at, dir)?;
        Ok(match ty {
            // `()` and any JSON hold `null` already.
            Ty::Null | Ty::Json => ty,
            ty if self.says_null(r, at, 0)? => Ty::Nullable(Box::new(ty)),
            ty => ty,
        })
    }

    /// Whether `r` says `null` is allowed: `nullable`, a `null` enum value or member, through `$ref`s, or an
    /// `allOf` one of whose members says so and none of whose members rules it out. Unlike
    /// `!excludes_null`, a schema that is silent (only `properties`, no `type`) does not say it: the
    /// generator types such a schema as what it describes.
    fn says_null(&self, r: SchemaRef<'a>, at: &str, depth: usize) -> Result<bool> {
        if depth > MAX_REF_DEPTH {
            bail!("{at}: schemas nested deeper than {MAX_REF_DEPTH} levels (a cycle?)");
        }
        let (schema, _, location) = self.resolve(r, at)?;
        if allows_null(schema) {
            return Ok(true);
        }
        let all_of = match &schema.schema_kind {
            SchemaKind::AllOf { all_of } => all_of,
            SchemaKind::Any(any) if any.typ.is_none() => &any.all_of,
            _ => return Ok(false),
        };
        let mut said = false;
        for (i, member) in all_of.iter().enumerate() {
            let member_at = location.member("allOf").index(i);
            if self.excludes_null(member.into(), &member_at, depth + 1)? {
                return Ok(false);
            }
            said = said || self.says_null(member.into(), &member_at, depth + 1)?;
        }
        Ok(said)
    }

    /// `additionalProperties` as a map; an object with no properties and no rule is a map of any JSON.
    fn map_type(
        &mut self,
        additional: Option<&'a AdditionalProperties>,
        hint: &Hint,
        at: &str,
        dir: Direction,
    ) -> Result<Ty> {
        Ok(match additional {
            Some(AdditionalProperties::Schema(value)) => {
                let r: &'a ReferenceOr<Schema> = value;
                Ty::Map(Box::new(self.element(
                    r.into(),
                    &hint.child("Value"),
                    &at.member("additionalProperties"),
                    dir,
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
            Shape::OneOf(members, None) | Shape::AnyOf(members, None) => {
                self.same_primitive(members, at)?.is_none()
            }
            Shape::OneOf(..) | Shape::AnyOf(..) => true,
            Shape::AllOf { members, own } => !self.merge(members, own, at)?.properties.is_empty(),
            _ => false,
        })
    }

    fn define_new(
        &mut self,
        schema: &'a Schema,
        hint: &Hint,
        at: &str,
        dir: Direction,
    ) -> Result<Ty> {
        let path = self.table.claim(hint);
        self.define(schema, path.clone(), at, true, dir)?;
        Ok(Ty::Named(path))
    }

    /// Builds the type named `path` from `schema` and adds it to the model.
    fn define(
        &mut self,
        schema: &'a Schema,
        path: TypePath,
        at: &str,
        inline: bool,
        dir: Direction,
    ) -> Result<()> {
        // "One of" a single member written in place: that member is the type, under this name.
        if let Shape::OneOf([ReferenceOr::Item(only)], None)
        | Shape::AnyOf([ReferenceOr::Item(only)], None) = shape(schema)
        {
            let members_at = members_location(schema, at, None).1;
            return self.define(only, path, &members_at.index(0), inline, dir);
        }
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
                let mut merged = Merged::from_object(properties, required, at);
                merged.additional = additional;
                self.struct_kind(&merged, &path, at, dir)?
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
                    add_paragraph(&mut doc, &note);
                }
                let mut kind = self.struct_kind(&merged, &path, at, dir)?;
                self.add_allof_parts(&merged, &path, at, dir, &mut kind)?;
                kind
            }
            // "One of" a single member, nothing beside it: another name for that member's type.
            Shape::OneOf([only], None) | Shape::AnyOf([only], None) => {
                let hint = Hint {
                    module: path.module.clone(),
                    name: path.name.clone(),
                };
                let members_at = members_location(schema, at, None).1;
                TypeKind::Alias(self.lower(only.into(), &hint, &members_at.index(0), dir)?)
            }
            Shape::OneOf(members, own) | Shape::AnyOf(members, own) => {
                let set = |members, members_at| MemberSet {
                    schema,
                    members,
                    own,
                    at,
                    members_at,
                };
                let mut found = self.union(set(members, None), &path, dir)?;
                let mut members = members;
                let mut members_at = None;
                if found.is_none() {
                    if let Some(normal) = self.normalize_members(members, at)? {
                        members = normal;
                        members_at = Some(format!("{at}/(members regrouped)"));
                        if members.len() > 1 || own.is_some() {
                            found = self.union(set(members, members_at.as_deref()), &path, dir)?;
                        }
                    }
                }
                match found {
                    Some(union) => TypeKind::Union(union),
                    // Regrouped into one member (several arrays, say): that member's type.
                    None if members.len() == 1 && own.is_none() && members_at.is_some() => {
                        let hint = Hint {
                            module: path.module.clone(),
                            name: path.name.clone(),
                        };
                        let location = format!("{}/0", members_at.as_deref().unwrap_or(at));
                        TypeKind::Alias(self.lower((&members[0]).into(), &hint, &location, dir)?)
                    }
                    None if self.all_objects(members, own, at)? => {
                        let (kind, note) =
                            self.merged_members(set(members, members_at.as_deref()), &path, dir)?;
                        add_paragraph(&mut doc, &note);
                        kind
                    }
                    None => {
                        let why = "no property whose values tell the members apart (and no `discriminator`)";
                        let ty = self.loose(at, why);
                        self.table.add(TypeDef {
                            features: Vec::new(),
                            sent: false,
                            received: false,
                            copy_of: None,
                            defaultable: false,
                            buffered: false,
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
        self.table.add(TypeDef {
            features: Vec::new(),
            sent: false,
            received: false,
            copy_of: None,
            defaultable: false,
            buffered: false,
            path,
            doc,
            kind,
            origin: at.to_owned(),
            inline,
            deprecated: data.deprecated,
        });
        Ok(())
    }

    /// A struct from merged properties; `additionalProperties` beside them becomes a map of the other keys.
    fn struct_kind(
        &mut self,
        merged: &Merged<'a>,
        path: &TypePath,
        at: &str,
        dir: Direction,
    ) -> Result<TypeKind> {
        let fields = self.fields(merged, path, dir)?;
        let extra = match merged.additional {
            Some(AdditionalProperties::Schema(r)) => {
                let r: &'a ReferenceOr<Schema> = r;
                let hint = Hint {
                    module: path.module.clone(),
                    name: path.name.clone(),
                };
                Some(self.element(
                    r.into(),
                    &hint.child("Extra"),
                    &at.member("additionalProperties"),
                    dir,
                )?)
            }
            Some(AdditionalProperties::Any(true)) => Some(Ty::Json),
            _ => None,
        };
        Ok(TypeKind::Struct { fields, extra })
    }

    fn fields(
        &mut self,
        merged: &Merged<'a>,
        owner: &TypePath,
        dir: Direction,
    ) -> Result<Vec<Field>> {
        // `extra` is the map of undeclared keys; a property of that name takes a suffix.
        let mut scope = Scope::with_reserved(&["extra"]);
        let owner_hint = Hint {
            module: owner.module.clone(),
            name: owner.name.clone(),
        };
        let mut fields = Vec::with_capacity(merged.properties.len());
        for (wire, (r, location)) in &merged.properties {
            let (schema, _, _) = self.resolve(*r, location)?;
            let data = &schema.schema_data;
            let read_only = self.marked_read_only(schema, location)?;
            // A request never sends `readOnly` properties; a response never promises `writeOnly` ones.
            // `required` on a `readOnly` property applies to responses only, as OpenAPI says, except in a
            // schema written for the request itself (not a shared component): Cloudflare's delete bodies
            // require ids that are `readOnly` through a shared `$ref`. Those stay, optional, so the call
            // can still be made.
            let listed = merged.required.contains(wire);
            let required_read_only = dir == Direction::Request
                && read_only
                && listed
                && !location.starts_with(COMPONENT_SCHEMAS);
            if dir == Direction::Request && read_only && !required_read_only {
                continue;
            }
            let ty = self.lower(*r, &owner_hint.child(wire), location, dir)?;
            let mut doc = data.description.clone();
            if required_read_only {
                let note = "Read-only in the spec, yet listed as required here: set it when the call needs it.";
                add_paragraph(&mut doc, note);
            }
            fields.push(Field {
                wire: wire.clone(),
                ident: scope.claim(&ident(wire, Case::Snake), Case::Snake),
                required: listed
                    && !required_read_only
                    && (dir == Direction::Request || !data.write_only),
                nullable: ty == Ty::Null || self.merged_allows_null(merged, wire, *r, location)?,
                ty,
                doc,
                deprecated: data.deprecated,
                boxed: false,
                flatten: false,
            });
        }
        // A request must send what `required` lists, described or not: an undescribed one is any JSON.
        if dir == Direction::Request {
            for wire in &merged.required {
                if merged.properties.contains_key(wire) {
                    continue;
                }
                fields.push(Field {
                    wire: wire.clone(),
                    ident: scope.claim(&ident(wire, Case::Snake), Case::Snake),
                    required: true,
                    nullable: false,
                    ty: Ty::Json,
                    doc: Some(
                        "Required by the spec, which does not describe it: any JSON value."
                            .to_owned(),
                    ),
                    deprecated: false,
                    boxed: false,
                    flatten: false,
                });
            }
        }
        Ok(fields)
    }

    /// Whether a property is `readOnly`: said on it, or on one of its `allOf` members (Cloudflare writes
    /// `allOf: [{$ref: id}, {readOnly: true}]` to mark a shared id read-only in one place).
    fn marked_read_only(&self, schema: &'a Schema, at: &str) -> Result<bool> {
        if schema.schema_data.read_only {
            return Ok(true);
        }
        let SchemaKind::AllOf { all_of } = &schema.schema_kind else {
            return Ok(false);
        };
        for (i, member) in all_of.iter().enumerate() {
            let (member, _, _) = self.resolve(member.into(), &at.member("allOf").index(i))?;
            if member.schema_data.read_only {
                return Ok(true);
            }
        }
        Ok(false)
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
            self.merge_into(&mut merged, member.into(), &at.member("allOf").index(i), 0)?;
        }
        if let Some((properties, required)) = own {
            self.add_object(&mut merged, properties, required, at);
        }
        Ok(merged)
    }

    /// Adds an object's properties to `merged`, a later definition replacing an earlier one, except that a
    /// plain string does not widen an earlier string enum: `allOf` is an intersection, and Cloudflare's
    /// DNS records pin `type` to one value before a base whose `type` is any string.
    fn add_object(
        &self,
        merged: &mut Merged<'a>,
        properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
        at: &str,
    ) {
        let string_values =
            |r: SchemaRef<'a>, at: &str| match self.resolve(r, at).map(|(s, _, _)| shape(s)) {
                Ok(Shape::String { values, .. }) => Some(values.len()),
                _ => None,
            };
        let kept: Vec<&str> = properties
            .iter()
            .filter(|(name, later)| {
                merged
                    .properties
                    .get(*name)
                    .is_some_and(|(earlier, earlier_at)| {
                        string_values(*earlier, earlier_at).is_some_and(|n| n > 0)
                            && string_values((*later).into(), at) == Some(0)
                    })
            })
            .map(|(name, _)| name.as_str())
            .collect();
        for name in properties.keys() {
            let earlier_allows_null =
                merged
                    .properties
                    .get(name)
                    .is_some_and(|(earlier, earlier_at)| {
                        self.resolve(*earlier, earlier_at)
                            .is_ok_and(|(schema, _, _)| allows_null(schema))
                    });
            if earlier_allows_null && !kept.contains(&name.as_str()) {
                merged.null_before.insert(name.clone());
            }
        }
        merged.add_object(properties, required, at, &kept);
    }

    /// Whether the merged property `name` (defined last by `r`) may be `null`: its definition says so, or
    /// an earlier `allOf` member's did and the later one does not exclude it. `allOf` is an intersection,
    /// and a redefinition without a `type` (Cloudflare's `result: {$ref}` over a base's nullable `result`)
    /// leaves `null` allowed.
    pub fn merged_allows_null(
        &self,
        merged: &Merged<'a>,
        name: &str,
        r: SchemaRef<'a>,
        at: &str,
    ) -> Result<bool> {
        let (schema, _, _) = self.resolve(r, at)?;
        Ok(allows_null(schema)
            || (merged.null_before.contains(name) && !self.excludes_null(r, at, 0)?))
    }

    /// Whether `r` rules `null` out: a `type` without `nullable`, an `allOf` member that does, or a
    /// `oneOf`/`anyOf` whose members all do. A schema without a type (only properties, say) allows it.
    fn excludes_null(&self, r: SchemaRef<'a>, at: &str, depth: usize) -> Result<bool> {
        if depth > MAX_REF_DEPTH {
            bail!("{at}: schemas nested deeper than {MAX_REF_DEPTH} levels (a cycle?)");
        }
        let (schema, _, location) = self.resolve(r, at)?;
        if allows_null(schema) {
            return Ok(false);
        }
        let (typed, all_of, alternatives): (bool, &[ReferenceOr<Schema>], &[ReferenceOr<Schema>]) =
            match &schema.schema_kind {
                SchemaKind::Type(_) => (true, &[], &[]),
                SchemaKind::AllOf { all_of } => (false, all_of, &[]),
                SchemaKind::OneOf { one_of } => (false, &[], one_of),
                SchemaKind::AnyOf { any_of } => (false, &[], any_of),
                SchemaKind::Any(any) => (
                    any.typ.is_some(),
                    &any.all_of,
                    if any.one_of.is_empty() {
                        &any.any_of
                    } else {
                        &any.one_of
                    },
                ),
                SchemaKind::Not { .. } => (false, &[], &[]),
            };
        if typed {
            return Ok(true);
        }
        for (i, member) in all_of.iter().enumerate() {
            if self.excludes_null(member.into(), &location.member("allOf").index(i), depth + 1)? {
                return Ok(true);
            }
        }
        if alternatives.is_empty() {
            return Ok(false);
        }
        for (i, member) in alternatives.iter().enumerate() {
            if !self.excludes_null(member.into(), &location.member("oneOf").index(i), depth + 1)? {
                return Ok(false);
            }
        }
        Ok(true)
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
                        &location.member("allOf").index(i),
                        depth + 1,
                    )?;
                }
                if let Some((properties, required)) = own {
                    self.add_object(merged, properties, required, &location);
                }
            }
            Shape::Object {
                properties,
                required,
                additional,
            } => {
                self.add_object(merged, properties, required, &location);
                if additional.is_some() {
                    merged.additional = additional;
                }
            }
            // "Exactly one of" a single member is that member: merged like one.
            Shape::OneOf([only], own) | Shape::AnyOf([only], own) => {
                let at = members_location(schema, &location, None).1;
                self.merge_into(merged, only.into(), &at.index(0), depth + 1)?;
                if let Some((properties, required)) = own {
                    self.add_object(merged, properties, required, &location);
                }
            }
            Shape::Any => {}
            _ => merged.others.push((SchemaRef::Inline(schema), location)),
        }
        Ok(())
    }

    /// Finds how to tell the members of a `oneOf`/`anyOf` apart and lowers each member. The rules, in
    /// order: an explicit `discriminator`; a property whose enum values split the members; properties
    /// beside the members that each hold one member (present = chosen); a required property only one
    /// member has; the JSON kind (string, number, object...). None: the caller regroups the members
    /// ([`Self::normalize_members`]) and tries again, then merges objects ([`Self::merged_members`]), then
    /// falls back to JSON.
    fn union(
        &mut self,
        set: MemberSet<'_, 'a>,
        path: &TypePath,
        dir: Direction,
    ) -> Result<Option<Union>> {
        let MemberSet {
            schema,
            members,
            own,
            at,
            members_at,
        } = set;
        let (_, base) = members_location(schema, at, members_at);
        let member_at = |i: usize| base.index(i);
        if let Some((properties, required)) = own {
            if let Some(markers) = property_markers(members, properties) {
                return self
                    .property_union(members, (properties, required), &markers, path, at, dir)
                    .map(Some);
            }
        }
        let mut views = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            views.push(self.object_view(member.into(), &member_at(i))?);
        }
        let explicit = schema.schema_data.discriminator.as_ref();
        let tagged = match explicit {
            Some(d) => Some((
                d.property_name.clone(),
                self.explicit_tags(d, members, &views)?,
            )),
            None => self.find_discriminator(&views)?,
        };
        // The rule, each member's selector, and what names the members: their tags (a presence union's
        // properties) or their kinds.
        let (rule, selectors, tags, kinds): (
            _,
            Vec<Selector>,
            Vec<Vec<String>>,
            Vec<Option<JsonKind>>,
        ) = if let Some((tag, tags)) = tagged {
            let selectors = tags.iter().cloned().map(Selector::Tag).collect();
            (Rule::Tag(tag), selectors, tags, vec![None; members.len()])
        } else if let Some(markers) = required_markers(&views) {
            let tags = markers.iter().map(|m| vec![m.clone()]).collect();
            let selectors = markers.into_iter().map(Selector::Present).collect();
            (Rule::Presence, selectors, tags, vec![None; members.len()])
        } else if let Some(kinds) = self.member_kinds(members, &member_at)? {
            let selectors = kinds.iter().copied().map(Selector::Kind).collect();
            let tags = vec![Vec::new(); members.len()];
            (
                Rule::Kind,
                selectors,
                tags,
                kinds.into_iter().map(Some).collect(),
            )
        } else {
            return Ok(None);
        };
        let hint = Hint {
            module: path.module.clone(),
            name: path.name.clone(),
        };
        let mut tys = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            let location = member_at(i);
            let (member_schema, _, _) = self.resolve(member.into(), &location)?;
            let title = member_schema
                .schema_data
                .title
                .clone()
                .unwrap_or_else(|| match kinds[i] {
                    Some(kind) => format!("{kind:?}"),
                    None => tags[i]
                        .first()
                        .cloned()
                        .unwrap_or_else(|| format!("Variant{i}")),
                });
            tys.push(self.lower(member.into(), &hint.child(&title), &location, dir)?);
        }
        // Only members defined here, in a union regrouped by this generator, take the shorter name.
        let own_members: Vec<bool> = tys
            .iter()
            .map(|ty| {
                members_at.is_some()
                    && matches!(ty, Ty::Named(p) if self.table.find(p).is_some_and(|t| t.inline))
            })
            .collect();
        let names = variant_names(&path.name, &own_members, &tys, &tags, &kinds);
        let mut variants = Vec::with_capacity(members.len());
        for ((ty, ident), selector) in tys.into_iter().zip(names).zip(selectors) {
            if let Rule::Tag(tag) = &rule {
                self.close_tag_enum(&ty, tag);
            }
            let doc = match &ty {
                Ty::Named(p) => self.table.find(p).and_then(|t| t.doc.clone()),
                _ => None,
            };
            variants.push(Variant {
                ident,
                ty,
                selector,
                doc,
                boxed: false,
            });
        }
        Ok(Some(Union { rule, variants }))
    }

    /// Members rewritten so that the rules above can decide them, or None when nothing changes: a member
    /// that is itself a `oneOf`/`anyOf` (with nothing beside it) gives its members in its place; several
    /// arrays become one array whose items are the union of theirs; several objects beside members of
    /// other kinds become one member, the union of those objects (decided in turn once the JSON kind has
    /// chosen it). The rewritten members live for the rest of the run.
    fn normalize_members(
        &self,
        members: &'a [ReferenceOr<Schema>],
        at: &str,
    ) -> Result<Option<&'a [ReferenceOr<Schema>]>> {
        let mut flat = Vec::with_capacity(members.len());
        let mut changed = false;
        self.flatten_members(members, at, 0, &mut flat, &mut changed)?;
        let (mut arrays, mut objects, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        for (i, member) in flat.into_iter().enumerate() {
            let location = format!("{at}/(members regrouped)/{i}");
            let (schema, _, _) = self.resolve((&member).into(), &location)?;
            match shape(schema) {
                Shape::Array { items } => arrays.push((member.clone(), items.cloned())),
                Shape::Object { .. } => objects.push(member),
                Shape::AllOf { members, own }
                    if !self.merge(members, own, &location)?.properties.is_empty() =>
                {
                    objects.push(member)
                }
                _ => {
                    // Members of one primitive type (a string, and a string of another format) are one.
                    let primitive =
                        self.same_primitive_refs(&[((&member).into(), location.clone())])?;
                    let seen = rest
                        .iter()
                        .any(|(_, other)| primitive.is_some() && *other == primitive);
                    if seen {
                        changed = true;
                    } else {
                        rest.push((member, primitive));
                    }
                }
            }
        }
        let rest: Vec<ReferenceOr<Schema>> = rest.into_iter().map(|(member, _)| member).collect();
        let mut out = rest;
        match arrays.len() {
            0 => {}
            1 => out.extend(arrays.into_iter().map(|(member, _)| member)),
            _ => {
                changed = true;
                let mut items: Vec<ReferenceOr<Schema>> = Vec::new();
                for (_, item) in arrays {
                    let item = item.map(unbox).unwrap_or_else(any_schema);
                    if !items.iter().any(|known| plain(known) == plain(&item)) {
                        items.push(item);
                    }
                }
                let unconstrained = items.iter().any(
                    |item| matches!(item, ReferenceOr::Item(s) if matches!(shape(s), Shape::Any)),
                );
                let item = match items.len() {
                    1 => items.pop().unwrap_or_else(any_schema),
                    _ if unconstrained => any_schema(),
                    _ => ReferenceOr::Item(Schema {
                        schema_data: Default::default(),
                        schema_kind: openapiv3::SchemaKind::AnyOf { any_of: items },
                    }),
                };
                out.push(array_of(Some(item)));
            }
        }
        if objects.len() > 1 && !out.is_empty() {
            changed = true;
            out.push(ReferenceOr::Item(Schema {
                schema_data: Default::default(),
                schema_kind: openapiv3::SchemaKind::AnyOf { any_of: objects },
            }));
        } else {
            out.extend(objects);
        }
        if !changed {
            return Ok(None);
        }
        Ok(Some(self.built_members.alloc(out).as_slice()))
    }

    /// The members, with those that are themselves a bare `oneOf`/`anyOf` replaced by their members.
    fn flatten_members(
        &self,
        members: &'a [ReferenceOr<Schema>],
        at: &str,
        depth: usize,
        out: &mut Vec<ReferenceOr<Schema>>,
        changed: &mut bool,
    ) -> Result<()> {
        for (i, member) in members.iter().enumerate() {
            let location = at.member("members").index(i);
            let (schema, _, _) = self.resolve(member.into(), &location)?;
            match shape(schema) {
                Shape::OneOf(inner, None) | Shape::AnyOf(inner, None) if depth < MAX_REF_DEPTH => {
                    *changed = true;
                    self.flatten_members(inner, &location, depth + 1, out, changed)?;
                }
                _ => {
                    let key = plain(member);
                    if out.iter().any(|known| plain(known) == key) {
                        *changed = true;
                    } else {
                        out.push(member.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether every member is an object with properties (a member without any is allowed only beside
    /// properties of the union's own, which it then merely constrains).
    fn all_objects(
        &self,
        members: &'a [ReferenceOr<Schema>],
        own: OwnProps<'a>,
        at: &str,
    ) -> Result<bool> {
        for (i, member) in members.iter().enumerate() {
            let location = at.member("members").index(i);
            let (schema, _, _) = self.resolve(member.into(), &location)?;
            let view = self.object_view(member.into(), &location)?;
            let constraint_only = own.is_some() && matches!(shape(schema), Shape::Any);
            let any_object =
                matches!(shape(schema), Shape::Object { properties, .. } if properties.is_empty());
            if !view.others.is_empty()
                || (view.properties.is_empty() && !constraint_only && !any_object)
            {
                return Ok(false);
            }
        }
        Ok(!members.is_empty())
    }

    /// Object members nothing tells apart, typed as one struct of all their properties: a property is
    /// required when every member requires it; one the members define differently is itself a union of
    /// those definitions (an unconstrained one wins: any JSON). Returns the struct and a doc line naming
    /// the shapes it covers.
    fn merged_members(
        &mut self,
        set: MemberSet<'_, 'a>,
        path: &TypePath,
        dir: Direction,
    ) -> Result<(TypeKind, String)> {
        let MemberSet {
            schema,
            members,
            own,
            at,
            members_at,
        } = set;
        let (keyword, base) = members_location(schema, at, members_at);
        let mut merged = Merged::empty();
        let mut definitions: IndexMap<String, Vec<(SchemaRef<'a>, String)>> = IndexMap::new();
        if let Some((properties, required)) = own {
            for (name, r) in properties {
                let location = at.property(name);
                definitions.insert(name.clone(), vec![(r.into(), location)]);
            }
            merged.required.extend(required.iter().cloned());
        }
        let mut shapes = Vec::with_capacity(members.len());
        let mut required_by_all: Option<BTreeSet<String>> = None;
        for (i, member) in members.iter().enumerate() {
            let location = base.index(i);
            let (member_schema, component, _) = self.resolve(member.into(), &location)?;
            if let Shape::Object { properties, .. } = shape(member_schema) {
                if properties.is_empty() {
                    // Any object: the keys no other shape names are kept, not dropped.
                    merged.additional = Some(&ANY_OTHER_KEYS);
                }
            }
            shapes.push(
                member_schema
                    .schema_data
                    .title
                    .clone()
                    .or_else(|| component.map(str::to_owned))
                    .map(|t| format!("`{t}`"))
                    .unwrap_or_else(|| format!("member {i}")),
            );
            let view = self.object_view(member.into(), &location)?;
            for (name, (r, prop_at)) in &view.properties {
                let defs = definitions.entry(name.clone()).or_default();
                if !defs
                    .iter()
                    .any(|(d, d_at)| same_schema(self, *d, d_at, *r, prop_at))
                {
                    defs.push((*r, prop_at.clone()));
                }
            }
            let required: BTreeSet<String> = view
                .required
                .iter()
                .filter(|n| view.properties.contains_key(*n))
                .cloned()
                .collect();
            required_by_all = Some(match required_by_all {
                None => required,
                Some(all) => all.intersection(&required).cloned().collect(),
            });
        }
        merged.required.extend(required_by_all.unwrap_or_default());
        for (name, defs) in definitions {
            let any = defs.iter().find(|(r, d_at)| {
                matches!(
                    self.resolve(*r, d_at).map(|(s, _, _)| shape(s)),
                    Ok(Shape::Any)
                )
            });
            let chosen = match (defs.as_slice(), any) {
                ([only], _) => only.clone(),
                (_, Some(any)) => any.clone(),
                _ => {
                    // The definitions become the members of a union of their own, lowered by the same
                    // rules. The schema is built here, so it is kept for the rest of the run.
                    let mut one_of = Vec::with_capacity(defs.len());
                    for (r, d_at) in &defs {
                        one_of.push(match r {
                            SchemaRef::Ref(reference) => ReferenceOr::Reference {
                                reference: (*reference).to_owned(),
                            },
                            SchemaRef::Inline(_) => {
                                ReferenceOr::Item(self.resolve(*r, d_at)?.0.clone())
                            }
                        });
                    }
                    let built: &'a Schema = self.built.alloc(Schema {
                        schema_data: Default::default(),
                        schema_kind: openapiv3::SchemaKind::AnyOf { any_of: one_of },
                    });
                    (SchemaRef::Inline(built), at.member(keyword).property(&name))
                }
            };
            merged.properties.insert(name, chosen);
        }
        let kind = self.struct_kind(&merged, path, at, dir)?;
        let note = format!(
            "One of these shapes (`{keyword}`), which nothing in the spec tells apart: {}. Typed as one \
             struct of all their properties, each required only when every shape requires it.",
            shapes.join(", ")
        );
        Ok((kind, note))
    }

    /// Cloudflare's "exactly one of these properties": `properties` beside `oneOf`, each member the schema
    /// of one property. Each variant is a struct of the shared properties plus its own (then required).
    fn property_union(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        (properties, required): (&'a crate::lower::view::Props, &'a [String]),
        markers: &[String],
        path: &TypePath,
        at: &str,
        dir: Direction,
    ) -> Result<Union> {
        let hint = Hint {
            module: path.module.clone(),
            name: path.name.clone(),
        };
        let mut variants = Vec::with_capacity(members.len());
        let mut scope = Scope::with_reserved(&["Unknown"]);
        for (i, marker) in markers.iter().enumerate() {
            let mut merged = Merged::empty();
            for (name, r) in properties {
                if name == marker || !markers.contains(name) {
                    let location = at.property(name);
                    merged.properties.insert(name.clone(), (r.into(), location));
                }
            }
            merged.required.extend(required.iter().cloned());
            merged.required.insert(marker.clone());
            let variant_path = self.table.claim(&hint.child(&format!("With_{marker}")));
            let kind = self.struct_kind(&merged, &variant_path, at, dir)?;
            let (member, _, _) =
                self.resolve((&members[i]).into(), &at.member("oneOf").index(i))?;
            let doc = member.schema_data.description.clone();
            self.table.add(TypeDef {
                features: Vec::new(),
                sent: false,
                received: false,
                copy_of: None,
                defaultable: false,
                buffered: false,
                path: variant_path.clone(),
                doc: Some(format!("The shape with `{marker}` set.")),
                kind,
                origin: at.member("oneOf").index(i),
                inline: true,
                deprecated: false,
            });
            variants.push(Variant {
                ident: scope.claim(&ident(marker, Case::Pascal), Case::Pascal),
                ty: Ty::Named(variant_path),
                selector: Selector::Present(marker.clone()),
                doc,
                boxed: false,
            });
        }
        Ok(Union {
            rule: Rule::Presence,
            variants,
        })
    }

    /// The one primitive type every member is (e.g. a number, or the number `1` meaning "automatic"):
    /// such a union is just that type, its members' meanings told in the docs.
    fn same_primitive(&self, members: &'a [ReferenceOr<Schema>], at: &str) -> Result<Option<Ty>> {
        let mut found: Option<Ty> = None;
        for (i, member) in members.iter().enumerate() {
            let (schema, _, _) = self.resolve(member.into(), &at.member("members").index(i))?;
            let ty = match shape(schema) {
                Shape::String { format, .. } if format.as_deref() != Some("date-time") => {
                    Ty::String
                }
                Shape::Integer => Ty::Integer,
                Shape::Number => Ty::Number,
                Shape::Boolean => Ty::Boolean,
                _ => return Ok(None),
            };
            found = match (found, ty) {
                (None, ty) => Some(ty),
                (Some(a), b) if a == b => Some(a),
                (Some(Ty::Integer | Ty::Number), Ty::Integer | Ty::Number) => Some(Ty::Number),
                _ => return Ok(None),
            };
        }
        Ok(found)
    }

    /// The one primitive type every schema is, as [`Self::same_primitive`] but over located schemas.
    fn same_primitive_refs(&self, schemas: &[(SchemaRef<'a>, String)]) -> Result<Option<Ty>> {
        let mut found: Option<Ty> = None;
        for (r, at) in schemas {
            let (schema, _, _) = self.resolve(*r, at)?;
            let ty = match shape(schema) {
                Shape::String { format, .. } if format.as_deref() != Some("date-time") => {
                    Ty::String
                }
                Shape::String { .. } => Ty::DateTime,
                Shape::Integer => Ty::Integer,
                Shape::Number => Ty::Number,
                Shape::Boolean => Ty::Boolean,
                _ => return Ok(None),
            };
            found = match (found, ty) {
                (None, ty) => Some(ty),
                (Some(a), b) if a == b => Some(a),
                (Some(Ty::DateTime), Ty::String) | (Some(Ty::String), Ty::DateTime) => {
                    Some(Ty::DateTime)
                }
                (Some(Ty::Integer | Ty::Number), Ty::Integer | Ty::Number) => Some(Ty::Integer),
                _ => return Ok(None),
            };
        }
        Ok(found)
    }

    /// Each member's JSON kind, when no two members share one (objects and arrays at most once each).
    fn member_kinds(
        &self,
        members: &'a [ReferenceOr<Schema>],
        member_at: &dyn Fn(usize) -> String,
    ) -> Result<Option<Vec<JsonKind>>> {
        let mut kinds = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            let location = member_at(i);
            let (schema, _, _) = self.resolve(member.into(), &location)?;
            let kind = match shape(schema) {
                Shape::String { .. } => JsonKind::String,
                Shape::Integer => JsonKind::Integer,
                Shape::Number => JsonKind::Number,
                Shape::Boolean => JsonKind::Boolean,
                Shape::Null => JsonKind::Null,
                Shape::Array { .. } => JsonKind::Array,
                Shape::Object { .. } => JsonKind::Object,
                Shape::AllOf { members, own } => {
                    let merged = self.merge(members, own, &location)?;
                    if !merged.properties.is_empty() {
                        JsonKind::Object
                    } else {
                        match self.same_primitive_refs(&merged.others)? {
                            Some(Ty::String | Ty::DateTime) => JsonKind::String,
                            Some(Ty::Integer) => JsonKind::Integer,
                            Some(Ty::Number) => JsonKind::Number,
                            Some(Ty::Boolean) => JsonKind::Boolean,
                            _ => return Ok(None),
                        }
                    }
                }
                // A union of objects: an object, told apart from its siblings first, then decided itself.
                Shape::OneOf(inner, own) | Shape::AnyOf(inner, own)
                    if self.all_objects(inner, own, &location)? =>
                {
                    JsonKind::Object
                }
                _ => return Ok(None),
            };
            if kinds.contains(&kind) {
                return Ok(None);
            }
            kinds.push(kind);
        }
        Ok(Some(kinds))
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
        let enum_path = self.table.find(member_path).and_then(|t| match &t.kind {
            TypeKind::Struct { fields, .. } => {
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
        if let Some(def) = enum_path.and_then(|p| self.table.find_mut(&p)) {
            if let (true, TypeKind::StringEnum { open, .. }) = (def.inline, &mut def.kind) {
                *open = false;
            }
        }
    }
}

impl<'a> Merged<'a> {
    pub fn empty() -> Self {
        Merged {
            properties: IndexMap::new(),
            required: BTreeSet::new(),
            additional: None,
            others: Vec::new(),
            overridden: Vec::new(),
            null_before: BTreeSet::new(),
        }
    }

    fn from_object(
        properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
        at: &str,
    ) -> Self {
        let mut merged = Merged::empty();
        merged.add_object(properties, required, at, &[]);
        merged
    }

    /// Adds the properties, a later definition replacing an earlier one, except those in `kept`.
    fn add_object(
        &mut self,
        properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
        at: &str,
        kept: &[&str],
    ) {
        for (name, schema) in properties {
            if kept.contains(&name.as_str()) {
                continue;
            }
            let location = at.property(name);
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

/// Ends `doc` with `note` as a paragraph of its own (or makes it the doc).
fn add_paragraph(doc: &mut Option<String>, note: &str) {
    *doc = Some(match doc.take() {
        Some(said) => format!("{said}\n\n{note}"),
        None => note.to_owned(),
    });
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

/// For "exactly one of these properties": the property each member is the schema of (same `$ref`), when
/// every member matches a different property.
fn property_markers(
    members: &[ReferenceOr<Schema>],
    properties: &crate::lower::view::Props,
) -> Option<Vec<String>> {
    let mut markers: Vec<String> = Vec::with_capacity(members.len());
    for member in members {
        let ReferenceOr::Reference { reference } = member else {
            return None;
        };
        let (name, _) = properties.iter().find(|(name, r)| {
            matches!(r, ReferenceOr::Reference { reference: other } if other == reference)
                && !markers.contains(name)
        })?;
        markers.push(name.clone());
    }
    (!markers.is_empty()).then_some(markers)
}

/// For each member, a required property that no other member declares, when every member has one.
fn required_markers(views: &[Merged<'_>]) -> Option<Vec<String>> {
    if views.len() < 2 {
        return None;
    }
    views
        .iter()
        .enumerate()
        .map(|(i, view)| {
            view.properties
                .keys()
                .find(|name| {
                    view.required.contains(*name)
                        && views
                            .iter()
                            .enumerate()
                            .all(|(j, other)| j == i || !other.properties.contains_key(*name))
                })
                .cloned()
        })
        .collect()
}

/// Whether two property definitions are the same: the same `$ref`, or equal once descriptions and
/// examples are set aside.
fn same_schema<'a>(
    lowerer: &Lowerer<'a>,
    a: SchemaRef<'a>,
    a_at: &str,
    b: SchemaRef<'a>,
    b_at: &str,
) -> bool {
    if let (SchemaRef::Ref(x), SchemaRef::Ref(y)) = (a, b) {
        if x == y {
            return true;
        }
    }
    let plain = |r: SchemaRef<'a>, at: &str| {
        let (schema, _, _) = lowerer.resolve(r, at).ok()?;
        let mut value = serde_json::to_value(schema).ok()?;
        if let Some(object) = value.as_object_mut() {
            for key in ["description", "example", "title", "deprecated"] {
                object.remove(key);
            }
        }
        Some(value)
    };
    match (plain(a, a_at), plain(b, b_at)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A property or item schema as a union member.
fn unbox(r: ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match r {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
        ReferenceOr::Item(schema) => ReferenceOr::Item(*schema),
    }
}

/// `{}`: any JSON value.
fn any_schema() -> ReferenceOr<Schema> {
    ReferenceOr::Item(Schema {
        schema_data: Default::default(),
        schema_kind: openapiv3::SchemaKind::Any(Default::default()),
    })
}

/// An array of `items` (any JSON when None).
fn array_of(items: Option<ReferenceOr<Schema>>) -> ReferenceOr<Schema> {
    ReferenceOr::Item(Schema {
        schema_data: Default::default(),
        schema_kind: openapiv3::SchemaKind::Type(openapiv3::Type::Array(openapiv3::ArrayType {
            items: items.map(|item| match item {
                ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
                ReferenceOr::Item(schema) => ReferenceOr::Item(Box::new(schema)),
            }),
            min_items: None,
            max_items: None,
            unique_items: false,
        })),
    })
}

/// A member as comparable JSON, descriptions and examples set aside.
fn plain(member: &ReferenceOr<Schema>) -> Option<serde_json::Value> {
    let mut value = serde_json::to_value(member).ok()?;
    if let Some(object) = value.as_object_mut() {
        for key in ["description", "example", "title", "deprecated"] {
            object.remove(key);
        }
    }
    Some(value)
}

fn pairwise_disjoint(sets: &[Vec<String>]) -> bool {
    let mut seen = BTreeSet::new();
    sets.iter().flatten().all(|v| seen.insert(v.as_str()))
}

/// Variant names: the member type names without the words they all start with
/// (`ListsBulkOperationCompleted`, `ListsBulkOperationFailed` -> `Completed`, `Failed`).
/// A member type named after the union (an inline member of a regrouped union: `PetGetResponseMixedObject`
/// in `PetGetResponseMixed`, where `shorten` says so) is named by the rest of its name.
fn variant_names(
    union: &str,
    shorten: &[bool],
    tys: &[Ty],
    tags: &[Vec<String>],
    kinds: &[Option<JsonKind>],
) -> Vec<String> {
    let base: Vec<String> = tys
        .iter()
        .zip(tags)
        .zip(kinds)
        .enumerate()
        .map(|(i, ((ty, tags), kind))| match (ty, kind) {
            (Ty::Named(p), _) => match p.name.strip_prefix(union) {
                Some(rest) if shorten[i] && rest.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    rest.to_owned()
                }
                _ => p.name.clone(),
            },
            (_, Some(kind)) => format!("{kind:?}"),
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
    (!rest.is_empty() && !rest.contains('/')).then(|| location::unescape(rest))
}

/// `#/components/schemas/lists_x/allOf/1/properties/result` -> `types::ListsXResult`.
fn hint_from_location(location: &str) -> Option<Hint> {
    let rest = location.strip_prefix(COMPONENT_SCHEMAS)?;
    let mut parts = rest.split('/');
    let component = location::unescape(parts.next()?);
    // Union members are named by the union, after their title or tag.
    if rest
        .split('/')
        .any(|part| part == "oneOf" || part == "anyOf")
    {
        return None;
    }
    let mut name = ident(&component, Case::Pascal);
    let mut previous = "";
    for part in parts {
        match previous {
            "properties" => name.push_str(&ident(&location::unescape(part), Case::Pascal)),
            _ if part == "items" => name.push_str("Item"),
            _ if part == "additionalProperties" => name.push_str("Value"),
            _ => {}
        }
        previous = part;
    }
    Some(Hint {
        module: vec!["types".to_owned()],
        name,
    })
}

mod allof_parts;
#[cfg(test)]
mod tests;

/// The union's keyword (`anyOf` or `oneOf`) and the location of its members: `members_at` when they were
/// regrouped elsewhere, else under the keyword at `at`.
fn members_location(schema: &Schema, at: &str, members_at: Option<&str>) -> (&'static str, String) {
    let keyword = if matches!(shape(schema), Shape::AnyOf(..)) {
        "anyOf"
    } else {
        "oneOf"
    };
    let base = members_at.map_or_else(|| at.member(keyword), str::to_owned);
    (keyword, base)
}
