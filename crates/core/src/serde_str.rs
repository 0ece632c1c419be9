//! Private helpers: (de)serialising domain values as strings through `Display` and `FromStr`.
//!
//! Deserialising always goes through the type's parser, so a value read from JSON is held to the
//! same rules as one read from a CSV cell or a form.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// A serde visitor that accepts a string and parses it with `T::from_str`.
pub(crate) struct FromStrVisitor<T> {
    expecting: &'static str,
    marker: PhantomData<T>,
}

impl<T> FromStrVisitor<T> {
    /// A visitor whose "invalid type" message says it expected `expecting`.
    pub(crate) const fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            marker: PhantomData,
        }
    }
}

impl<T> serde::de::Visitor<'_> for FromStrVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

/// Implements `Deserialize` for a `FromStr` type (reading a string).
macro_rules! deserialize_from_str {
    ($ty:ty, $expecting:literal) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str($crate::serde_str::FromStrVisitor::<$ty>::new($expecting))
            }
        }
    };
}

/// Implements `Serialize` (through `Display`) and `Deserialize` (through `FromStr`) as a string.
macro_rules! serde_as_str {
    ($ty:ty, $expecting:literal) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        $crate::serde_str::deserialize_from_str!($ty, $expecting);

        // The API's OpenAPI document: written as text, so a string.
        impl ::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                "String".into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({"type": "string"})
            }
        }
    };
}

/// For a value written as text with a `parse` constructor: `FromStr`, `TryFrom<String>` (how the store
/// reads it) and serde, all through `$ty::parse`, so every way in holds it to the same rules.
macro_rules! parsed_from_text {
    ($ty:ident, $err:ty, $expecting:literal) => {
        impl ::std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $err;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $ty::parse(&s)
            }
        }

        $crate::serde_str::serde_as_str!($ty, $expecting);
    };
}

/// `Display` as the value's `as_str` (or the method named).
macro_rules! display_as_str {
    ($ty:ty) => {
        $crate::serde_str::display_as_str!($ty, as_str);
    };
    ($ty:ty, $method:ident) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.$method())
            }
        }
    };
}

pub(crate) use deserialize_from_str;
pub(crate) use display_as_str;
pub(crate) use parsed_from_text;
pub(crate) use serde_as_str;
