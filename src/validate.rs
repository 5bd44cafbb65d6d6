//! The tools every validation uses: a collector of field problems and typed readers of JSON
//! members that tell absent, `null`, a value and a wrong type apart.
//!
//! Endpoints never stop at the first problem: they read every field, each reader records what
//! is wrong under the field's path, and the request fails once with all of them (CONTRACT
//! §5.3). Wrong JSON types are field problems like any other.

use crate::error::{ApiError, Details};
use crate::json::Json;

/// Field problems of one request, in the order they were found, grouped by path.
#[derive(Debug, Default)]
pub struct Problems {
    details: Details,
}

impl Problems {
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let message = message.into();
        match self.details.iter_mut().find(|(p, _)| *p == path) {
            Some((_, messages)) => messages.push(message),
            None => self.details.push((path, vec![message])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.details.is_empty()
    }

    /// `Ok(value)` when nothing was found wrong, else the 400 with every problem.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.details.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.details))
        }
    }
}

/// What a request said about one field.
#[derive(Clone, Debug, PartialEq)]
pub enum Read<T> {
    /// The member is not there.
    Absent,
    /// The member is `null`.
    Null,
    /// The member holds a valid value.
    Value(T),
    /// The member is there but wrong; the problem is already recorded.
    Invalid,
}

impl<T> Read<T> {
    /// The value when one was given; absent, null and invalid all read as `None`.
    pub fn value(self) -> Option<T> {
        match self {
            Read::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, or the same absence as a read of another type, so that a reader can take
    /// a member apart and return early: `let x = match read.given() { Ok(x) => x, Err(r) => return r }`.
    pub fn given<U>(self) -> Result<T, Read<U>> {
        match self {
            Read::Value(v) => Ok(v),
            Read::Absent => Err(Read::Absent),
            Read::Null => Err(Read::Null),
            Read::Invalid => Err(Read::Invalid),
        }
    }

    /// As [`Read::check`], for member `name` of `obj`, whose path is built only on failure.
    pub fn check_member(
        self,
        problems: &mut Problems,
        obj: &Object<'_, '_>,
        name: &str,
        ok: impl FnOnce(&T) -> bool,
        message: impl FnOnce(&str) -> String,
    ) -> Read<T> {
        match self {
            Read::Value(v) if !ok(&v) => {
                let path = obj.path(name);
                let text = message(&path);
                problems.add(path, text);
                Read::Invalid
            }
            other => other,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        match self {
            Read::Absent => Read::Absent,
            Read::Null => Read::Null,
            Read::Value(v) => Read::Value(f(v)),
            Read::Invalid => Read::Invalid,
        }
    }

    /// Checks a given value; a failed check records `message` under `path` and reads as invalid.
    pub fn check(
        self,
        problems: &mut Problems,
        path: &str,
        ok: impl FnOnce(&T) -> bool,
        message: impl FnOnce() -> String,
    ) -> Read<T> {
        match self {
            Read::Value(v) if !ok(&v) => {
                problems.add(path, message());
                Read::Invalid
            }
            other => other,
        }
    }
}

/// The path of an object in the body (`brand.compliance`), which its fields' paths continue.
/// Every nested object of a valid body has one and none is ever read, so a path that fits is
/// kept inline, without an allocation; only a problem writes it out as a `String`.
#[derive(Clone)]
enum Prefix {
    /// The top level (`""`), or one of its members (`brand`).
    Static(&'static str),
    /// Whole UTF-8 pieces, so always UTF-8.
    Inline {
        len: u8,
        bytes: [u8; INLINE_PREFIX],
    },
    Long(String),
}

/// Room for the deepest paths of a create (`brand.compliance.destinationCountries[99]`).
const INLINE_PREFIX: usize = 54;

impl Prefix {
    /// The pieces one after the other.
    fn join(pieces: &[&[u8]]) -> Prefix {
        let len: usize = pieces.iter().map(|piece| piece.len()).sum();
        if len > INLINE_PREFIX {
            return Prefix::Long(text_of(pieces));
        }
        let mut bytes = [0; INLINE_PREFIX];
        let mut at = 0;
        for piece in pieces {
            bytes[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        Prefix::Inline {
            len: len as u8,
            bytes,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Prefix::Static(text) => text.as_bytes(),
            Prefix::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Prefix::Long(text) => text.as_bytes(),
        }
    }
}

/// Pieces of a path, one after the other, as text. Each piece is a whole `str` (or ASCII), so
/// the text is always UTF-8; a lossy conversion stands in for a panic all the same.
fn text_of(pieces: &[&[u8]]) -> String {
    String::from_utf8(pieces.concat())
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// An object's members, read by name, with the paths of its fields built from a prefix.
#[derive(Clone)]
pub struct Object<'d, 'a> {
    json: &'d Json<'a>,
    prefix: Prefix,
}

impl<'d, 'a> Object<'d, 'a> {
    /// The top level of a body; paths are the bare member names.
    pub fn root(json: &'d Json<'a>) -> Object<'d, 'a> {
        Object {
            json,
            prefix: Prefix::Static(""),
        }
    }

    /// The full path of member `name`.
    pub fn path(&self, name: &str) -> String {
        text_of(&self.member_pieces(name))
    }

    /// The pieces of member `name`'s path: this object's path and `.` before the name, except
    /// at the top level.
    fn member_pieces<'p>(&'p self, name: &'p str) -> [&'p [u8]; 3] {
        let prefix = self.prefix.as_bytes();
        let dot: &[u8] = if prefix.is_empty() { b"" } else { b"." };
        [prefix, dot, name.as_bytes()]
    }

    /// This object's own path (an array item's: `brand.compliance.destinationCountries[0]`).
    pub fn own_path(&self) -> String {
        text_of(&[self.prefix.as_bytes()])
    }

    pub fn member(&self, name: &str) -> Option<&'d Json<'a>> {
        self.json.get(name)
    }

    fn read<T>(
        &self,
        problems: &mut Problems,
        name: &str,
        expected: &str,
        pick: impl FnOnce(&'d Json<'a>) -> Option<T>,
    ) -> Read<T> {
        match self.member(name) {
            None => Read::Absent,
            Some(Json::Null) => Read::Null,
            Some(value) => match pick(value) {
                Some(v) => Read::Value(v),
                None => {
                    let path = self.path(name);
                    problems.add(&path, format!("{path} must be {expected}"));
                    Read::Invalid
                }
            },
        }
    }

    pub fn string(&self, problems: &mut Problems, name: &str) -> Read<&'d str> {
        self.read(problems, name, "a string", |v| match v {
            Json::String(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    pub fn bool(&self, problems: &mut Problems, name: &str) -> Read<bool> {
        self.read(problems, name, "a boolean", Json::as_bool)
    }

    pub fn array(&self, problems: &mut Problems, name: &str) -> Read<&'d [Json<'a>]> {
        self.read(problems, name, "an array", |v| match v {
            Json::Array(items) => Some(items.as_slice()),
            _ => None,
        })
    }

    /// A nested object; its fields' paths continue from this one's (`brand.contact.name`).
    pub fn object(&self, problems: &mut Problems, name: &'static str) -> Read<Object<'d, 'a>> {
        self.read(problems, name, "an object", |v| match v {
            Json::Object(_) => Some(Object {
                json: v,
                prefix: match self.prefix.as_bytes() {
                    b"" => Prefix::Static(name),
                    _ => Prefix::join(&self.member_pieces(name)),
                },
            }),
            _ => None,
        })
    }

    /// A string that must be there and not blank; `missing` is the message otherwise.
    pub fn required_string(
        &self,
        problems: &mut Problems,
        name: &str,
        missing: impl FnOnce(&str) -> String,
    ) -> Option<&'d str> {
        match self.string(problems, name) {
            Read::Value(s) if is_given(s) => Some(s),
            Read::Invalid => None,
            _ => {
                let path = self.path(name);
                let message = missing(&path);
                problems.add(path, message);
                None
            }
        }
    }
}

impl<'d, 'a> Object<'d, 'a> {
    /// Item `index` of this object's array `name`, read like an object: its fields' paths
    /// continue from `name[index]` (`brand.compliance.destinationCountries[0].id`).
    pub fn item(&self, name: &str, index: usize, json: &'d Json<'a>) -> Object<'d, 'a> {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = index;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let [prefix, dot, name] = self.member_pieces(name);
        Object {
            json,
            prefix: Prefix::join(&[prefix, dot, name, b"[", &digits[at..], b"]"]),
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.json, Json::Object(_))
    }
}

/// A required text is there only if it is not blank.
pub fn is_given(s: &str) -> bool {
    !s.trim().is_empty()
}

/// Characters, not bytes: limits such as "at most 100 characters" count what a person sees.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Whether `s` has whitespace or a control character anywhere. Text that is all ASCII (nearly
/// all of it) is checked byte by byte: there, either is a space, a byte under 0x20 or 0x7f.
fn has_space_or_control(s: &str) -> bool {
    if s.is_ascii() {
        s.bytes().any(|b| b == b' ' || b.is_ascii_control())
    } else {
        s.chars().any(|c| c.is_whitespace() || c.is_control())
    }
}

/// A practical address check: one `@`, a non-empty local part, a dotted domain, no spaces.
/// Byte by byte (`@` and `.` are ASCII): `str`'s pattern searches cost more to set up than
/// an address takes to read.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 || has_space_or_control(s) {
        return false;
    }
    let bytes = s.as_bytes();
    let Some(at) = bytes.iter().position(|&b| b == b'@') else {
        return false;
    };
    let domain = &bytes[at + 1..];
    if at == 0 || domain.first() == Some(&b'.') || domain.last() == Some(&b'.') {
        return false;
    }
    let mut dotted = false;
    let mut previous = 0;
    for &b in domain {
        if b == b'@' || (b == b'.' && previous == b'.') {
            return false;
        }
        dotted |= b == b'.';
        previous = b;
    }
    dotted
}

/// E.164: `+`, a non-zero digit, then 1–14 more digits.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An absolute `http` or `https` URL with a host and no whitespace.
pub fn is_http_url(s: &str) -> bool {
    let scheme = |name: &str| {
        s.as_bytes()
            .get(..name.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(name.as_bytes()))
    };
    let rest = if scheme("https://") {
        &s[8..]
    } else if scheme("http://") {
        &s[7..]
    } else {
        return false;
    };
    // Byte positions of ASCII delimiters, so the slices fall between characters.
    let host = match rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')) {
        Some(end) => &rest[..end],
        None => rest,
    };
    let host = match host.bytes().rposition(|b| b == b'@') {
        Some(at) => &host[at + 1..],
        None => host,
    };
    !host.is_empty() && !host.starts_with(':') && s.len() <= 2048 && !has_space_or_control(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn problems_group_messages_under_their_path_in_order() {
        let mut problems = Problems::default();
        problems.add("b", "one");
        problems.add("a", "two");
        problems.add("b", "three");
        let Err(ApiError::Validation(details)) = problems.finish(()) else {
            panic!("expected problems")
        };
        assert_eq!(
            details,
            vec![
                ("b".to_owned(), vec!["one".to_owned(), "three".to_owned()]),
                ("a".to_owned(), vec!["two".to_owned()]),
            ]
        );
    }

    #[test]
    fn readers_tell_absent_null_value_and_wrong_type_apart() {
        let doc = json::parse(br#"{"s": "x", "n": null, "b": 1, "o": {"x": true}}"#).unwrap();
        let root = Object::root(&doc);
        let mut problems = Problems::default();
        assert_eq!(root.string(&mut problems, "s"), Read::Value("x"));
        assert_eq!(root.string(&mut problems, "n"), Read::Null);
        assert_eq!(root.string(&mut problems, "missing"), Read::Absent);
        assert_eq!(root.bool(&mut problems, "b"), Read::Invalid);
        let Read::Value(o) = root.object(&mut problems, "o") else {
            panic!()
        };
        assert_eq!(o.bool(&mut problems, "x"), Read::Value(true));
        assert_eq!(o.string(&mut problems, "x"), Read::Invalid);
        let Err(ApiError::Validation(details)) = problems.finish(()) else {
            panic!()
        };
        assert_eq!(details[0], ("b".into(), vec!["b must be a boolean".into()]));
        assert_eq!(
            details[1],
            ("o.x".into(), vec!["o.x must be a string".into()])
        );
    }

    /// Nested objects and array items name their problems by their whole path, whether it is
    /// kept inline or, past the inline room, in a `String`.
    #[test]
    fn nested_paths_are_whole_short_or_long() {
        const LONG: &str = "a_member_name_long_enough_that_its_path_does_not_fit_inline";
        let text = format!(
            r#"{{"a": {{"b": {{"c": 1}}, "{LONG}": {{"d": 2}}, "list": [{{"e": 3}}, 4]}}}}"#
        );
        let doc = json::parse(text.as_bytes()).unwrap();
        let mut problems = Problems::default();
        let Read::Value(a) = Object::root(&doc).object(&mut problems, "a") else {
            panic!()
        };
        let Read::Value(b) = a.object(&mut problems, "b") else {
            panic!()
        };
        assert_eq!(b.string(&mut problems, "c"), Read::Invalid);
        let Read::Value(long) = a.object(&mut problems, LONG) else {
            panic!()
        };
        assert_eq!(long.string(&mut problems, "d"), Read::Invalid);
        let Read::Value(items) = a.array(&mut problems, "list") else {
            panic!()
        };
        let first = a.item("list", 0, &items[0]);
        assert_eq!(first.string(&mut problems, "e"), Read::Invalid);
        let second = a.item("list", 1, &items[1]);
        assert!(!second.is_object());
        assert_eq!(second.own_path(), "a.list[1]");
        let Err(ApiError::Validation(details)) = problems.finish(()) else {
            panic!()
        };
        let paths: Vec<&str> = details.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            ["a.b.c", format!("a.{LONG}.d").as_str(), "a.list[0].e"]
        );
    }

    #[test]
    fn formats_accept_and_refuse_what_they_should() {
        for good in [
            "billing@acmecorp.com",
            "a.b@c.d.e",
            "\u{e9}t\u{e9}@caf\u{e9}.fr",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a@.com",
            "a@b.com.",
            "a@b.c@d.com",
            "a@bcom",
            "a",
            "a@b",
            "@b.com",
            "a b@c.com",
            "a@b..com",
            "a@@b.com",
            "a\t@b.com",
            "a@b.com\u{7f}",
            "a\u{a0}b@c.com",
            "a@b\u{2003}c.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_e164("+12025551234"));
        for bad in ["12025551234", "+0123", "+1", "+1202555123456789", "+1-202"] {
            assert!(!is_e164(bad), "{bad}");
        }
        assert!(is_http_url("https://example.com/sales-icon.png"));
        assert!(is_http_url("HTTP://localhost:8080"));
        assert!(is_http_url("http://x"));
        assert!(is_http_url("http://\u{e9}cole.fr/logo.png"));
        assert!(is_http_url("https://user@x.com/a@b"));
        assert!(is_http_url("https://x.com?q=/"));
        for bad in [
            "example.com",
            "ftp://x.com",
            "https://",
            "https:// x.com",
            "https:///x",
            "https://user@/x",
            "https://?q",
            "https://#top",
            "https://:443/x",
            "https://x.com/a\nb",
            "https://x.com/\u{85}",
            "https://x.com/\u{3000}",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
