//! The types lowering has defined so far: the definitions in order, where each one is, and the names
//! taken in each module.

use super::schema::Hint;
use crate::ident::{Case, Scope};
use crate::ir::{TypeDef, TypePath};
use std::collections::{BTreeMap, HashMap};

/// Names from Rust's prelude that generated code writes bare (`Option<String>`, not
/// `::std::option::Option<::std::string::String>`): no generated type may take them, or it would shadow them
/// in its module. Short paths keep the generated crate small and quick to print and compile.
pub const PRELUDE_NAMES: &[&str] = &[
    "Box", "Option", "Result", "String", "ToOwned", "ToString", "Vec",
];

#[derive(Default)]
pub struct TypeTable {
    pub types: Vec<TypeDef>,
    /// Where each type is in `types`, so lookups do not scan (specs have thousands of types).
    index: HashMap<TypePath, usize>,
    /// Type names taken in each module.
    scopes: BTreeMap<Vec<String>, Scope>,
}

impl TypeTable {
    pub fn add(&mut self, def: TypeDef) {
        self.index.insert(def.path.clone(), self.types.len());
        self.types.push(def);
    }

    pub fn find(&self, path: &TypePath) -> Option<&TypeDef> {
        self.index.get(path).and_then(|&i| self.types.get(i))
    }

    pub fn find_mut(&mut self, path: &TypePath) -> Option<&mut TypeDef> {
        let i = *self.index.get(path)?;
        self.types.get_mut(i)
    }

    /// A free name for a new type in the hint's module, after the hint's name.
    pub fn claim(&mut self, hint: &Hint) -> TypePath {
        let scope = self
            .scopes
            .entry(hint.module.clone())
            .or_insert_with(|| Scope::with_reserved(PRELUDE_NAMES));
        // Inline types are named after their whole path of parents, which can grow long.
        let name =
            crate::ident::shorten(hint.name.clone(), 2 * crate::ident::MAX_IDENT, Case::Pascal);
        TypePath {
            module: hint.module.clone(),
            name: scope.claim(&name, Case::Pascal),
        }
    }
}
