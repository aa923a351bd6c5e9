//! Stage 2: the OpenAPI document to the intermediate model in `ir`. Every error names the spec location
//! (`paths./x/{id}.get.responses.200` or a JSON pointer into components).

mod operation;
mod resource;
mod schema;
mod view;

use crate::ident::{Case, Scope};
use crate::ir::{Api, Ty, TypeDef, TypePath};
use anyhow::Result;
use openapiv3::OpenAPI;
use schema::Hint;
use std::collections::{BTreeMap, HashMap};

pub use schema::component_name;

pub struct Lowerer<'a> {
    doc: &'a OpenAPI,
    types: Vec<TypeDef>,
    /// Each component schema's type, once lowered (or while it is being lowered).
    components: HashMap<&'a str, Ty>,
    /// Named types made for schemas written in place, by location, so a shared location yields one type.
    inline_types: HashMap<String, Ty>,
    /// Type names taken in each module.
    scopes: BTreeMap<Vec<String>, Scope>,
    warnings: Vec<String>,
}

pub fn lower(doc: &OpenAPI) -> Result<Api> {
    let mut lowerer = Lowerer {
        doc,
        types: Vec::new(),
        components: HashMap::new(),
        inline_types: HashMap::new(),
        scopes: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let (resources, operations) = lowerer.operations()?;
    Ok(Api {
        title: doc.info.title.clone(),
        description: doc.info.description.clone(),
        version: doc.info.version.clone(),
        default_base_url: doc.servers.first().map(server_url),
        types: lowerer.types,
        resources,
        operations,
        warnings: lowerer.warnings,
    })
}

impl Lowerer<'_> {
    fn claim_type(&mut self, hint: &Hint) -> TypePath {
        let scope = self.scopes.entry(hint.module.clone()).or_default();
        TypePath {
            module: hint.module.clone(),
            name: scope.claim(&hint.name, Case::Pascal),
        }
    }
}

/// The server URL with each `{variable}` replaced by its default.
fn server_url(server: &openapiv3::Server) -> String {
    let mut url = server.url.clone();
    for (name, variable) in server.variables.iter().flatten() {
        url = url.replace(&format!("{{{name}}}"), &variable.default);
    }
    url
}
