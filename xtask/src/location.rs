//! Spec locations as JSON pointers (`#/components/schemas/lists_list/properties/id`): built one step at a
//! time, with each step's name escaped, and read back (unescaped) in one place.

/// Builds a JSON-pointer location one step deeper. Implemented for `str`, so any location (a `&str` or a
/// `String`) is extended the same way.
pub trait Location {
    /// The schema of property `name` of the object schema here.
    fn property(&self, name: &str) -> String;
    /// The schema of the items of the array schema here.
    fn item(&self) -> String;
    /// Member `key` of the object here (a keyword, a map key).
    fn member(&self, key: &str) -> String;
    /// Item `i` of the array here (a member of `allOf`, say).
    fn index(&self, i: usize) -> String;
}

impl Location for str {
    fn property(&self, name: &str) -> String {
        format!("{self}/properties/{}", escape(name))
    }

    fn item(&self) -> String {
        format!("{self}/items")
    }

    fn member(&self, key: &str) -> String {
        format!("{self}/{}", escape(key))
    }

    fn index(&self, i: usize) -> String {
        format!("{self}/{i}")
    }
}

/// The location of a component: `#/components/schemas/<name>`.
pub fn component(kind: &str, name: &str) -> String {
    format!("#/components/{kind}/{}", escape(name))
}

/// One JSON-pointer segment with `~` and `/` escaped (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// One JSON-pointer segment read back: `~1` is `/`, `~0` is `~` (in that order, as RFC 6901 says).
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_escape_their_names_and_unescape_reads_them_back() {
        let at = component("schemas", "a/b~c");
        assert_eq!(at, "#/components/schemas/a~1b~0c");
        assert_eq!(
            at.property("x/y").item(),
            "#/components/schemas/a~1b~0c/properties/x~1y/items"
        );
        assert_eq!(
            at.member("oneOf").member("0"),
            "#/components/schemas/a~1b~0c/oneOf/0"
        );
        assert_eq!(unescape("a~1b~0c"), "a/b~c");
        // `~01` is `~1` literally, not `/`.
        assert_eq!(unescape("~01"), "~1");
    }
}
