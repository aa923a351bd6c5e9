//! A see-through wrapper around a serde_json deserializer that notes, while a variant is decoded from a union's
//! object, what the union's deciding keys hold: the tag's value, or which markers are present and not null.
//! The decode itself is unchanged: every call is forwarded to serde_json, and only the top-level object's keys
//! and the deciding keys' values are looked at on the way.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

/// How a union picks its variant from an object.
#[derive(Clone, Copy)]
pub(crate) enum UnionRule {
    /// By the string value of this key, mapped to the variant's index (`None`: no variant has that tag).
    Tag(&'static str, fn(&str) -> Option<usize>),
    /// By which one of these keys (one per variant, in variant order) is present and not null.
    Markers(&'static [&'static str]),
}

/// What the deciding keys held, noted as the object went by.
pub(crate) struct Seen {
    rule: UnionRule,
    /// The variant being tried: a deciding value that rules it out stops the decode at once.
    guess: Option<usize>,
    /// The deciding key just read (its index among the markers; 0 for the tag), if the current key is one.
    deciding: Option<usize>,
    /// Whether the key or value just read was seen as it went by; a key or value that was not leaves the
    /// outcome unknown (`blind`), which sends the caller to its careful path.
    heard: bool,
    blind: bool,
    /// The tag's variant (the last tag given wins), or the one marker present, as the union's rules say.
    tag: Option<usize>,
    marker: Option<usize>,
    ambiguous: bool,
    /// Whether a top-level object went by at all.
    object: bool,
}

impl Seen {
    pub(crate) fn new(rule: UnionRule, guess: Option<usize>) -> Self {
        Seen {
            rule,
            guess,
            deciding: None,
            heard: false,
            blind: false,
            tag: None,
            marker: None,
            ambiguous: false,
            object: false,
        }
    }

    /// The variant the union's rule picks for the object that went by; `None` when it picks none, when no
    /// object went by, or when part of it went by unseen.
    pub(crate) fn decided(&self) -> Option<usize> {
        if self.blind || !self.object {
            return None;
        }
        match self.rule {
            UnionRule::Tag(..) => self.tag,
            UnionRule::Markers(_) => self.marker.filter(|_| !self.ambiguous),
        }
    }

    fn key(&mut self, key: &str) {
        self.heard = true;
        self.deciding = match self.rule {
            UnionRule::Tag(tag, _) => (key == tag).then_some(0),
            UnionRule::Markers(markers) => markers.iter().position(|m| *m == key),
        };
    }

    fn value(&mut self, value: Heard<'_>) {
        self.heard = true;
        match self.rule {
            UnionRule::Tag(_, choose) => {
                self.tag = match value {
                    Heard::Str(tag) => choose(tag),
                    Heard::Null | Heard::Other => None,
                };
            }
            UnionRule::Markers(_) => {
                if let (Some(index), Heard::Str(_) | Heard::Other) = (self.deciding, value) {
                    self.ambiguous |= self.marker.is_some_and(|m| m != index);
                    self.marker = Some(index);
                }
            }
        }
    }

    /// Whether what has been seen so far already rules the guess out.
    fn ruled_out(&self) -> bool {
        let Some(guess) = self.guess else {
            return false;
        };
        match self.rule {
            UnionRule::Tag(..) => self.tag != Some(guess),
            UnionRule::Markers(_) => self.ambiguous || self.marker.is_some_and(|m| m != guess),
        }
    }
}

/// A value as the notes need it.
#[derive(Clone, Copy)]
enum Heard<'a> {
    Str(&'a str),
    Null,
    Other,
}

/// Where in the union's value a wrapped part sits.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// The union's value itself.
    Top,
    /// A key of the top-level object.
    Key,
    /// The value of a deciding key.
    Value,
}

/// Wraps a deserializer, visitor, map or seed of serde's, forwarding every call and noting what goes by.
pub(crate) struct Tap<'s, X> {
    inner: X,
    seen: &'s mut Seen,
    role: Role,
}

impl<'s, X> Tap<'s, X> {
    /// The union's value, read through `inner`.
    pub(crate) fn top(inner: X, seen: &'s mut Seen) -> Self {
        Tap {
            inner,
            seen,
            role: Role::Top,
        }
    }

    fn note(&mut self, heard: Heard<'_>) {
        match self.role {
            Role::Top => {}
            Role::Key => {
                if let Heard::Str(key) = heard {
                    self.seen.key(key);
                }
            }
            Role::Value => self.seen.value(heard),
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
            let Tap { inner, seen, role } = self;
            inner.$method($($arg,)* Tap { inner: visitor, seen, role })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tap<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16(); deserialize_u32();
        deserialize_u64(); deserialize_u128(); deserialize_f32(); deserialize_f64(); deserialize_char();
        deserialize_str(); deserialize_string(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str); deserialize_seq(); deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize); deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]); deserialize_identifier();
    }

    /// serde_json skips an ignored value without showing it; what is looked at is read instead.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty) => $heard:ident;)*) => {$(
        fn $method<E: serde::de::Error>(mut self, v: $ty) -> Result<Self::Value, E> {
            self.note($heard(&v));
            self.inner.$method(v)
        }
    )*};
}

fn text(value: &str) -> Heard<'_> {
    Heard::Str(value)
}

fn other<T: ?Sized>(_: &T) -> Heard<'static> {
    Heard::Other
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Tap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool) => other;
        visit_i8(i8) => other;
        visit_i16(i16) => other;
        visit_i32(i32) => other;
        visit_i64(i64) => other;
        visit_i128(i128) => other;
        visit_u8(u8) => other;
        visit_u16(u16) => other;
        visit_u32(u32) => other;
        visit_u64(u64) => other;
        visit_u128(u128) => other;
        visit_f32(f32) => other;
        visit_f64(f64) => other;
        visit_char(char) => other;
        visit_str(&str) => text;
        visit_borrowed_str(&'de str) => text;
        visit_string(String) => text;
        visit_bytes(&[u8]) => other;
        visit_borrowed_bytes(&'de [u8]) => other;
        visit_byte_buf(Vec<u8>) => other;
    }

    fn visit_none<E: serde::de::Error>(mut self) -> Result<Self::Value, E> {
        self.note(Heard::Null);
        self.inner.visit_none()
    }

    fn visit_unit<E: serde::de::Error>(mut self) -> Result<Self::Value, E> {
        self.note(Heard::Null);
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.role {
            // What is inside is the value to note.
            Role::Value => {
                let Tap { inner, seen, role } = self;
                inner.visit_some(Tap {
                    inner: deserializer,
                    seen,
                    role,
                })
            }
            Role::Top | Role::Key => self.inner.visit_some(deserializer),
        }
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        match self.role {
            Role::Value => {
                let Tap { inner, seen, role } = self;
                inner.visit_newtype_struct(Tap {
                    inner: deserializer,
                    seen,
                    role,
                })
            }
            Role::Top | Role::Key => self.inner.visit_newtype_struct(deserializer),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<Self::Value, A::Error> {
        self.note(Heard::Other);
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<Self::Value, A::Error> {
        match self.role {
            Role::Top if !self.seen.object => {
                self.seen.object = true;
                let Tap { inner, seen, role } = self;
                inner.visit_map(Tap {
                    inner: map,
                    seen,
                    role,
                })
            }
            _ => {
                self.note(Heard::Other);
                self.inner.visit_map(map)
            }
        }
    }

    fn visit_enum<A: EnumAccess<'de>>(mut self, data: A) -> Result<Self::Value, A::Error> {
        self.note(Heard::Other);
        self.inner.visit_enum(data)
    }
}

/// The top-level object: every key is noted, and so is the value of every deciding key.
impl<'de, A: MapAccess<'de>> MapAccess<'de> for Tap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.seen.heard = false;
        self.seen.deciding = None;
        let key = self.inner.next_key_seed(Tap {
            inner: seed,
            seen: &mut *self.seen,
            role: Role::Key,
        })?;
        if key.is_some() && !self.seen.heard {
            self.seen.blind = true;
        }
        Ok(key)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        if self.seen.deciding.is_none() {
            return self.inner.next_value_seed(seed);
        }
        self.seen.heard = false;
        let value = self.inner.next_value_seed(Tap {
            inner: seed,
            seen: &mut *self.seen,
            role: Role::Value,
        })?;
        if !self.seen.heard {
            self.seen.blind = true;
        }
        if self.seen.ruled_out() {
            return Err(serde::de::Error::custom("another variant"));
        }
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Tap<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let Tap { inner, seen, role } = self;
        inner.deserialize(Tap {
            inner: deserializer,
            seen,
            role,
        })
    }
}
