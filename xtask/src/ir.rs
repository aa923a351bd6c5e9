//! The intermediate model between the OpenAPI document and the emitted Rust: plain data, names already
//! sanitised, `$ref`s resolved, `allOf` merged. Lowering builds it; emitting only reads it.

/// Everything the emitter needs to write one crate.
#[derive(Debug, Clone)]
pub struct Api {
    pub title: String,
    pub description: Option<String>,
    pub version: String,
    pub default_base_url: Option<String>,
    pub types: Vec<TypeDef>,
    pub resources: Vec<Resource>,
    pub operations: Vec<Operation>,
    /// Constructs that were typed loosely on purpose (`serde_json::Value`), each naming its spec location.
    pub warnings: Vec<String>,
}

/// The definition named `path`, if the model has one.
pub fn find<'t>(types: &'t [TypeDef], path: &TypePath) -> Option<&'t TypeDef> {
    types.iter().find(|t| &t.path == path)
}

/// Whether `ty` names a string enum (written into URLs with `as_str()`, and without a `Default`).
pub fn is_string_enum(types: &[TypeDef], ty: &Ty) -> bool {
    matches!(ty, Ty::Named(path) if find(types, path).is_some_and(|t| matches!(t.kind, TypeKind::StringEnum { .. })))
}

/// A node of the client's resource tree (`client.rules().lists()`), one module each.
#[derive(Debug, Clone)]
pub struct Resource {
    pub module: Vec<String>,
    /// The handle type, e.g. `Lists`, returned by the parent's accessor.
    pub handle: String,
    /// Child module names, each also the accessor's name.
    pub children: Vec<String>,
}

/// Where a type lives: a module path below the crate root and a name in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypePath {
    pub module: Vec<String>,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub path: TypePath,
    pub doc: Option<String>,
    pub kind: TypeKind,
    /// JSON pointer of the schema it came from, for docs and error messages.
    pub origin: String,
    /// Made for one property of one parent (not a named component), so nothing else refers to it.
    pub inline: bool,
    pub deprecated: bool,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct {
        fields: Vec<Field>,
    },
    /// A string enum. `open` adds `Unknown(String)` so values added later never fail a decode.
    StringEnum {
        values: Vec<EnumValue>,
        open: bool,
    },
    Union(Union),
    /// A name for another type; used for the documented `serde_json::Value` fallbacks.
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub wire: String,
    pub ident: String,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub doc: Option<String>,
    pub deprecated: bool,
}

impl Field {
    /// Absent or null on the wire: the Rust type is an `Option`.
    pub fn optional(&self) -> bool {
        !self.required || self.nullable
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    DateTime,
    Integer,
    Number,
    Boolean,
    /// Only `null` is allowed (`enum: [null]`).
    Null,
    /// Any JSON value: the deliberate fallback for what cannot be typed.
    Json,
    Array(Box<Ty>),
    Map(Box<Ty>),
    Named(TypePath),
}

/// A `oneOf` decided by one property whose values split the variants.
#[derive(Debug, Clone)]
pub struct Union {
    pub tag: String,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub ident: String,
    pub ty: Ty,
    /// The discriminator values that select this variant.
    pub tags: Vec<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The spec's `operationId` (or `METHOD /path` without one).
    pub spec_id: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// Upper-case HTTP method.
    pub method: String,
    pub path_template: String,
    pub segments: Vec<Segment>,
    /// Module path of the resource that owns this call, e.g. `rules` / `lists` / `items`.
    pub resource: Vec<String>,
    pub fn_name: String,
    /// The last path parameter when the path ends with one; passed as its own argument.
    pub positional: Option<Param>,
    /// Every other parameter, as fields of the params struct.
    pub params: Vec<Param>,
    pub params_type: String,
    pub response: Response,
    /// Name of the type alias or type that the call returns, in the resource module.
    pub response_type: String,
    pub security: Vec<Vec<AuthScheme>>,
    pub permissions: Vec<String>,
    pub error_responses: Vec<(String, String)>,
    pub deprecated: bool,
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// The positional parameter.
    Positional,
    /// Index into the operation's `params`.
    Param(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub wire: String,
    pub ident: String,
    pub location: ParamLocation,
    pub ty: Ty,
    pub required: bool,
    pub doc: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// The spec's example value, when it gives a string one (used in the crate's quick start).
    pub example: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Response {
    /// Cloudflare's envelope `{success, errors, messages, result}`: the call returns `result`.
    Enveloped(Ty),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    Bearer,
    Header(String),
}
