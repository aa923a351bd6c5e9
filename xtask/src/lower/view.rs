//! One uniform view of a schema node. openapiv3 splits schemas into typed forms and a catch-all
//! `AnySchema` (for `enum` without `type`, `type` beside `allOf`, `properties` without `type`, ...);
//! lowering should not care which one it got.

use openapiv3::{
    AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};

pub type Props = indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>;
/// A node's own `properties` and `required`, beside its `allOf`.
pub type OwnProps<'a> = Option<(&'a Props, &'a [String])>;

pub enum Shape<'a> {
    String {
        format: Option<String>,
        values: Vec<String>,
    },
    Integer,
    Number,
    Boolean,
    /// `enum: [null]` and nothing else.
    Null,
    Object {
        properties: &'a Props,
        required: &'a [String],
        additional: Option<&'a AdditionalProperties>,
    },
    Array {
        items: Option<&'a ReferenceOr<Box<Schema>>>,
    },
    /// Members, plus properties written beside them (Cloudflare's "exactly one of these properties").
    OneOf(&'a [ReferenceOr<Schema>], OwnProps<'a>),
    AnyOf(&'a [ReferenceOr<Schema>], OwnProps<'a>),
    /// `allOf` members, plus the node's own properties (which apply after the members).
    AllOf {
        members: &'a [ReferenceOr<Schema>],
        own: OwnProps<'a>,
    },
    /// No constraint on the value at all.
    Any,
    /// Something this generator does not type; the text says what.
    Unsupported(String),
}

/// The strings of an enum that may also list `null` (as openapiv3 gives it); `null` is handled apart.
fn string_values(values: &[Option<String>]) -> Vec<String> {
    values.iter().flatten().cloned().collect()
}

/// Whether an `enum` lists `null` (which makes the value nullable whatever `nullable` says).
fn enum_allows_null(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s.enumeration.iter().any(Option::is_none),
        SchemaKind::Type(Type::Integer(s)) => s.enumeration.iter().any(Option::is_none),
        SchemaKind::Type(Type::Number(s)) => s.enumeration.iter().any(Option::is_none),
        SchemaKind::Type(Type::Boolean(s)) => s.enumeration.iter().any(Option::is_none),
        SchemaKind::Any(any) => any.enumeration.iter().any(serde_json::Value::is_null),
        _ => false,
    }
}

pub fn shape(schema: &Schema) -> Shape<'_> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            if !s.enumeration.is_empty() && s.enumeration.iter().all(Option::is_none) {
                return Shape::Null;
            }
            let format = match &s.format {
                VariantOrUnknownOrEmpty::Item(f) => Some(format!("{f:?}").to_lowercase()),
                VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                VariantOrUnknownOrEmpty::Empty => None,
            };
            Shape::String {
                format: format.map(|f| {
                    if f == "datetime" {
                        "date-time".to_owned()
                    } else {
                        f
                    }
                }),
                values: string_values(&s.enumeration),
            }
        }
        SchemaKind::Type(Type::Integer(i)) if only_null(&i.enumeration) => Shape::Null,
        SchemaKind::Type(Type::Number(n)) if only_null(&n.enumeration) => Shape::Null,
        SchemaKind::Type(Type::Boolean(b)) if only_null(&b.enumeration) => Shape::Null,
        SchemaKind::Type(Type::Integer(_)) => Shape::Integer,
        SchemaKind::Type(Type::Number(_)) => Shape::Number,
        SchemaKind::Type(Type::Boolean(_)) => Shape::Boolean,
        SchemaKind::Type(Type::Object(o)) => Shape::Object {
            properties: &o.properties,
            required: &o.required,
            additional: o.additional_properties.as_ref(),
        },
        SchemaKind::Type(Type::Array(a)) => Shape::Array {
            items: a.items.as_ref(),
        },
        SchemaKind::OneOf { one_of } => {
            the_other_member(one_of).unwrap_or(Shape::OneOf(one_of, None))
        }
        SchemaKind::AnyOf { any_of } => {
            the_other_member(any_of).unwrap_or(Shape::AnyOf(any_of, None))
        }
        SchemaKind::AllOf { all_of } => Shape::AllOf {
            members: all_of,
            own: None,
        },
        SchemaKind::Not { .. } => Shape::Unsupported("`not`".to_owned()),
        SchemaKind::Any(any) => any_shape(any),
    }
}

/// A schema that only allows `null`: `{nullable: true}` with nothing else, `enum: [null]`, `type: null`.
fn is_null_only(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Any(any) => {
            (any.typ.as_deref() == Some("null"))
                || (*any == openapiv3::AnySchema::default() && schema.schema_data.nullable)
                || matches!(any_shape(any), Shape::Null)
        }
        _ => matches!(shape(schema), Shape::Null),
    }
}

/// `oneOf`/`anyOf` of one schema and members that only allow `null` (`[X, {nullable: true}]`): X, as a
/// one-member `allOf`; whoever holds it makes it optional (see [`allows_null`]).
fn the_other_member(members: &[ReferenceOr<Schema>]) -> Option<Shape<'_>> {
    if !members.iter().any(is_null_member) {
        return None;
    }
    let mut others = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !is_null_member(m));
    match (others.next(), others.next()) {
        (Some((i, _)), None) => Some(Shape::AllOf {
            members: &members[i..=i],
            own: None,
        }),
        _ => None,
    }
}

/// Whether a value of this schema may be `null`: `nullable`, `enum` with `null`, or a `oneOf`/`anyOf`
/// member that only allows `null`.
pub fn allows_null(schema: &Schema) -> bool {
    let members = match &schema.schema_kind {
        SchemaKind::OneOf { one_of } => one_of.as_slice(),
        SchemaKind::AnyOf { any_of } => any_of.as_slice(),
        SchemaKind::Any(any) if !any.one_of.is_empty() => any.one_of.as_slice(),
        SchemaKind::Any(any) => any.any_of.as_slice(),
        _ => &[],
    };
    schema.schema_data.nullable || enum_allows_null(schema) || members.iter().any(is_null_member)
}

/// A `oneOf`/`anyOf` member written inline that only allows `null`.
fn is_null_member(member: &ReferenceOr<Schema>) -> bool {
    matches!(member, ReferenceOr::Item(s) if is_null_only(s))
}

fn only_null<T>(values: &[Option<T>]) -> bool {
    !values.is_empty() && values.iter().all(Option::is_none)
}

fn any_shape(any: &openapiv3::AnySchema) -> Shape<'_> {
    let own = (!any.properties.is_empty()).then_some((&any.properties, any.required.as_slice()));
    // An array's own `oneOf`/`anyOf` constrains it; its items say what it holds.
    if any.typ.as_deref() == Some("array") && any.items.is_some() {
        return Shape::Array {
            items: any.items.as_ref(),
        };
    }
    if !any.one_of.is_empty() {
        return the_other_member(&any.one_of)
            .filter(|_| own.is_none())
            .unwrap_or(Shape::OneOf(&any.one_of, own));
    }
    if !any.any_of.is_empty() {
        return the_other_member(&any.any_of)
            .filter(|_| own.is_none())
            .unwrap_or(Shape::AnyOf(&any.any_of, own));
    }
    if !any.all_of.is_empty() {
        // `required` beside `allOf` applies to the merged properties even with no properties of its own.
        let own = own.or_else(|| {
            (!any.required.is_empty()).then_some((&any.properties, any.required.as_slice()))
        });
        return Shape::AllOf {
            members: &any.all_of,
            own,
        };
    }
    if any.not.is_some() {
        return Shape::Unsupported("`not`".to_owned());
    }
    let typ = any.typ.as_deref();
    // `enum: [null]` means only null, whatever `type` says (Cloudflare writes it on objects).
    if !any.enumeration.is_empty() && any.enumeration.iter().all(serde_json::Value::is_null) {
        return Shape::Null;
    }
    if !any.enumeration.is_empty() && typ != Some("array") && typ != Some("object") {
        let values = &any.enumeration;
        let non_null = || values.iter().filter(|v| !v.is_null());
        if non_null().all(serde_json::Value::is_string) {
            return Shape::String {
                format: any.format.clone(),
                values: non_null()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            };
        }
        if non_null().all(|v| v.is_i64() || v.is_u64()) {
            return Shape::Integer;
        }
        if non_null().all(serde_json::Value::is_number) {
            return Shape::Number;
        }
        if non_null().all(serde_json::Value::is_boolean) {
            return Shape::Boolean;
        }
        return Shape::Any;
    }
    match typ {
        Some("object") => object(any),
        Some("array") => Shape::Array {
            items: any.items.as_ref(),
        },
        Some("string") => Shape::String {
            format: any.format.clone(),
            values: Vec::new(),
        },
        Some("integer") => Shape::Integer,
        Some("number") => Shape::Number,
        Some("boolean") => Shape::Boolean,
        Some(other) => Shape::Unsupported(format!("`type: {other}`")),
        None if !any.properties.is_empty() || any.additional_properties.is_some() => object(any),
        None if any.items.is_some() => Shape::Array {
            items: any.items.as_ref(),
        },
        None => Shape::Any,
    }
}

fn object(any: &openapiv3::AnySchema) -> Shape<'_> {
    Shape::Object {
        properties: &any.properties,
        required: &any.required,
        additional: any.additional_properties.as_ref(),
    }
}
