//! The intermediate model between the OpenAPI document and the emitted Rust: plain data, names already
//! sanitised, `$ref`s resolved, `allOf` merged. Lowering builds it; emitting only reads it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// Where each type is in `types` (see [`index_types`]), so lookups do not scan: specs have thousands.
    pub type_index: HashMap<TypePath, usize>,
    /// The Cargo features, one per top-level resource, each with the features it needs (see
    /// `lower::features`).
    pub features: BTreeMap<String, BTreeSet<String>>,
    /// The distinct `security` requirements, in order of first use (`Operation::security_set` indexes
    /// them): each is one constant in lib.rs rather than a copy in every call.
    pub security_sets: Vec<Vec<Vec<AuthScheme>>>,
}

/// Each type's position in `types`, by path.
pub fn index_types(types: &[TypeDef]) -> HashMap<TypePath, usize> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.path.clone(), i))
        .collect()
}

impl Api {
    /// The definition named `path`, if the model has one; for a copy of another type (see `copy_of`), that
    /// type's definition.
    pub fn find(&self, path: &TypePath) -> Option<&TypeDef> {
        let def = self.type_index.get(path).and_then(|&i| self.types.get(i))?;
        match &def.copy_of {
            Some(of) => self.type_index.get(of).and_then(|&i| self.types.get(i)),
            None => Some(def),
        }
    }
}

/// Whether `ty` names a string enum (written into URLs with `as_str()`, and without a `Default`), looking
/// types up with `find` (lowering's index, or the finished model's).
pub fn is_string_enum<'t>(find: impl Fn(&TypePath) -> Option<&'t TypeDef>, ty: &Ty) -> bool {
    matches!(ty, Ty::Named(path) if find(path).is_some_and(|t| matches!(t.kind, TypeKind::StringEnum { .. })))
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
    /// The Cargo features whose calls use this type; none when no call does (then it is not emitted).
    pub features: Vec<String>,
    /// Reached from what calls send (parameters, bodies): it needs `Serialize`.
    pub sent: bool,
    /// Reached from what calls receive (responses): it needs `Deserialize`.
    pub received: bool,
    /// The document defines this same shape again under this name: this type is an alias of it (see
    /// `lower::dedupe`).
    pub copy_of: Option<TypePath>,
    /// A struct whose fields are all optional or have defaults (or a copy of one): it derives `Default`.
    pub defaultable: bool,
    /// Decoded by serde from its own buffer (it is inside a flattened map), not from the JSON text.
    pub buffered: bool,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct {
        fields: Vec<Field>,
        /// `additionalProperties` beside `properties`: the other keys, kept in a map of this type.
        extra: Option<Ty>,
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
    /// Part of a cycle of types that would otherwise have infinite size.
    pub boxed: bool,
    /// A union the object also meets (an `allOf` member that is a `oneOf`/`anyOf`), not a property: its
    /// properties sit beside the others on the wire (`#[serde(flatten)]`). `wire` is empty.
    pub flatten: bool,
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
    /// `null` or the inner type: an array item or a map value the spec allows to be `null` (a field says
    /// it with [`Field::nullable`] instead).
    Nullable(Box<Ty>),
    Named(TypePath),
}

impl Ty {
    /// The type inside an array, a map or a nullable value.
    pub fn inner(&self) -> Option<&Ty> {
        match self {
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => Some(inner),
            _ => None,
        }
    }

    /// [`Ty::inner`], to change it.
    pub fn inner_mut(&mut self) -> Option<&mut Ty> {
        match self {
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => Some(inner),
            _ => None,
        }
    }
}

/// A `oneOf`/`anyOf`, decided in one step by a rule found in the spec (`lower::schema`'s `union`): the
/// union's `rule`, and each variant's `selector` of that rule's kind.
#[derive(Debug, Clone)]
pub struct Union {
    pub rule: Rule,
    pub variants: Vec<Variant>,
}

/// How a JSON value picks its variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The value of this property (each variant's `Selector::Tag`).
    Tag(String),
    /// Which one of the variants' properties (each variant's `Selector::Present`) is present.
    Presence,
    /// The JSON kind of the value (each variant's `Selector::Kind`).
    Kind,
}

/// What selects one variant of a union, under its union's `Rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `Rule::Tag`: the tag property's values that select this variant (none when the discriminator maps
    /// none to it).
    Tag(Vec<String>),
    /// `Rule::Presence`: the property whose presence selects this variant.
    Present(String),
    /// `Rule::Kind`: the JSON kind that selects this variant.
    Kind(JsonKind),
}

/// The kinds of JSON value, as far as telling union members apart goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JsonKind {
    String,
    Integer,
    /// Any number (integers included, when no member takes integers alone).
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub ident: String,
    pub ty: Ty,
    pub selector: Selector,
    pub doc: Option<String>,
    /// Part of a cycle of types that would otherwise have infinite size.
    pub boxed: bool,
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
    pub positional: Vec<Param>,
    /// Every other parameter, as fields of the params struct.
    pub params: Vec<Param>,
    pub params_type: String,
    /// The request body, a field of the params struct.
    pub body: Option<RequestBody>,
    pub response: Response,
    /// Name of the type alias or type that the call returns, in the resource module.
    pub response_type: String,
    /// The `Accept` header value: the media types the documented responses come in.
    pub accept: String,
    pub security: Vec<Vec<AuthScheme>>,
    /// Index of `security` in `Api::security_sets`.
    pub security_set: usize,
    /// The params struct derives `Default`: its body has one (or is optional) and no required parameter
    /// is a string enum.
    pub params_default: bool,
    /// The multipart form struct (if the body is one) derives `Default`.
    pub form_default: bool,
    pub permissions: Vec<String>,
    pub error_responses: Vec<(String, String)>,
    pub deprecated: bool,
    pub origin: String,
    /// Cursor paging found in the parameters and the envelope: the call also gets a streaming form.
    pub paging: Option<Paging>,
    /// `x-sdk-waiter`: this call reports the state of a long-running operation, so it gets `wait()`.
    pub waiter: Option<Waiter>,
    /// The call starts a long-running operation that another call's waiter polls.
    pub starts: Option<Started>,
}

/// A request body: what the params struct's body field holds and how it is sent.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// The field's name in the params struct.
    pub ident: String,
    pub media: BodyMedia,
    pub required: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub enum BodyMedia {
    /// `application/json` (or `+json`) with this type; `Ty::Json` when the spec gives no schema.
    Json(Ty),
    /// `multipart/form-data`: the fields of an object (a struct named `type_name`), each sent as one part.
    Multipart {
        type_name: String,
        parts: Vec<FormPart>,
    },
    /// Any other media type, sent as raw bytes with this content type.
    Bytes(String),
    /// `text/*`, sent as UTF-8 with this content type.
    Text(String),
}

#[derive(Debug, Clone)]
pub struct FormPart {
    pub wire: String,
    pub ident: String,
    pub ty: Ty,
    /// `format: binary`: sent as a file part.
    pub binary: bool,
    /// An array of binary strings: one file part per item, all under the part's name.
    pub repeated: bool,
    pub required: bool,
    pub doc: Option<String>,
}

/// Paging found in a list call's parameters and envelope: the call also gets a streaming form.
#[derive(Debug, Clone)]
pub struct Paging {
    /// The single-page call's name (the streaming one takes the operation's).
    pub page_fn: String,
    /// The item type of the page's array.
    pub item: Ty,
    /// Where the items are in the page: the page itself (`None`) or a field of it (`result`).
    pub items: Option<Step>,
    /// Whether the page is an `Option` (the envelope's `result` may be `null`).
    pub page_optional: bool,
    pub convention: PagingConvention,
}

/// How a list call asks for the next page.
#[derive(Debug, Clone)]
pub enum PagingConvention {
    /// A cursor query parameter that takes the cursor the previous page returned.
    Cursor {
        /// Index into `Operation::params` of the cursor parameter.
        param: usize,
        /// Fields from the page down to the next cursor (`result_info`, `cursors`, `after`).
        next: Vec<Step>,
    },
    /// A page-number query parameter, counted up from the page asked for.
    Pages {
        /// Index into `Operation::params` of the page parameter.
        param: usize,
        /// The number of the first page, when the caller does not give one: the parameter's `default`,
        /// else its `minimum`, else 1.
        first: u64,
        /// Fields from the page down to the number of pages (`result_info`, `total_pages`), when it has one.
        total_pages: Option<Vec<Step>>,
        /// Fields from the page down to the number of items (`result_info`, `total_count`), when it has one.
        total_count: Option<Vec<Step>>,
    },
}

/// One field on the way from a page to a value in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub ident: String,
    /// Whether the field is an `Option`.
    pub optional: bool,
}

/// `x-sdk-waiter` on a call that reads an operation's state.
#[derive(Debug, Clone)]
pub struct Waiter {
    /// Variant idents of the result union that mean done, and failed.
    pub succeeded: Vec<String>,
    pub failed: Vec<String>,
    /// Field ident of the failed variants' message, when the spec names one.
    pub message: Option<String>,
    /// Field ident of the tag in the variants, for the status reported while waiting.
    pub status_field: String,
    /// The handle type returned by calls that start such an operation.
    pub handle: String,
    /// Ident of the call's one positional argument: the operation's id.
    pub id_arg: String,
    /// Wire name of the property whose value decides the result union (its `Rule::Tag`).
    pub tag: String,
}

/// A call whose result names an operation that `waiter_op`'s waiter polls.
#[derive(Debug, Clone)]
pub struct Started {
    /// Index of the waiter's operation in `Api::operations`.
    pub waiter_op: usize,
    /// The waiter's handle type (in the waiter's module), which the call returns.
    pub handle: String,
    /// Field ident in this call's result that holds the operation's id.
    pub id_field: String,
    /// Whether that field is an `Option`.
    pub id_optional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// Index into the operation's `positional` arguments.
    Positional(usize),
    /// Index into the operation's `params`.
    Param(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
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
    /// An array query parameter sent as one comma-separated value (`style: form, explode: false`) instead
    /// of one pair per item.
    pub comma_joined: bool,
    /// The spec's `default`, when it gives one.
    pub default: Option<serde_json::Value>,
    /// What the value (each item of an array) is checked against before sending, besides its length.
    pub constraints: Constraints,
}

/// JSON Schema constraints of a parameter checked before sending: bounds of numbers, `pattern` of text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<f64>,
    /// An ECMA-262 regular expression the `regex` crate compiles (others are left unchecked, with a warning).
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: f64,
    /// `exclusiveMinimum`/`exclusiveMaximum`: the bound itself is out.
    pub exclusive: bool,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

#[derive(Debug, Clone)]
pub enum Response {
    /// Cloudflare's envelope `{success, errors, messages, result}`: the call returns `result`.
    Enveloped(Ty),
    /// The envelope whose `result` the spec says may be `null`: the call returns `Option` of it.
    EnvelopedNullable(Ty),
    /// The envelope with more than the standard members (e.g. `result_info`): the call returns all of it.
    EnvelopedWhole(Ty),
    /// JSON that is not the envelope.
    Json(Ty),
    Text,
    Bytes,
    /// No body (e.g. 204), or JSON without a schema: the call returns `()` and reads nothing.
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// `type: http, scheme: bearer`.
    Bearer,
    /// `type: http, scheme: basic`.
    Basic,
    /// `type: apiKey, in: header`, with the header's name.
    Header(String),
    /// `type: apiKey, in: query`, with the parameter's name.
    Query(String),
    /// `type: apiKey, in: cookie`, with the cookie's name.
    Cookie(String),
}
