//! Strict JSON parsing into a small document that borrows from the request body.
//!
//! serde_json's own `Value` silently keeps the last of two duplicate keys and allocates a map
//! and a string per member; the mock must refuse duplicates (a client that sends two `name`s
//! has a bug worth seeing) and parse a create body cheaply. So the body is read once into
//! [`Json`]: objects keep their members in request order, strings borrow from the body unless
//! they contained escapes. Depth is bounded by serde_json's recursion limit (128), numbers out
//! of `f64` range, invalid UTF-8, lone surrogates and trailing bytes are refused by serde_json
//! itself, and none of its messages repeats the input.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value. `Debug` never prints string contents: a document can hold a card
/// number or an access token.
#[derive(Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// A JSON number as serde_json read it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// Why a body is not a usable JSON document; the message names the position, never the text.
#[derive(Debug)]
pub struct SyntaxError(String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a whole body: exactly one JSON value, optionally surrounded by whitespace.
pub fn parse(bytes: &[u8]) -> Result<Json<'_>, SyntaxError> {
    serde_json::from_slice(bytes).map_err(|e| SyntaxError(e.to_string()))
}

impl<'a> Json<'a> {
    /// The member `key` of an object; `None` for a missing member or a non-object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The JSON type's name, as field messages use it (`must be a string`).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

impl fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(_) => f.write_str("<number>"),
            Json::String(s) => write!(f, "<string of {} bytes>", s.len()),
            Json::Array(items) => f.debug_list().entries(items).finish(),
            Json::Object(members) => f
                .debug_map()
                .entries(members.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Objects up to this size are checked for duplicate keys by a linear scan; larger ones
/// switch to a hash set, so that a 1 MiB object of tiny members cannot cost quadratic time.
const LINEAR_DUPLICATE_SCAN: usize = 32;

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(Number::Unsigned(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(Number::Signed(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.is_finite() {
            Ok(Json::Number(Number::Float(v)))
        } else {
            Err(E::custom("number out of range"))
        }
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        let mut seen: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => members.iter().any(|(k, _)| *k == key),
            };
            if duplicate {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{}` in an object",
                    Printable(&key)
                )));
            }
            let value = map.next_value()?;
            members.push((key, value));
            if seen.is_none() && members.len() > LINEAR_DUPLICATE_SCAN {
                seen = Some(members.iter().map(|(k, _)| k.clone()).collect());
            }
        }
        Ok(Json::Object(members))
    }
}

/// An object key, borrowed when it had no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A key as an error message shows it: at most 64 characters, control characters escaped.
struct Printable<'a>(&'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == 64 {
                return f.write_str("…");
            }
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(Number::Unsigned(n)) => serializer.serialize_u64(*n),
            Json::Number(Number::Signed(n)) => serializer.serialize_i64(*n),
            Json::Number(Number::Float(n)) => serializer.serialize_f64(*n),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_request_order_and_strings_borrow() {
        let body = br#"{"b": "x", "a": [1, -2, 2.5, true, null]}"#;
        let doc = parse(body).unwrap();
        let Json::Object(members) = &doc else {
            panic!("not an object")
        };
        assert_eq!(members[0].0, "b");
        assert!(matches!(&members[0].1, Json::String(Cow::Borrowed("x"))));
        assert_eq!(
            doc.get("a"),
            Some(&Json::Array(vec![
                Json::Number(Number::Unsigned(1)),
                Json::Number(Number::Signed(-2)),
                Json::Number(Number::Float(2.5)),
                Json::Bool(true),
                Json::Null,
            ]))
        );
    }

    #[test]
    fn duplicate_keys_are_refused_in_small_and_large_objects() {
        assert!(parse(br#"{"a": 1, "a": 2}"#)
            .unwrap_err()
            .0
            .contains("duplicate key `a`"));
        let mut big = String::from("{");
        for i in 0..40 {
            big.push_str(&format!("\"k{i}\": {i},"));
        }
        big.push_str("\"k3\": 0}");
        assert!(parse(big.as_bytes())
            .unwrap_err()
            .0
            .contains("duplicate key `k3`"));
    }

    #[test]
    fn deep_nesting_trailing_bytes_and_bad_numbers_are_errors_not_panics() {
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .0
            .contains("recursion limit"));
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"{\"n\": 1e400}").is_err());
        assert!(parse(b"{\"n\": NaN}").is_err());
        assert!(parse(b"\"\\ud800\"").is_err());
        assert!(parse(b"\"\xff\"").is_err());
    }

    #[test]
    fn errors_name_the_position_but_not_the_input() {
        let err = parse(b"{\"card\": 4242424242424242x}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1 column"), "{err}");
        assert!(!err.contains("4242"), "{err}");
    }

    #[test]
    fn debug_output_hides_string_contents() {
        let doc = parse(br#"{"card_number": "4242424242424242"}"#).unwrap();
        let shown = format!("{doc:?}");
        assert!(!shown.contains("4242"), "{shown}");
    }
}
