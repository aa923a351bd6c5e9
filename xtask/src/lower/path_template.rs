//! A path template (`/accounts/{account_id}/rules/lists/{list_id}`) read once into its segments, for
//! placement, parameter order, Rust names and the URL segments of a call.

/// One `/`-separated segment of a path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSegment<'p> {
    Literal(&'p str),
    /// `{name}`: a path parameter.
    Param(&'p str),
}

impl PathSegment<'_> {
    /// Literal text with a brace in it (`v{version}`): part literal, part parameter.
    pub fn is_mixed(&self) -> bool {
        matches!(self, PathSegment::Literal(text) if text.contains('{') || text.contains('}'))
    }
}

#[derive(Debug, Clone)]
pub struct PathTemplate<'p> {
    /// The segments, empty ones (`//`, a leading or trailing `/`) left out.
    pub segments: Vec<PathSegment<'p>>,
    /// The template ends with `/` (`/things/` is another URL than `/things`).
    pub trailing_slash: bool,
}

impl<'p> PathTemplate<'p> {
    pub fn parse(path: &'p str) -> Self {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => PathSegment::Param(name),
                    None => PathSegment::Literal(segment),
                },
            )
            .collect();
        PathTemplate {
            segments,
            trailing_slash: path.len() > 1 && path.ends_with('/'),
        }
    }

    /// The scope parameter: a first literal followed by a parameter (`/accounts/{account_id}`, `/zones/{id}`).
    pub fn scope(&self) -> Option<&'p str> {
        match self.segments.as_slice() {
            [PathSegment::Literal(_), PathSegment::Param(name), ..] => Some(name),
            _ => None,
        }
    }

    /// The segments after the scope (all of them when there is none).
    pub fn below_scope(&self) -> &[PathSegment<'p>] {
        match self.scope() {
            Some(_) => &self.segments[2..],
            None => &self.segments,
        }
    }

    /// The parameter names, in path order.
    pub fn params(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            PathSegment::Param(name) => Some(*name),
            PathSegment::Literal(_) => None,
        })
    }

    /// The parameters after the scope, in path order: a call's own arguments.
    pub fn positional(&self) -> impl Iterator<Item = &'p str> + '_ {
        let scope = self.scope();
        self.params().filter(move |name| Some(*name) != scope)
    }

    /// The literal segments, in path order.
    pub fn literals(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            PathSegment::Literal(text) => Some(*text),
            PathSegment::Param(_) => None,
        })
    }

    /// Each parameter with the position its Rust name is chosen for: the literal segment before it, and
    /// for parameters in a row how many come between (`/settings/{a}/{b}`: `settings`, then `settings+1`).
    pub fn param_keys(&self) -> Vec<(&'p str, String)> {
        let (mut previous, mut run) = ("", 0);
        let mut keys = Vec::new();
        for segment in &self.segments {
            match *segment {
                PathSegment::Param(name) => {
                    keys.push((
                        name,
                        match run {
                            0 => previous.to_owned(),
                            _ => format!("{previous}+{run}"),
                        },
                    ));
                    run += 1;
                }
                PathSegment::Literal(text) => (previous, run) = (text, 0),
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_template_reads_into_literals_parameters_and_scope() {
        let path = PathTemplate::parse("/accounts/{account_id}/rules/lists/{list_id}/items/");
        assert_eq!(path.scope(), Some("account_id"));
        assert_eq!(path.params().collect::<Vec<_>>(), ["account_id", "list_id"]);
        assert_eq!(
            path.below_scope(),
            [
                PathSegment::Literal("rules"),
                PathSegment::Literal("lists"),
                PathSegment::Param("list_id"),
                PathSegment::Literal("items"),
            ]
        );
        assert!(path.trailing_slash);
        assert!(!path.segments.iter().any(PathSegment::is_mixed));
    }

    #[test]
    fn parameters_in_a_row_are_keyed_by_the_literal_before_them() {
        let path = PathTemplate::parse("/{first}/settings/{a}/{b}");
        assert_eq!(path.scope(), None);
        assert_eq!(
            path.param_keys(),
            [
                ("first", String::new()),
                ("a", "settings".to_owned()),
                ("b", "settings+1".to_owned())
            ]
        );
    }

    #[test]
    fn a_segment_mixing_text_and_a_parameter_is_found() {
        let path = PathTemplate::parse("/api/v{version}/things");
        assert!(path.segments[1].is_mixed());
        assert!(!path.trailing_slash);
    }
}
