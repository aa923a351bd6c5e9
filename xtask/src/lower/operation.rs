//! Operations: where each call goes in the resource tree, its parameters (with the constraints checked
//! before sending), its success type (unwrapped from Cloudflare's envelope) and the auth it accepts.

use super::accept::accept;
use super::path_template::{PathSegment, PathTemplate};
use super::resource::{place, singular, Placement};
use super::schema::{component_name, Direction, Hint, SchemaRef};
use super::view::{shape, Shape};
use super::{workflow, Lowerer};
use crate::ident::{ident, Case, Scope};
use crate::ir::{
    AuthScheme, BodyMedia, Bound, Constraints, FormPart, Operation, Param, ParamLocation,
    RequestBody, Resource, Response, Segment, Ty,
};
use crate::location::Location;
use anyhow::{bail, Result};
use openapiv3::{Parameter, ParameterSchemaOrContent, ReferenceOr, SecurityScheme, StatusCode};
use std::collections::{BTreeMap, BTreeSet};

/// Module names at the crate root that resources must not take.
const ROOT_RESERVED: &[&str] = &["types", "runtime"];
/// Locals and arguments of the generated call bodies, which a positional parameter must not shadow.
const CALL_LOCALS: &[&str] = &[
    "params",
    "path",
    "query",
    "headers",
    "cookies",
    "body",
    "form",
    "parts",
    "value",
    "self_",
    "client",
    "this",
    "cursor",
    "page",
    "next",
    "options",
    "classify",
    "waiter_params",
    "result",
];

struct Found<'a> {
    path: &'a str,
    template: PathTemplate<'a>,
    method: &'a str,
    op: &'a openapiv3::Operation,
    shared_params: &'a [ReferenceOr<Parameter>],
    at: String,
    placement: Placement,
    /// The first 2xx response, found once for placement and lowering.
    success: Success<'a>,
}

impl Found<'_> {
    /// The operation's id, or `METHOD /path` when the spec gives none.
    fn spec_id(&self) -> String {
        self.op
            .operation_id
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.path))
    }
}

/// What the first 2xx response holds.
enum Success<'a> {
    /// Cloudflare's envelope: its `result`, and the whole envelope when it has more than the standard members.
    Envelope {
        result: (SchemaRef<'a>, String),
        /// Whether `result` may be `null` (see `merged_allows_null`).
        result_nullable: bool,
        whole: Option<(SchemaRef<'a>, String)>,
    },
    /// JSON that is not the envelope.
    Json((SchemaRef<'a>, String)),
    Text,
    Bytes,
    /// No content, or JSON without a schema: nothing said about the body, so whatever comes (often nothing)
    /// is not read.
    Empty,
}

/// The members of Cloudflare's envelope; any other member (e.g. `result_info`) makes the call return it whole.
const ENVELOPE_REQUIRED: [&str; 3] = ["success", "errors", "result"];
const ENVELOPE_STANDARD: [&str; 4] = ["success", "errors", "messages", "result"];

impl<'a> Lowerer<'a> {
    pub fn operations(&mut self) -> Result<(Vec<Resource>, Vec<Operation>)> {
        let found = self.found_operations()?;
        // The tree first, so handle names and child accessors are reserved before any type or method.
        let (mut resources, mut methods) = self.resource_tree(&found);
        let canonical = canonical_path_names(found.iter().map(|f| &f.template));
        let mut operations = Vec::with_capacity(found.len());
        for f in &found {
            let scope = methods.entry(f.placement.resource.clone()).or_default();
            let fn_name = if scope.contains(&f.placement.method) {
                let fallback =
                    f.op.operation_id
                        .as_deref()
                        .map(|id| ident(id, Case::Snake))
                        .unwrap_or_else(|| f.placement.method.clone());
                scope.claim(&fallback, Case::Snake)
            } else {
                scope.claim(&f.placement.method, Case::Snake)
            };
            // One call the generator cannot make costs that call, not the whole crate: it is left out with
            // a warning. (`lower` still fails if what it left behind is incomplete; see `left_out`.)
            let mut operation = match self.operation(f, fn_name, &canonical) {
                Ok(operation) => operation,
                Err(err) => {
                    self.warnings
                        .push(format!("{}: left out of the crate: {err:#}", f.at));
                    self.left_out
                        .push(err.context(format!("in operation {}", f.at)));
                    continue;
                }
            };
            if let Some(paging) = &mut operation.paging {
                paging.page_fn = scope.claim(&paging.page_fn, Case::Snake);
            }
            operations.push(operation);
        }
        keep_resources_with_calls(&mut resources, &operations);
        Ok((resources, operations))
    }

    /// Every operation of the document with its success response and its place in the resource tree.
    fn found_operations(&mut self) -> Result<Vec<Found<'a>>> {
        let mut found = Vec::new();
        for (path, item) in &self.doc.paths.paths {
            let ReferenceOr::Item(item) = item else {
                bail!("paths.{path}: a `$ref` path item is not supported");
            };
            for (method, op) in item.iter() {
                let at = format!("paths.{path}.{method}");
                let success = self.success_response(op, &at)?;
                if matches!(success, Success::Empty)
                    && op.responses.default.is_some()
                    && !op.responses.responses.keys().any(is_success)
                {
                    self.warnings.push(format!("{at}.responses: only a `default` response and no 2XX one; the call returns `()` and does not read the body"));
                }
                let returns_array = match &success {
                    Success::Envelope { result, .. } | Success::Json(result) => {
                        self.is_array(result)?
                    }
                    _ => false,
                };
                let template = PathTemplate::parse(path);
                let mut placement = place(&template, method, returns_array);
                if ROOT_RESERVED.contains(&placement.resource[0].as_str()) {
                    placement.resource[0].push('_');
                }
                found.push(Found {
                    path,
                    template,
                    method,
                    op,
                    shared_params: &item.parameters,
                    at,
                    placement,
                    success,
                });
            }
        }
        Ok(found)
    }

    /// The resources the operations are placed in, each with its handle's name claimed, and the method
    /// names each resource's children take as accessors.
    fn resource_tree(&mut self, found: &[Found]) -> (Vec<Resource>, BTreeMap<Vec<String>, Scope>) {
        let mut children: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
        for f in found {
            let r = &f.placement.resource;
            for depth in 0..r.len() {
                children
                    .entry(r[..depth].to_vec())
                    .or_default()
                    .insert(r[depth].clone());
                children.entry(r[..=depth].to_vec()).or_default();
            }
        }
        let mut resources = Vec::new();
        let mut methods: BTreeMap<Vec<String>, Scope> = BTreeMap::new();
        for (module, kids) in &children {
            let Some(last) = module.last() else { continue };
            let handle = self
                .table
                .claim(&Hint {
                    module: module.clone(),
                    name: ident(last, Case::Pascal),
                })
                .name;
            let mut scope = Scope::with_reserved(&["new"]);
            for kid in kids {
                scope.claim(kid, Case::Snake);
            }
            methods.insert(module.clone(), scope);
            resources.push(Resource {
                module: module.clone(),
                handle,
                children: kids.iter().cloned().collect(),
            });
        }
        (resources, methods)
    }

    /// One operation, lowered in the order its parts claim names (params struct, parameters' types,
    /// response, waiter handle, body), so names stay deterministic.
    fn operation(
        &mut self,
        f: &Found<'a>,
        fn_name: String,
        canonical: &BTreeMap<String, String>,
    ) -> Result<Operation> {
        let module = f.placement.resource.clone();
        let last = module.last().map(String::as_str).unwrap_or("root");
        let base = format!(
            "{}{}",
            ident(&singular(last), Case::Pascal),
            ident(&fn_name, Case::Pascal)
        );
        let params_type = self
            .table
            .claim(&Hint {
                module: module.clone(),
                name: format!("{base}Params"),
            })
            .name;
        let declared = self.declared_params(f)?;
        let ordered = ordered_params(f, &declared)?;
        let params_hint = Hint {
            module: module.clone(),
            name: params_type.clone(),
        };
        let lowered = self.lower_params(f, ordered, canonical, &params_hint)?;
        let segments = url_segments(f, &lowered.positional, &lowered.params)?;
        let response_hint = Hint {
            module: module.clone(),
            name: format!("{base}Response"),
        };
        let response = self.response(f, &response_hint, &base)?;
        let response_type = match &response {
            Response::Enveloped(Ty::Named(p))
            | Response::EnvelopedWhole(Ty::Named(p))
            | Response::Json(Ty::Named(p))
                if p.module == module && p.name == response_hint.name =>
            {
                p.name.clone()
            }
            _ => self.table.claim(&response_hint).name,
        };
        let waiter = self.operation_waiter(f, &module, &response, &lowered.positional)?;
        let body = match (&f.op.request_body, lowered.body_ident) {
            (Some(body), Some(ident)) => {
                Some(self.request_body(body, ident, &module, &base, &f.at)?)
            }
            _ => None,
        };

        let mut operation = Operation {
            security_set: 0,
            params_default: false,
            form_default: false,
            spec_id: f.spec_id(),
            summary: f.op.summary.clone(),
            description: f.op.description.clone(),
            method: f.method.to_uppercase(),
            path_template: f.path.to_owned(),
            segments,
            resource: module,
            fn_name,
            positional: lowered.positional,
            params: lowered.params,
            params_type,
            body,
            response,
            response_type,
            accept: self.accept(f.op, &f.at)?,
            security: self.security(f.op, &f.at)?,
            permissions: permissions(f.op),
            error_responses: self.error_responses(f.op),
            deprecated: f.op.deprecated,
            origin: f.at.clone(),
            paging: None,
            waiter,
            starts: None,
        };
        operation.paging = workflow::paging(&operation, |path| self.table.find(path));
        workflow::count_pages_in_integers(&mut operation);
        Ok(operation)
    }

    /// Each documented error status with its description.
    fn error_responses(&self, op: &openapiv3::Operation) -> Vec<(String, String)> {
        op.responses
            .responses
            .iter()
            .filter(|(code, _)| !is_success(code))
            .map(|(code, r)| (status_text(code), self.response_description(r)))
            .collect()
    }

    /// The parameters declared on the path and on the operation: operation-level ones replace path-level
    /// ones with the same name and location.
    fn declared_params(&mut self, f: &Found<'a>) -> Result<Vec<Declared<'a>>> {
        let mut declared: Vec<Declared<'a>> = Vec::new();
        let sources = f
            .shared_params
            .iter()
            .enumerate()
            .map(|(i, p)| (p, format!("paths.{}.parameters[{i}]", f.path)));
        let own =
            f.op.parameters
                .iter()
                .enumerate()
                .map(|(i, p)| (p, format!("{}.parameters[{i}]", f.at)));
        for (p, at) in sources.chain(own) {
            let parameter = self.parameter(p, &at)?;
            declared.retain(|d| {
                !(d.data.name == parameter.data.name && d.location == parameter.location)
            });
            declared.push(parameter);
        }
        Ok(declared)
    }

    /// Each parameter lowered, in `ordered`'s order: path parameters after the scope are the call's own
    /// arguments (as in Cloudflare's SDKs); the scope (`/accounts/{account_id}`) and the others are
    /// fields of the params struct, where the body's field is named first.
    fn lower_params(
        &mut self,
        f: &Found<'a>,
        ordered: Vec<&Declared<'a>>,
        canonical: &BTreeMap<String, String>,
        params_hint: &Hint,
    ) -> Result<LoweredParams> {
        let positional_names: Vec<&str> = f.template.positional().collect();
        let mut lowered = LoweredParams::default();
        let mut fields = Scope::default();
        let mut locals = Scope::with_reserved(CALL_LOCALS);
        // The body field's name is taken first, so a parameter called `body` gets the suffix.
        lowered.body_ident =
            f.op.request_body
                .is_some()
                .then(|| fields.claim("body", Case::Snake));
        let mut rust_names: BTreeMap<&str, String> = BTreeMap::new();
        for (name, key) in f.template.param_keys() {
            if let Some(canon) = canonical.get(&key) {
                rust_names.insert(name, canon.clone());
            }
        }
        for declared in ordered {
            let (data, location) = (declared.data, &declared.location);
            let is_positional =
                *location == ParamLocation::Path && positional_names.contains(&data.name.as_str());
            let scope = if is_positional {
                &mut locals
            } else {
                &mut fields
            };
            let rust_name = match location {
                ParamLocation::Path => rust_names.get(data.name.as_str()).map(String::as_str),
                _ => None,
            }
            .unwrap_or(&data.name);
            let params = self.param(declared, rust_name, params_hint, scope)?;
            if is_positional {
                lowered.positional.extend(params);
            } else {
                lowered.params.extend(params);
            }
        }
        Ok(lowered)
    }

    /// What the first 2xx response gives the caller: the envelope's `result` (an `Option` when it may be
    /// `null`), the whole envelope, other JSON, text, bytes or nothing.
    fn response(&mut self, f: &Found<'a>, response_hint: &Hint, base: &str) -> Result<Response> {
        Ok(match &f.success {
            Success::Envelope {
                whole: Some((r, at)),
                ..
            } => {
                Response::EnvelopedWhole(self.lower(*r, response_hint, at, Direction::Response)?)
            }
            Success::Envelope {
                result: (r, at),
                result_nullable,
                ..
            } => {
                if *result_nullable {
                    // The call returns `Option<…Result>`, named `…Response`.
                    let hint = Hint {
                        module: response_hint.module.clone(),
                        name: format!("{base}Result"),
                    };
                    Response::EnvelopedNullable(self.lower(*r, &hint, at, Direction::Response)?)
                } else {
                    Response::Enveloped(self.lower(*r, response_hint, at, Direction::Response)?)
                }
            }
            Success::Json((r, at)) => {
                Response::Json(self.lower(*r, response_hint, at, Direction::Response)?)
            }
            Success::Text => Response::Text,
            Success::Bytes => Response::Bytes,
            Success::Empty => Response::Empty,
        })
    }

    /// `x-sdk-waiter`: the call reports a long-running operation's state, with a handle type named after
    /// its resource.
    fn operation_waiter(
        &mut self,
        f: &Found<'a>,
        module: &[String],
        response: &Response,
        positional: &[Param],
    ) -> Result<Option<crate::ir::Waiter>> {
        let Some(extension) = f.op.extensions.get(workflow::WAITER_EXTENSION) else {
            return Ok(None);
        };
        let last = module.last().map(String::as_str).unwrap_or("root");
        let handle = self
            .table
            .claim(&Hint {
                module: module.to_vec(),
                name: format!("{}Handle", ident(&singular(last), Case::Pascal)),
            })
            .name;
        workflow::waiter(
            extension,
            response,
            positional,
            |path| self.table.find(path),
            handle,
            &f.at,
        )
        .map(Some)
    }

    /// The item itself, or the one its `$ref` names in `components.<kind>` (one level: a reference to a
    /// reference is reported as unresolved rather than followed).
    fn component<T>(
        &self,
        r: &'a ReferenceOr<T>,
        kind: &str,
        section: impl Fn(&'a openapiv3::Components) -> &'a indexmap::IndexMap<String, ReferenceOr<T>>,
        at: &str,
    ) -> Result<&'a T> {
        let reference = match r {
            ReferenceOr::Item(item) => return Ok(item),
            ReferenceOr::Reference { reference } => reference,
        };
        component_name(reference, kind)
            .and_then(|name| section(self.doc.components.as_ref()?).get(&name))
            .and_then(|r| match r {
                ReferenceOr::Item(item) => Some(item),
                ReferenceOr::Reference { .. } => None,
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{at}: unresolved $ref `{reference}`: no such entry in components.{kind}"
                )
            })
    }

    fn parameter(&self, p: &'a ReferenceOr<Parameter>, at: &str) -> Result<Declared<'a>> {
        let parameter = self.component(p, "parameters", |c| &c.parameters, at)?;
        let (data, location, deep_object) = match parameter {
            Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path, false),
            Parameter::Query {
                parameter_data,
                style,
                ..
            } => (
                parameter_data,
                ParamLocation::Query,
                matches!(style, openapiv3::QueryStyle::DeepObject),
            ),
            Parameter::Header { parameter_data, .. } => {
                (parameter_data, ParamLocation::Header, false)
            }
            Parameter::Cookie { parameter_data, .. } => {
                (parameter_data, ParamLocation::Cookie, false)
            }
        };
        Ok(Declared {
            data,
            location,
            deep_object,
            at: at.to_owned(),
        })
    }

    /// The constraints a parameter's value (or each item of an array) is checked against before sending;
    /// those that cannot be checked are a warning at their location.
    fn param_constraints(
        &mut self,
        ty: &Ty,
        resolved: &'a openapiv3::Schema,
        schema_at: &str,
        name: &str,
    ) -> Result<(Lengths, Constraints)> {
        let (value_schema, value_ty, value_at) = match (ty, shape(resolved)) {
            (Ty::Array(item), Shape::Array { items: Some(items) }) => {
                let items_at = format!("{schema_at}.items");
                let (items, _, _) = self.resolve(SchemaRef::from(items), &items_at)?;
                (items, &**item, items_at)
            }
            _ => (resolved, ty, schema_at.to_owned()),
        };
        let lengths = lengths(value_schema, value_ty);
        let (constraints, unchecked) = constraints(value_schema, value_ty);
        if !unchecked.is_empty() {
            self.warnings.push(format!(
                "{value_at}: {} of parameter `{name}` {} not checked before sending",
                unchecked.join(", "),
                if unchecked.len() == 1 { "is" } else { "are" }
            ));
        }
        Ok((lengths, constraints))
    }

    /// The parameter as the call's argument or params fields: one, or one per property for an object in the
    /// query (`name[key]=value` with `style: deepObject`, else `key=value`, as OpenAPI serializes them).
    /// A type that cannot be written as text is taken as the text to send, with a warning.
    fn param(
        &mut self,
        declared: &Declared<'a>,
        rust_name: &str,
        owner: &Hint,
        scope: &mut Scope,
    ) -> Result<Vec<Param>> {
        let (data, location, at) = (declared.data, declared.location, declared.at.as_str());
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            bail!(
                "{at}: parameter `{}` uses `content` instead of `schema`, which is not supported",
                data.name
            );
        };
        let schema_at = format!("{at}.schema");
        let ty = as_text(self.lower(
            schema.into(),
            &owner.child(rust_name),
            &schema_at,
            Direction::Response,
        )?);
        let (resolved, _, _) = self.resolve(schema.into(), &schema_at)?;
        let example = data
            .example
            .as_ref()
            .or(resolved.schema_data.example.as_ref());
        let ty = match ty {
            Ty::Json => implied_type(resolved, example).unwrap_or(Ty::Json),
            Ty::Array(item) if *item == Ty::Json && is_list_of_text(example) => {
                Ty::Array(Box::new(Ty::String))
            }
            ty => ty,
        };
        let doc = data
            .description
            .clone()
            .or_else(|| resolved.schema_data.description.clone());
        let required = data.required || location == ParamLocation::Path;
        if let (ParamLocation::Query, Some(fields)) = (location, self.scalar_fields(&ty)) {
            return Ok(query_object_params(
                declared, fields, rust_name, required, doc, scope,
            ));
        }
        let supported = match (&ty, location) {
            (Ty::Array(item), ParamLocation::Query) => self.is_text(item),
            (ty, _) => self.is_text(ty),
        };
        let ty = if supported {
            ty
        } else {
            self.warnings.push(format!(
                "{schema_at}: parameter `{}` has no type, or one that cannot be written as text in a URL or header; it is taken as the text to send (`String`)",
                data.name
            ));
            Ty::String
        };
        let ((min_length, max_length), constraints) =
            self.param_constraints(&ty, resolved, &schema_at, &data.name)?;
        let comma_joined = matches!(ty, Ty::Array(_)) && data.explode == Some(false);
        Ok(vec![Param {
            wire: data.name.clone(),
            ident: scope.claim(&ident(rust_name, Case::Snake), Case::Snake),
            location,
            ty,
            required,
            doc,
            min_length,
            max_length,
            example: example.and_then(|v| v.as_str()).map(str::to_owned),
            comma_joined,
            default: resolved.schema_data.default.clone(),
            constraints,
        }])
    }

    /// The properties of `ty` when it is an object whose properties are all text-like (what a query string
    /// can carry as one pair each).
    fn scalar_fields(&self, ty: &Ty) -> Option<Vec<crate::ir::Field>> {
        let Ty::Named(path) = ty else { return None };
        let crate::ir::TypeKind::Struct {
            fields,
            extra: None,
        } = &self.table.find(path)?.kind
        else {
            return None;
        };
        (!fields.is_empty() && fields.iter().all(|f| self.is_text(&as_text(f.ty.clone()))))
            .then(|| fields.clone())
    }

    /// Whether a value of `ty` can be written as one piece of text in a URL or header.
    fn is_text(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::String | Ty::Integer | Ty::Number | Ty::Boolean)
            || crate::ir::is_string_enum(|p| self.table.find(p), ty)
    }

    /// What the first 2xx response holds: Cloudflare's envelope, other JSON, text, bytes or nothing.
    fn success_response(&self, op: &'a openapiv3::Operation, at: &str) -> Result<Success<'a>> {
        let mut successes: Vec<(&StatusCode, &'a ReferenceOr<openapiv3::Response>)> = op
            .responses
            .responses
            .iter()
            .filter(|(code, _)| is_success(code))
            .collect();
        successes.sort_by_key(|(code, _)| status_text(code));
        let Some((code, response)) = successes.first() else {
            return Ok(Success::Empty);
        };
        let response_at = format!("{at}.responses.{}", status_text(code));
        let response = self.component(response, "responses", |c| &c.responses, &response_at)?;
        let json = response.content.iter().find(|(media, _)| is_json(media));
        let Some((media, content)) = json else {
            return Ok(match response.content.keys().next() {
                None => Success::Empty,
                Some(media) if media.starts_with("text/") => Success::Text,
                Some(_) => Success::Bytes,
            });
        };
        let Some(schema) = &content.schema else {
            return Ok(Success::Empty);
        };
        let schema_at = format!("{response_at}.content.{media}.schema");
        let view = self.object_view(schema.into(), &schema_at)?;
        let is_envelope = ENVELOPE_REQUIRED
            .iter()
            .all(|k| view.properties.contains_key(*k));
        if !is_envelope {
            return Ok(Success::Json((schema.into(), schema_at)));
        }
        let Some((result, result_at)) = view.properties.get("result") else {
            return Ok(Success::Json((schema.into(), schema_at)));
        };
        let extra = view
            .properties
            .keys()
            .any(|k| !ENVELOPE_STANDARD.contains(&k.as_str()));
        Ok(Success::Envelope {
            result_nullable: self.merged_allows_null(&view, "result", *result, result_at)?,
            result: (*result, result_at.clone()),
            whole: extra.then(|| (schema.into(), schema_at)),
        })
    }

    /// The request body: typed JSON (without `readOnly` properties), untyped JSON when there is no
    /// schema, multipart parts, text or bytes.
    fn request_body(
        &mut self,
        body: &'a ReferenceOr<openapiv3::RequestBody>,
        ident: String,
        module: &[String],
        base: &str,
        op_at: &str,
    ) -> Result<RequestBody> {
        let at = format!("{op_at}.requestBody");
        let body = self.component(body, "requestBodies", |c| &c.request_bodies, &at)?;
        let hint = Hint {
            module: module.to_vec(),
            name: format!("{base}Body"),
        };
        // JSON first, then multipart, then the others in the spec's order. One that cannot be sent (a
        // multipart body whose parts cannot be known) gives way to the next the operation accepts, unless
        // the attempt already defined types: those could name types it never got to define.
        let mut offered: Vec<_> = body.content.iter().collect();
        offered.sort_by_key(|(media, _)| match media.as_str() {
            m if is_json(m) => 0,
            "multipart/form-data" => 1,
            _ => 2,
        });
        let mut refused: Vec<anyhow::Error> = Vec::new();
        for (media, content) in offered {
            let media_at = format!("{at}.content.{media}");
            let defined = self.table.types.len();
            let lowered = self.body_media(media, content, &hint, &media_at);
            match lowered {
                Ok(lowered) => {
                    self.warnings.extend(
                        refused.iter().map(|reason| {
                            format!("{reason}; the body is sent as `{media}` instead")
                        }),
                    );
                    return Ok(RequestBody {
                        ident,
                        media: lowered,
                        required: body.required,
                        doc: body.description.clone(),
                    });
                }
                Err(reason) if self.table.types.len() == defined => refused.push(reason),
                Err(reason) => return Err(reason),
            }
        }
        match refused.into_iter().next() {
            Some(first) => Err(first),
            None => bail!("{at}: a request body without any media type in `content`"),
        }
    }

    fn body_media(
        &mut self,
        media: &str,
        content: &'a openapiv3::MediaType,
        hint: &Hint,
        at: &str,
    ) -> Result<BodyMedia> {
        if is_json(media) {
            return Ok(BodyMedia::Json(match &content.schema {
                Some(schema) => self.lower(
                    schema.into(),
                    hint,
                    &format!("{at}.schema"),
                    Direction::Request,
                )?,
                None => Ty::Json,
            }));
        }
        if media == "multipart/form-data" {
            let Some(schema) = &content.schema else {
                bail!("{at}: a multipart body without a schema (its parts cannot be known)");
            };
            let schema_at = format!("{at}.schema");
            let view = self.object_view(schema.into(), &schema_at)?;
            if view.properties.is_empty() {
                bail!("{schema_at}: a multipart body must be an object with `properties` (one part each)");
            }
            if view
                .additional
                .is_some_and(|a| !matches!(a, openapiv3::AdditionalProperties::Any(false)))
            {
                self.warnings.push(format!("{schema_at}: parts beyond the listed properties (`additionalProperties`) cannot be sent; the form has the listed ones"));
            }
            let mut scope = Scope::default();
            let mut parts = Vec::with_capacity(view.properties.len());
            for (wire, (r, location)) in &view.properties {
                let (schema, _, _) = self.resolve(*r, location)?;
                let is_binary = |shape| matches!(shape, Shape::String { format: Some(f), .. } if f == "binary" || f == "byte");
                let (binary, repeated) = match shape(schema) {
                    Shape::Array { items: Some(items) } => {
                        let items_at = location.item();
                        let files = is_binary(shape(self.resolve(items.into(), &items_at)?.0));
                        (files, files)
                    }
                    other => (is_binary(other), false),
                };
                let ty = if binary {
                    Ty::String
                } else {
                    self.lower(*r, &hint.child(wire), location, Direction::Request)?
                };
                parts.push(FormPart {
                    wire: wire.clone(),
                    ident: scope.claim(&ident(wire, Case::Snake), Case::Snake),
                    ty,
                    binary,
                    repeated,
                    required: view.required.contains(wire),
                    doc: schema.schema_data.description.clone(),
                });
            }
            let type_name = self
                .table
                .claim(&Hint {
                    module: hint.module.clone(),
                    name: hint.name.replace("Body", "Form"),
                })
                .name;
            return Ok(BodyMedia::Multipart { type_name, parts });
        }
        if media.starts_with("text/") {
            return Ok(BodyMedia::Text(media.to_owned()));
        }
        Ok(BodyMedia::Bytes(media.to_owned()))
    }

    /// Whether the schema at `(result, result_at)` is an array, directly or as the one member of an `allOf`.
    fn is_array(&self, (result, result_at): &(SchemaRef<'a>, String)) -> Result<bool> {
        let (schema, _, _) = self.resolve(*result, result_at)?;
        Ok(match shape(schema) {
            Shape::Array { .. } => true,
            Shape::AllOf { members, own } => {
                let merged = self.merge(members, own, result_at)?;
                merged.properties.is_empty()
                    && matches!(merged.others.as_slice(), [(only, loc)] if matches!(shape(self.resolve(*only, loc)?.0), Shape::Array { .. }))
            }
            _ => false,
        })
    }

    /// The `Accept` header: the media types of the documented responses, the successes' first.
    fn accept(&self, op: &'a openapiv3::Operation, at: &str) -> Result<String> {
        let mut responses: Vec<(&StatusCode, &'a ReferenceOr<openapiv3::Response>)> =
            op.responses.responses.iter().collect();
        responses.sort_by_key(|(code, _)| !is_success(code));
        let mut media_types = Vec::new();
        for (code, response) in responses {
            let response_at = format!("{at}.responses.{}", status_text(code));
            let response = self.component(response, "responses", |c| &c.responses, &response_at)?;
            media_types.extend(response.content.keys().map(String::as_str));
        }
        if let Some(default) = &op.responses.default {
            let default_at = format!("{at}.responses.default");
            let response = self.component(default, "responses", |c| &c.responses, &default_at)?;
            media_types.extend(response.content.keys().map(String::as_str));
        }
        Ok(accept(media_types))
    }

    fn response_description(&self, r: &ReferenceOr<openapiv3::Response>) -> String {
        match r {
            ReferenceOr::Item(r) => r.description.clone(),
            ReferenceOr::Reference { reference } => {
                reference.rsplit('/').next().unwrap_or_default().to_owned()
            }
        }
    }

    /// Each alternative of the operation's (or the document's) `security`, as schemes the runtime sends.
    fn security(&mut self, op: &'a openapiv3::Operation, at: &str) -> Result<Vec<Vec<AuthScheme>>> {
        let Some(requirements) = op.security.as_ref().or(self.doc.security.as_ref()) else {
            return Ok(Vec::new());
        };
        let schemes = self.doc.components.as_ref().map(|c| &c.security_schemes);
        let mut alternatives = Vec::new();
        let mut skipped = Vec::new();
        for requirement in requirements {
            let mut alternative = Vec::new();
            let mut usable = true;
            for name in requirement.keys() {
                let scheme = schemes.and_then(|s| s.get(name)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{at}.security: `{name}` is not defined in components.securitySchemes"
                    )
                })?;
                match scheme {
                    ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
                        if scheme.eq_ignore_ascii_case("bearer") =>
                    {
                        alternative.push(AuthScheme::Bearer)
                    }
                    ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
                        if scheme.eq_ignore_ascii_case("basic") =>
                    {
                        alternative.push(AuthScheme::Basic)
                    }
                    ReferenceOr::Item(SecurityScheme::APIKey { location, name, .. }) => alternative
                        .push(match location {
                            openapiv3::APIKeyLocation::Header => AuthScheme::Header(name.clone()),
                            openapiv3::APIKeyLocation::Query => AuthScheme::Query(name.clone()),
                            openapiv3::APIKeyLocation::Cookie => AuthScheme::Cookie(name.clone()),
                        }),
                    // OAuth 2, OpenID Connect and other HTTP schemes (digest...) need flows the runtime does
                    // not run.
                    _ => usable = false,
                }
            }
            if usable && !alternative.is_empty() {
                alternatives.push(alternative);
            } else if !usable {
                skipped.push(requirement.keys().cloned().collect::<Vec<_>>().join(" + "));
            }
        }
        if !skipped.is_empty() {
            self.warnings.push(format!(
                "{at}.security: the runtime cannot send {}; those alternatives are left out",
                skipped.join(", ")
            ));
            if alternatives.is_empty() {
                bail!("{at}.security: none of the accepted security schemes is supported (HTTP bearer and basic, and API keys in a header, query or cookie, are)");
            }
        }
        Ok(alternatives)
    }
}

/// A parameter as declared, with where it was declared.
struct Declared<'a> {
    data: &'a openapiv3::ParameterData,
    location: ParamLocation,
    /// `style: deepObject`: an object's properties go as `name[key]=value`.
    deep_object: bool,
    at: String,
}

/// A query parameter that is an object of scalars: one parameter per property, `name[key]` for
/// `deepObject`, the keys themselves for `form`.
fn query_object_params(
    declared: &Declared,
    fields: Vec<crate::ir::Field>,
    rust_name: &str,
    required: bool,
    doc: Option<String>,
    scope: &mut Scope,
) -> Vec<Param> {
    let object_doc = doc.map(|d| format!("{d}\n\n")).unwrap_or_default();
    fields
        .into_iter()
        .map(|field| Param {
            wire: if declared.deep_object {
                format!("{}[{}]", declared.data.name, field.wire)
            } else {
                field.wire.clone()
            },
            ident: scope.claim(
                &ident(&format!("{rust_name}_{}", field.wire), Case::Snake),
                Case::Snake,
            ),
            location: declared.location,
            required: required && field.required,
            doc: Some(format!(
                "{object_doc}`{}`: {}",
                field.wire,
                field.doc.clone().unwrap_or_default()
            )),
            ty: as_text(field.ty),
            min_length: None,
            max_length: None,
            example: None,
            comma_joined: false,
            default: None,
            constraints: Constraints::default(),
        })
        .collect()
}

/// Timestamps in URLs and headers are the RFC 3339 text the caller gives; an array item that may be `null`
/// is not (a URL cannot say `null`).
fn as_text(ty: Ty) -> Ty {
    match ty {
        Ty::DateTime => Ty::String,
        Ty::Array(item) => Ty::Array(Box::new(match *item {
            Ty::Nullable(inner) => as_text(*inner),
            item => as_text(item),
        })),
        other => other,
    }
}

/// The type of a parameter schema without `type`, from what it carries (only for parameters: what is sent
/// may be narrower than the schema, what is received may not), or `None` when nothing tells:
/// - only numeric constraints, as Cloudflare writes `page` and `per_page` (`{default: 1, minimum: 1}`): a
///   number, an integer when its bounds and default are whole;
/// - text constraints (`pattern`, `minLength`, `maxLength`): text;
/// - a `format`: `int32`/`int64` an integer, `float`/`double` a number, any other (`date-time`, `uuid`...)
///   text;
/// - else its example, or its default: a boolean, an integer, a number or text, as the value is.
fn implied_type(schema: &openapiv3::Schema, example: Option<&serde_json::Value>) -> Option<Ty> {
    let openapiv3::SchemaKind::Any(any) = &schema.schema_kind else {
        return None;
    };
    let scalar = openapiv3::AnySchema {
        typ: None,
        pattern: any.pattern.clone(),
        multiple_of: any.multiple_of,
        exclusive_minimum: any.exclusive_minimum,
        exclusive_maximum: any.exclusive_maximum,
        minimum: any.minimum,
        maximum: any.maximum,
        format: any.format.clone(),
        min_length: any.min_length,
        max_length: any.max_length,
        ..Default::default()
    };
    // Structure (properties, items, members, enum) is the schema lowering's to type.
    if *any != scalar {
        return None;
    }
    if let Some(number) = implied_number(schema) {
        return Some(number);
    }
    if any.pattern.is_some() || any.min_length.is_some() || any.max_length.is_some() {
        return Some(Ty::String);
    }
    match any.format.as_deref() {
        Some("int32" | "int64") => return Some(Ty::Integer),
        Some("float" | "double") => return Some(Ty::Number),
        Some(_) => return Some(Ty::String),
        None => {}
    }
    match example.or(schema.schema_data.default.as_ref())? {
        serde_json::Value::Bool(_) => Some(Ty::Boolean),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(Ty::Integer),
        serde_json::Value::Number(_) => Some(Ty::Number),
        serde_json::Value::String(_) => Some(Ty::String),
        _ => None,
    }
}

/// Whether an example is a list of strings (what an array of untyped items is then taken to hold).
fn is_list_of_text(example: Option<&serde_json::Value>) -> bool {
    example
        .and_then(|v| v.as_array())
        .is_some_and(|items| !items.is_empty() && items.iter().all(|v| v.is_string()))
}

/// A schema without `type` whose only constraints are numeric ones: a number, an integer when its bounds and
/// default are whole.
fn implied_number(schema: &openapiv3::Schema) -> Option<Ty> {
    let openapiv3::SchemaKind::Any(any) = &schema.schema_kind else {
        return None;
    };
    let numeric_only = openapiv3::AnySchema {
        minimum: any.minimum,
        maximum: any.maximum,
        multiple_of: any.multiple_of,
        exclusive_minimum: any.exclusive_minimum,
        exclusive_maximum: any.exclusive_maximum,
        ..Default::default()
    };
    let bounds = [any.minimum, any.maximum, any.multiple_of];
    let default = schema.schema_data.default.as_ref();
    if *any != numeric_only
        || bounds.iter().all(Option::is_none)
        || default.is_some_and(|d| !d.is_number())
    {
        return None;
    }
    let whole = bounds.iter().flatten().all(|b| b.fract() == 0.0)
        && default.is_none_or(|d| d.is_i64() || d.is_u64());
    Some(if whole { Ty::Integer } else { Ty::Number })
}

/// The constraint keywords a schema gives, whatever its form.
#[derive(Default)]
struct Keywords {
    pattern: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    multiple_of: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
}

fn keywords(schema: &openapiv3::Schema) -> Keywords {
    use openapiv3::{SchemaKind, Type};
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => Keywords {
            pattern: s.pattern.clone(),
            min_length: s.min_length,
            max_length: s.max_length,
            ..Keywords::default()
        },
        SchemaKind::Type(Type::Integer(i)) => Keywords {
            minimum: i.minimum.map(|v| v as f64),
            maximum: i.maximum.map(|v| v as f64),
            exclusive_minimum: i.exclusive_minimum,
            exclusive_maximum: i.exclusive_maximum,
            multiple_of: i.multiple_of.map(|v| v as f64),
            ..Keywords::default()
        },
        SchemaKind::Type(Type::Number(n)) => Keywords {
            minimum: n.minimum,
            maximum: n.maximum,
            exclusive_minimum: n.exclusive_minimum,
            exclusive_maximum: n.exclusive_maximum,
            multiple_of: n.multiple_of,
            ..Keywords::default()
        },
        SchemaKind::Any(a) => Keywords {
            pattern: a.pattern.clone(),
            minimum: a.minimum,
            maximum: a.maximum,
            exclusive_minimum: a.exclusive_minimum.unwrap_or(false),
            exclusive_maximum: a.exclusive_maximum.unwrap_or(false),
            multiple_of: a.multiple_of,
            min_length: a.min_length,
            max_length: a.max_length,
        },
        _ => Keywords::default(),
    }
}

/// A text's (or array's) `minLength` and `maxLength`.
type Lengths = (Option<u64>, Option<u64>);

/// `minLength`/`maxLength` of a value sent as text, checked before sending.
fn lengths(schema: &openapiv3::Schema, ty: &Ty) -> Lengths {
    let k = keywords(schema);
    match ty {
        Ty::String => (
            k.min_length.map(|n| n as u64),
            k.max_length.map(|n| n as u64),
        ),
        _ => (None, None),
    }
}

/// The constraints of a value of type `ty` checked before sending (bounds of numbers, `pattern` of text),
/// and the keywords that are not, each with why when it is not obvious. Lengths are [`lengths`]'s; an
/// enum's values are stricter than any constraint beside them.
fn constraints(schema: &openapiv3::Schema, ty: &Ty) -> (Constraints, Vec<String>) {
    let k = keywords(schema);
    let mut checked = Constraints::default();
    let mut unchecked = Vec::new();
    let bound = |value: Option<f64>, exclusive: bool| value.map(|value| Bound { value, exclusive });
    match ty {
        Ty::Integer | Ty::Number => {
            checked.minimum = bound(k.minimum, k.exclusive_minimum);
            checked.maximum = bound(k.maximum, k.exclusive_maximum);
            checked.multiple_of = k.multiple_of.filter(|m| *m > 0.0);
        }
        Ty::Named(_) => {}
        _ => unchecked.extend(
            [
                (k.minimum.is_some(), "`minimum`"),
                (k.maximum.is_some(), "`maximum`"),
                (k.multiple_of.is_some(), "`multipleOf`"),
            ]
            .into_iter()
            .filter(|(present, _)| *present)
            .map(|(_, keyword)| keyword.to_owned()),
        ),
    }
    if let Some(pattern) = k.pattern {
        match ty {
            Ty::String => match regex::Regex::new(&pattern) {
                Ok(_) => checked.pattern = Some(pattern),
                Err(err) => unchecked.push(format!(
                    "`pattern` (the `regex` crate cannot compile it: {})",
                    err.to_string().lines().last().unwrap_or_default().trim()
                )),
            },
            Ty::Named(_) => {}
            _ => unchecked.push("`pattern`".to_owned()),
        }
    }
    let has_length = k.min_length.is_some() || k.max_length.is_some();
    if has_length && !matches!(ty, Ty::String | Ty::Named(_)) {
        unchecked.push("`minLength`/`maxLength`".to_owned());
    }
    (checked, unchecked)
}

/// `application/json`, `application/problem+json`, `application/json; charset=utf-8`...
fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or(media).trim();
    essence == "application/json" || essence.ends_with("+json")
}

/// One Rust name per path position: where operations name the parameter after the same literal segment
/// differently (`/accounts/{account_identifier}` beside `/accounts/{account_id}`), the most common
/// spelling wins (ties: the shorter, then the first in order), so the API reads the same everywhere.
fn canonical_path_names<'t, 'p: 't>(
    paths: impl Iterator<Item = &'t PathTemplate<'p>>,
) -> BTreeMap<String, String> {
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for path in paths {
        for (name, key) in path.param_keys() {
            *counts
                .entry(key)
                .or_default()
                .entry(name.to_owned())
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter_map(|(literal, names)| {
            let best = names
                .iter()
                .max_by(|(a, ca), (b, cb)| ca.cmp(cb).then(b.len().cmp(&a.len())).then(b.cmp(a)))?;
            Some((literal, best.0.clone()))
        })
        .collect()
}

/// A call's parameters, lowered: its own arguments, the params struct's fields, and the body's field name.
#[derive(Default)]
struct LoweredParams {
    positional: Vec<Param>,
    params: Vec<Param>,
    body_ident: Option<String>,
}

/// Path parameters in path order (each must be declared), then query, header and cookie parameters in
/// spec order.
fn ordered_params<'d, 'a>(
    f: &Found<'a>,
    declared: &'d [Declared<'a>],
) -> Result<Vec<&'d Declared<'a>>> {
    let mut ordered: Vec<&Declared<'a>> = Vec::new();
    for segment in &f.template.segments {
        match *segment {
            PathSegment::Param(name) => {
                let p = declared
                    .iter()
                    .find(|d| d.data.name == name && d.location == ParamLocation::Path)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "paths.{}: path parameter `{{{name}}}` is not declared in `parameters`",
                            f.path
                        )
                    })?;
                ordered.push(p);
            }
            PathSegment::Literal(text) if segment.is_mixed() => {
                bail!("paths.{}: segment `{text}` mixes literal text and parameters, which is not supported", f.path);
            }
            PathSegment::Literal(_) => {}
        }
    }
    for location in [
        ParamLocation::Query,
        ParamLocation::Header,
        ParamLocation::Cookie,
    ] {
        ordered.extend(declared.iter().filter(|d| d.location == location));
    }
    Ok(ordered)
}

/// Resources whose calls were all left out go too, so no handle is left without calls.
fn keep_resources_with_calls(resources: &mut Vec<Resource>, operations: &[Operation]) {
    let used: BTreeSet<&[String]> = operations
        .iter()
        .flat_map(|op| (1..=op.resource.len()).map(|depth| &op.resource[..depth]))
        .collect();
    resources.retain(|r| used.contains(r.module.as_slice()));
    for r in resources {
        let mut child = r.module.clone();
        r.children.retain(|c| {
            child.push(c.clone());
            let keep = used.contains(child.as_slice());
            child.pop();
            keep
        });
    }
}

/// The URL's segments: literals, and each path parameter as the argument or params field it was lowered
/// to. `/things/` is another URL than `/things`: a trailing slash is kept.
fn url_segments(f: &Found, positional: &[Param], params: &[Param]) -> Result<Vec<Segment>> {
    let undeclared = |name: &str| {
        anyhow::anyhow!(
            "paths.{}: path parameter `{{{name}}}` is not declared",
            f.path
        )
    };
    let positional_names: Vec<&str> = f.template.positional().collect();
    let mut segments = Vec::with_capacity(f.template.segments.len() + 1);
    for s in &f.template.segments {
        segments.push(match *s {
            PathSegment::Param(name) if positional_names.contains(&name) => Segment::Positional(
                positional
                    .iter()
                    .position(|p| p.wire == name)
                    .ok_or_else(|| undeclared(name))?,
            ),
            PathSegment::Param(name) => Segment::Param(
                params
                    .iter()
                    .position(|p| p.wire == name && p.location == ParamLocation::Path)
                    .ok_or_else(|| undeclared(name))?,
            ),
            PathSegment::Literal(text) => Segment::Literal(text.to_owned()),
        });
    }
    if f.template.trailing_slash {
        segments.push(Segment::Literal(String::new()));
    }
    Ok(segments)
}

/// `x-api-token-group`: the API token permissions that allow the call.
fn permissions(op: &openapiv3::Operation) -> Vec<String> {
    op.extensions
        .get("x-api-token-group")
        .and_then(|v| v.as_array())
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(c) => (200..300).contains(c),
        StatusCode::Range(r) => *r == 2,
    }
}

fn status_text(code: &StatusCode) -> String {
    match code {
        StatusCode::Code(c) => c.to_string(),
        StatusCode::Range(r) => format!("{r}XX"),
    }
}
