//! Writing JSON by hand, for the bytes every create and update writes: a profile is about
//! two kilobytes of mostly fixed keys, and a derived serializer escapes each key again on
//! every request. [`WriteJson`] types write their keys as literals and only escape values.
//!
//! The output is byte for byte what serde_json writes for the same value (a unit test in
//! `profiles::create` holds the two side by side), so the derived `Serialize` stays the
//! reference and reads back what this writes.

use uuid::Uuid;

use crate::clock::Timestamp;

/// A value that writes itself as compact JSON.
pub trait WriteJson {
    fn write_json(&self, out: &mut Vec<u8>);
}

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it: `"`, `\\` and
/// the control characters. The runs between them, nearly all of the text, are found eight
/// bytes at a time by the parser's own scan and copied whole.
pub fn string(out: &mut Vec<u8>, text: &str) {
    bytes(out, text.as_bytes());
}

/// [`string`] for bytes that may not be UTF-8 (a header value): only the ASCII bytes that JSON
/// escapes are changed, so that a reader's lossy conversion of the result afterwards gives
/// what escaping the lossy text would.
pub fn bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Nearly every value needs no escape: it is copied whole.
    if crate::json::is_plain(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut from = 0;
    loop {
        let stop = crate::json::plain_run(bytes, from);
        out.extend_from_slice(&bytes[from..stop]);
        let Some(&b) = bytes.get(stop) else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        from = stop + 1;
    }
    out.push(b'"');
}

impl WriteJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl WriteJson for std::borrow::Cow<'_, str> {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

impl WriteJson for Uuid {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut text = Uuid::encode_buffer();
        out.push(b'"');
        out.extend_from_slice(self.hyphenated().encode_lower(&mut text).as_bytes());
        out.push(b'"');
    }
}

impl WriteJson for Timestamp {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'"');
        out.extend_from_slice(&self.to_wire());
        out.push(b'"');
    }
}

impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

/// Writes an object's members in the order given. `$key` is the member's name as a literal,
/// so that it is copied, not escaped: `write_object!(out, { "id": self.id, "name": self.name })`.
#[macro_export]
macro_rules! write_object {
    ($out:expr, { $first:literal : $value:expr $(, $key:literal : $rest:expr)* $(,)? }) => {{
        let out: &mut Vec<u8> = $out;
        out.extend_from_slice(concat!("{\"", $first, "\":").as_bytes());
        $crate::render::WriteJson::write_json(&$value, out);
        $(
            out.extend_from_slice(concat!(",\"", $key, "\":").as_bytes());
            $crate::render::WriteJson::write_json(&$rest, out);
        )*
        out.push(b'}');
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `string` writes `text` as serde_json does.
    fn assert_escapes_as_serde_json_does(text: &str) {
        let mut out = Vec::new();
        string(&mut out, text);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(text).unwrap(),
            "{text:?}"
        );
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let samples = [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "controls \u{0} \u{1} \u{8} \u{9} \u{a} \u{c} \u{d} \u{1f} \u{7f}",
            "unicode é 漢字 😀 \u{2028}",
        ];
        for text in samples {
            assert_escapes_as_serde_json_does(text);
        }
    }

    #[test]
    fn texts_of_every_short_length_escape_as_serde_json_does_at_any_position() {
        // Plain texts are copied whole after a word test that ends on an overlapping word, or
        // byte by byte under eight bytes: a byte to escape at any place of any length from 0
        // to 24, the last byte included, must still be found.
        for len in 0..=24 {
            let plain: String = "abcdefghijklmnopqrstuvwx".chars().take(len).collect();
            let mut texts = vec![plain.clone()];
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
                    let mut text = plain.clone();
                    text.replace_range(at..=at, &special.to_string());
                    texts.push(text);
                }
            }
            for text in texts {
                assert_escapes_as_serde_json_does(&text);
            }
        }
    }

    #[test]
    fn every_ascii_byte_escapes_as_serde_json_does_wherever_it_stands() {
        // Each byte below 0x80, and one UTF-8 character, at every offset of a text longer
        // than two words, so that both the word test and the byte loop meet it.
        let specials = (0u8..0x80).map(char::from).chain(['é', '漢', '😀']);
        for special in specials {
            for at in 0..20 {
                let mut text: String = "abcdefghijklmnopqrst".chars().take(at).collect();
                text.push(special);
                text.push_str("uvwxyz0123456789");
                assert_escapes_as_serde_json_does(&text);
            }
        }
    }
}
