//! String enums generated from the spec: their impls are written once here, in [`string_enum!`], instead of
//! in every enum.

use serde::de::{Deserializer, Error, Visitor};
use std::fmt;

/// Defines `as_str()` (the value as sent), `Display` (the same text) and serde as that text for a string
/// enum. `open` enums keep a value this version does not know in their `Unknown(String)` variant; `closed`
/// ones (whose values the generator found complete, e.g. a union's tag) reject it as an unknown variant.
#[allow(unused_macros)] // a spec without string enums uses neither this nor `closed_wire_value`
macro_rules! string_enum {
    (open $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(value) => value,
                }
            }
        }
        $crate::runtime::string_enum!(@as_text $name);
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value =
                    <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Unknown(value),
                })
            }
        }
    };
    (closed $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &'static str {
                match *self {
                    $(Self::$variant => $wire,)*
                }
            }
        }
        $crate::runtime::string_enum!(@as_text $name);
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::runtime::closed_wire_value(
                    deserializer,
                    &[$($wire),*],
                    |text| match text {
                        $($wire => Some(Self::$variant),)*
                        _ => None,
                    },
                )
            }
        }
    };
    // Both kinds: `Display` and `Serialize` write `as_str()`.
    (@as_text $name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// Decodes a closed string enum from a string, borrowed where the format allows, with serde's unknown
/// variant error (naming the expected values) for anything else.
#[allow(dead_code)]
pub(crate) fn closed_wire_value<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    expected: &'static [&'static str],
    known: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    struct WireVisitor<T> {
        expected: &'static [&'static str],
        known: fn(&str) -> Option<T>,
    }
    impl<T> Visitor<'_> for WireVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "one of {:?}", self.expected)
        }
        fn visit_str<E: Error>(self, text: &str) -> Result<T, E> {
            (self.known)(text).ok_or_else(|| E::unknown_variant(text, self.expected))
        }
    }
    deserializer.deserialize_str(WireVisitor { expected, known })
}

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Closed {
        Block,
        Log,
    }
    string_enum!(closed Closed { Block = "block", Log = "log" });

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Open {
        Block,
        Unknown(String),
    }
    string_enum!(open Open { Block = "block" });

    #[test]
    fn closed_enums_read_and_write_their_wire_text_and_reject_others() {
        assert_eq!(
            serde_json::from_str::<Closed>("\"log\"").unwrap(),
            Closed::Log
        );
        assert_eq!(serde_json::to_string(&Closed::Block).unwrap(), "\"block\"");
        assert_eq!(Closed::Log.to_string(), "log");
        let value = serde_json::json!("log");
        assert_eq!(
            serde_json::from_value::<Closed>(value).unwrap(),
            Closed::Log
        );
        let err = serde_json::from_str::<Closed>("\"skip\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `skip`, expected `block` or `log`"),
            "{err}"
        );
        assert!(serde_json::from_str::<Closed>("7").is_err());
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        assert_eq!(
            serde_json::from_str::<Open>("\"block\"").unwrap(),
            Open::Block
        );
        let odd = serde_json::from_str::<Open>("\"b\\u006cock2\"").unwrap();
        assert_eq!(odd, Open::Unknown("block2".into()));
        assert_eq!(odd.as_str(), "block2");
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"block2\"");
    }
}
