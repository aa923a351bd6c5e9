//! Stage 2: the OpenAPI document to the intermediate model in `ir`. Every error names the spec location
//! (`paths./x/{id}.get.responses.200` or a JSON pointer into components).

mod accept;
mod cycles;
mod dedupe;
mod derived;
pub mod features;
mod names;
mod operation;
mod path_template;
mod resource;
mod schema;
mod type_table;
mod usage_docs;
mod view;
mod workflow;

use crate::ident::Case;
use crate::ir::{Api, Ty, TypePath};
use anyhow::Result;
use openapiv3::{OpenAPI, ReferenceOr, Schema};
use schema::{Direction, Hint};
use std::collections::{BTreeMap, HashMap};
use type_table::TypeTable;
use typed_arena::Arena;

pub use schema::component_name;

pub use type_table::PRELUDE_NAMES;

pub struct Lowerer<'a> {
    doc: &'a OpenAPI,
    /// Schemas lowering builds itself (regrouped union members), kept for as long as the document's.
    built: &'a Arena<Schema>,
    /// Member lists lowering builds itself, likewise.
    built_members: &'a Arena<Vec<ReferenceOr<Schema>>>,
    /// The types defined so far, with their index and the names taken in each module.
    table: TypeTable,
    /// Each component schema's type, once lowered (or while it is being lowered).
    components: HashMap<&'a str, Ty>,
    /// Request-body versions of components that have `readOnly` properties (which are left out).
    input_components: HashMap<&'a str, Ty>,
    /// Whether a `readOnly` property is reachable from the schema at a location.
    read_only_cache: HashMap<String, bool>,
    /// Named types made for schemas written in place, by location, so a shared location yields one type.
    inline_types: HashMap<String, Ty>,
    /// Why each operation that could not be generated was left out.
    left_out: Vec<anyhow::Error>,
    warnings: Vec<String>,
}

pub fn lower(doc: &OpenAPI) -> Result<Api> {
    let (built, built_members) = (Arena::new(), Arena::new());
    let mut lowerer = Lowerer {
        doc,
        built: &built,
        built_members: &built_members,
        table: TypeTable::default(),
        components: HashMap::new(),
        input_components: HashMap::new(),
        read_only_cache: HashMap::new(),
        inline_types: HashMap::new(),
        left_out: Vec::new(),
        warnings: Vec::new(),
    };
    let (resources, mut operations) = lowerer.operations()?;
    lowerer.all_components()?;
    // An operation that failed half-way may have named a type it never defined; then its error stands.
    if let Some(missing) = missing_type(&lowerer, &operations) {
        let mut left_out = lowerer.left_out;
        return Err(if left_out.is_empty() {
            anyhow::anyhow!("internal: type {missing:?} is used but never defined")
        } else {
            left_out.swap_remove(0)
        });
    }
    let unlinked = workflow::link_started(&mut operations, |path| lowerer.table.find(path));
    lowerer.warnings.extend(unlinked);
    cycles::box_cycles(&mut lowerer.table.types);
    let mut api = Api {
        title: doc.info.title.clone(),
        description: doc.info.description.clone(),
        version: doc.info.version.clone(),
        default_base_url: doc.servers.first().map(server_url),
        type_index: crate::ir::index_types(&lowerer.table.types),
        types: lowerer.table.types,
        resources,
        operations,
        warnings: lowerer.warnings,
        features: BTreeMap::new(),
        security_sets: Vec::new(),
    };
    api.features = features::assign(&mut api);
    names::by_role(&mut api);
    usage_docs::fill(&mut api);
    dedupe::merge(&mut api);
    derived::fill(&mut api);
    Ok(api)
}

impl<'a> Lowerer<'a> {
    /// Every component schema gets its type, also those no operation reaches (their examples and users
    /// may need them); in document order, so the output does not depend on which operation came first.
    fn all_components(&mut self) -> Result<()> {
        let Some(components) = &self.doc.components else {
            return Ok(());
        };
        for (name, schema) in &components.schemas {
            let at = crate::location::component("schemas", name);
            match schema {
                openapiv3::ReferenceOr::Item(item) => {
                    self.lower_component(name, item, &at, Direction::Response)?;
                }
                openapiv3::ReferenceOr::Reference { reference } => {
                    let hint = Hint {
                        module: vec!["types".to_owned()],
                        name: crate::ident::ident(name, Case::Pascal),
                    };
                    self.lower(
                        schema::SchemaRef::Ref(reference),
                        &hint,
                        &at,
                        Direction::Response,
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// A type the model refers to but does not define, if there is one.
fn missing_type(lowerer: &Lowerer, operations: &[crate::ir::Operation]) -> Option<TypePath> {
    use crate::ir::{BodyMedia, Response, TypeKind};
    let mut used: Vec<&Ty> = Vec::new();
    for def in &lowerer.table.types {
        match &def.kind {
            TypeKind::Struct { fields, extra } => {
                used.extend(fields.iter().map(|f| &f.ty));
                used.extend(extra);
            }
            TypeKind::Union(union) => used.extend(union.variants.iter().map(|v| &v.ty)),
            TypeKind::Alias(ty) => used.push(ty),
            TypeKind::StringEnum { .. } => {}
        }
    }
    for op in operations {
        used.extend(op.positional.iter().chain(&op.params).map(|p| &p.ty));
        match op.body.as_ref().map(|b| &b.media) {
            Some(BodyMedia::Json(ty)) => used.push(ty),
            Some(BodyMedia::Multipart { parts, .. }) => used.extend(parts.iter().map(|p| &p.ty)),
            _ => {}
        }
        if let Response::Enveloped(ty)
        | Response::EnvelopedNullable(ty)
        | Response::EnvelopedWhole(ty)
        | Response::Json(ty) = &op.response
        {
            used.push(ty);
        }
    }
    while let Some(ty) = used.pop() {
        match ty {
            Ty::Named(path) if lowerer.table.find(path).is_none() => return Some(path.clone()),
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => used.push(inner),
            _ => {}
        }
    }
    None
}

/// The server URL with each `{variable}` replaced by its default.
fn server_url(server: &openapiv3::Server) -> String {
    let mut url = server.url.clone();
    for (name, variable) in server.variables.iter().flatten() {
        url = url.replace(&format!("{{{name}}}"), &variable.default);
    }
    url
}
