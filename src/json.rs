//! Strict JSON parsing into a small document that borrows from the request body.
//!
//! A hand-written, single-pass parser reads a body into [`Json`]: objects keep their members
//! in request order and refuse a duplicate key (a client that sends two `name`s has a bug
//! worth seeing), strings borrow from the body unless they hold escapes.
//!
//! It accepts and refuses exactly what serde_json, which it replaced, does, and reads every
//! number to the same value: one value in optional whitespace, valid UTF-8, no raw control
//! characters or lone surrogates in strings, nesting within serde_json's recursion limit
//! (128), no number beyond `f64`. Messages take serde_json's form (`expected value at line 1
//! column 1`) and never repeat the input, save a duplicate key, shortened and escaped.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

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

/// A JSON number, classified as serde_json does: an integer that fits `u64` is `Unsigned`, a
/// negative one that fits `i64` is `Signed` (`-0` is the float `-0.0`), anything else is `Float`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// Why a body is not a usable JSON document; the message names the position, never the text.
/// (A boxed `str`, two words, so that the parser's `Result<(), SyntaxError>` fits in two
/// registers.)
#[derive(Debug)]
pub struct SyntaxError(Box<str>);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether two keys are equal. Keys of up to 16 bytes, nearly all of them, are compared in
/// two overlapping eight-byte words (or, under eight bytes, byte by byte) inline: a reader
/// looks a member up among all of an object's keys, and a call to `memcmp` for every key of
/// the same length cost more than the comparison.
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (
        a.first_chunk::<8>(),
        b.first_chunk::<8>(),
        a.last_chunk::<8>(),
        b.last_chunk::<8>(),
    ) {
        (Some(a0), Some(b0), Some(a1), Some(b1)) if a.len() <= 16 => a0 == b0 && a1 == b1,
        (Some(_), ..) => a == b,
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// Parses a whole body: exactly one JSON value, optionally surrounded by whitespace.
pub fn parse(bytes: &[u8]) -> Result<Json<'_>, SyntaxError> {
    // One fast check up front lets every string below be sliced from `text` without a second
    // look. Outside strings only ASCII is valid anyway, so checking the whole body refuses
    // exactly the bodies that checking string contents alone would.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| syntax_error(bytes, e.valid_up_to(), &"invalid unicode code point"))?;
    Parser::new(text).document()
}

impl<'a> Json<'a> {
    /// The member `key` of an object; `None` for a missing member or a non-object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(members) => members
                .iter()
                .find(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))
                .map(|(_, v)| v),
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

/// serde_json's recursion limit: the 128th nested array or object is refused. Nesting is
/// parsed by recursion, so this also bounds the parser's stack.
const MAX_DEPTH: usize = 128;

/// Objects up to this size find a duplicate key by a filter and a scan of their keys (see
/// [`Seen`]); larger ones switch to a hash set, so that a 1 MiB object of tiny members cannot
/// cost quadratic time.
const LINEAR_DUPLICATE_SCAN: usize = 32;

const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_STRING: &str = "EOF while parsing a string";
const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const INVALID_NUMBER: &str = "invalid number";
const OUT_OF_RANGE: &str = "number out of range";
const INVALID_ESCAPE: &str = "invalid escape";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const TRAILING_COMMA: &str = "trailing comma";
const KEY_NOT_STRING: &str = "key must be a string";

/// One parse: the body, the read position and the stack that unfinished containers gather
/// their members on.
///
/// The stack holds key and value pairs (array items and the document itself under an unused
/// empty key). A value is read into the pair on top; a container's own pair stays in place
/// while its members are pushed above it, and when it ends they are split off the stack into
/// its vector, one copy of exactly its size. Each value is thus written once, where it will
/// be moved from in one block, instead of being returned up the recursion and then moved
/// member by member into a vector that grows.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth_left: usize,
    stack: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth_left: MAX_DEPTH,
            // Room for the deepest run of open members a body of this size usually has (the
            // seed body needs 17-32): growing the stack while parsing is a copy of it.
            stack: Vec::with_capacity((text.len() / 32).clamp(16, 256)),
        }
    }

    /// The whole document: one value, then nothing but whitespace.
    fn document(mut self) -> Result<Json<'a>, SyntaxError> {
        self.push_pair(Cow::Borrowed(""));
        self.value()?;
        if self.skip_whitespace().is_some() {
            return Err(self.fail(self.pos, &"trailing characters"));
        }
        // The pair pushed above, the only one left.
        Ok(self.stack.pop().map_or(Json::Null, |(_, value)| value))
    }

    /// The next byte that is not JSON whitespace, left unread; `None` at the end.
    fn skip_whitespace(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                _ => return Some(b),
            }
        }
        None
    }

    /// The next byte, or NUL at the end (never valid where it is looked at).
    fn peek_or_nul(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }

    /// Pushes a pair of `key` and a `Null` that [`Parser::set_value`] will replace.
    #[inline(always)]
    fn push_pair(&mut self, key: Cow<'a, str>) {
        self.stack.push((key, Json::Null));
    }

    /// Sets the value of the pair on top of the stack, from `Null` to what `make` returns.
    ///
    /// The value is made only once its place is found, and the `Null` swapped out rather than
    /// dropped in place. A value made first (`*place = value`, or `make()` before the lookup)
    /// waits on the machine stack across a call that may panic, and is then copied over in
    /// pieces that do not line up with how it was written: a store-forwarding stall per value,
    /// which cost a fifth of the parse.
    #[inline(always)]
    fn set_value(&mut self, make: impl FnOnce() -> Json<'a>) {
        if let Some((_, place)) = self.stack.last_mut() {
            let held = std::mem::replace(place, make());
            // Always the `Null` pushed with the key, which owns nothing: forgetting it spares
            // a call to its drop glue per value.
            debug_assert!(held.is_null());
            std::mem::forget(held);
        }
    }

    /// An error about the byte at `at` (or about the end, when `at` is past it).
    #[cold]
    #[inline(never)]
    fn fail(&self, at: usize, what: &dyn fmt::Display) -> SyntaxError {
        syntax_error(self.bytes, at, what)
    }

    /// Reads one value into the pair on top of the stack.
    fn value(&mut self) -> Result<(), SyntaxError> {
        let Some(first) = self.skip_whitespace() else {
            return Err(self.fail(self.pos, &EOF_VALUE));
        };
        match first {
            b'"' => {
                self.pos += 1;
                self.string_value()
            }
            b'{' => self.object(),
            b'[' => self.array(),
            b'-' | b'0'..=b'9' => {
                let number = self.number()?;
                self.set_value(|| Json::Number(number));
                Ok(())
            }
            b't' => {
                self.literal(b"true")?;
                self.set_value(|| Json::Bool(true));
                Ok(())
            }
            b'f' => {
                self.literal(b"false")?;
                self.set_value(|| Json::Bool(false));
                Ok(())
            }
            // The pair's value is already the `Null`.
            b'n' => self.literal(b"null"),
            _ => Err(self.fail(self.pos, &"expected value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), SyntaxError> {
        for &expected in word {
            match self.bytes.get(self.pos) {
                None => return Err(self.fail(self.pos, &EOF_VALUE)),
                Some(&b) if b != expected => return Err(self.fail(self.pos, &"expected ident")),
                Some(_) => self.pos += 1,
            }
        }
        Ok(())
    }

    /// Counts one more level of nesting at the `[` or `{` under the read position.
    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth_left -= 1;
        if self.depth_left == 0 {
            return Err(self.fail(self.pos, &"recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads an array, on its `[`, into the pair on top of the stack.
    fn array(&mut self) -> Result<(), SyntaxError> {
        self.enter()?;
        let base = self.stack.len();
        match self.skip_whitespace() {
            None => return Err(self.fail(self.pos, &EOF_LIST)),
            Some(b']') => {}
            Some(_) => loop {
                self.push_pair(Cow::Borrowed(""));
                self.value()?;
                match self.skip_whitespace() {
                    Some(b',') => {
                        self.pos += 1;
                        match self.skip_whitespace() {
                            Some(b']') => return Err(self.fail(self.pos, &TRAILING_COMMA)),
                            None => return Err(self.fail(self.pos, &EOF_VALUE)),
                            Some(_) => {}
                        }
                    }
                    Some(b']') => break,
                    Some(_) => return Err(self.fail(self.pos, &"expected `,` or `]`")),
                    None => return Err(self.fail(self.pos, &EOF_LIST)),
                }
            },
        }
        self.pos += 1;
        self.depth_left += 1;
        let items = self.stack.drain(base..).map(|(_, item)| item).collect();
        self.set_value(|| Json::Array(items));
        Ok(())
    }

    /// Reads an object, on its `{`, into the pair on top of the stack.
    fn object(&mut self) -> Result<(), SyntaxError> {
        self.enter()?;
        let base = self.stack.len();
        match self.skip_whitespace() {
            None => return Err(self.fail(self.pos, &EOF_OBJECT)),
            Some(b'}') => {}
            Some(b'"') => self.members(base)?,
            Some(_) => return Err(self.fail(self.pos, &KEY_NOT_STRING)),
        }
        self.pos += 1;
        self.depth_left += 1;
        // A copy into a vector of exactly the members' size (`base` is never 0: the object's
        // own pair is below it).
        let members = self.stack.split_off(base);
        // What `set_value` does, spelled out: passing `members` into its closure measured
        // slower.
        if let Some((_, place)) = self.stack.last_mut() {
            std::mem::forget(std::mem::replace(place, Json::Object(members)));
        }
        Ok(())
    }

    /// The members of an object, pushed from `base` up, from the first key's opening quote to
    /// the closing `}` (left unread).
    fn members(&mut self, base: usize) -> Result<(), SyntaxError> {
        let mut seen = Seen::new();
        loop {
            // On the key's opening quote.
            self.pos += 1;
            self.key(base, &mut seen)?;
            match self.skip_whitespace() {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.fail(self.pos, &"expected `:`")),
                None => return Err(self.fail(self.pos, &EOF_OBJECT)),
            }
            self.value()?;
            match self.skip_whitespace() {
                Some(b',') => {
                    self.pos += 1;
                    match self.skip_whitespace() {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.fail(self.pos, &TRAILING_COMMA)),
                        Some(_) => return Err(self.fail(self.pos, &KEY_NOT_STRING)),
                        None => return Err(self.fail(self.pos, &EOF_VALUE)),
                    }
                }
                Some(b'}') => return Ok(()),
                Some(_) => return Err(self.fail(self.pos, &"expected `,` or `}`")),
                None => return Err(self.fail(self.pos, &EOF_OBJECT)),
            }
        }
    }

    /// Reads a key, whose opening quote was just read, into a new pair on the stack, refusing
    /// one that the object's members from `base` up already have.
    fn key(&mut self, base: usize, seen: &mut Seen<'a>) -> Result<(), SyntaxError> {
        let start = self.pos;
        let text = self.text;
        match self.plain_string(start) {
            Some(end) => {
                let key = &text[start..end];
                let bit = filter_bit(key);
                if seen.may_contain(bit) {
                    self.refuse_duplicate(key, base, seen)?;
                }
                self.push_pair(Cow::Borrowed(key));
                seen.add(bit, &self.stack[base..]);
            }
            None => {
                let key = self.unescape(start)?;
                let bit = filter_bit(&key);
                if seen.may_contain(bit) {
                    self.refuse_duplicate(&key, base, seen)?;
                }
                self.push_pair(Cow::Owned(key));
                seen.add(bit, &self.stack[base..]);
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn refuse_duplicate(&self, key: &str, base: usize, seen: &Seen<'a>) -> Result<(), SyntaxError> {
        if seen.contains(key, &self.stack[base..]) {
            // After the key's closing quote, where serde_json pointed.
            let message = format!("duplicate key `{}` in an object", Printable(key));
            return Err(self.fail(self.pos - 1, &message));
        }
        Ok(())
    }

    /// Reads a string value, whose opening quote was just read, into the pair on top.
    fn string_value(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let text = self.text;
        match self.plain_string(start) {
            Some(end) => self.set_value(|| Json::String(Cow::Borrowed(&text[start..end]))),
            None => {
                let owned = self.unescape(start)?;
                self.set_value(|| Json::String(Cow::Owned(owned)));
            }
        }
        Ok(())
    }

    /// The end of a string from `start` that has no escapes, with its closing quote read;
    /// `None`, with the read position on what stopped it, for any other string.
    #[inline(always)]
    fn plain_string(&mut self, start: usize) -> Option<usize> {
        match plain_string_end(self.bytes, start) {
            Ok(end) => {
                self.pos = end + 1;
                Some(end)
            }
            Err(stop) => {
                self.pos = stop;
                None
            }
        }
    }

    /// The rest of a string that started at `start` and has stopped at an escape, a control
    /// character or the end of the body.
    #[cold]
    fn unescape(&mut self, start: usize) -> Result<String, SyntaxError> {
        let mut out = String::with_capacity(self.pos - start + 16);
        let mut run = start;
        loop {
            out.push_str(&self.text[run..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    let what = "control character (\\u0000-\\u001F) found while parsing a string";
                    return Err(self.fail(self.pos, &what));
                }
                None => return Err(self.fail(self.pos, &EOF_STRING)),
            }
            run = self.pos;
            self.pos = plain_run(self.bytes, run);
        }
    }

    /// One escape whose backslash was just read.
    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let Some(&kind) = self.bytes.get(self.pos) else {
            return Err(self.fail(self.pos, &EOF_STRING));
        };
        self.pos += 1;
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(self.fail(self.pos - 1, &INVALID_ESCAPE)),
        };
        out.push(c);
        Ok(())
    }

    /// A `\uXXXX` escape whose `u` was just read: a character of the basic plane, or a
    /// surrogate pair as two escapes. Unpaired surrogates are refused, as serde_json does
    /// (with its wording, which says "leading" for a trailing one too).
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.fail(self.pos - 1, &LONE_SURROGATE)),
            0xD800..=0xDBFF => {
                for expected in [b'\\', b'u'] {
                    match self.bytes.get(self.pos) {
                        None => return Err(self.fail(self.pos, &EOF_STRING)),
                        Some(&b) if b != expected => {
                            return Err(self.fail(self.pos, &"unexpected end of hex escape"))
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail(self.pos - 1, &LONE_SURROGATE));
                }
                0x10000 + (((u32::from(first) - 0xD800) << 10) | (u32::from(second) - 0xDC00))
            }
            _ => u32::from(first),
        };
        // Cannot fail: surrogates were paired or refused above.
        char::from_u32(code).ok_or_else(|| self.fail(self.pos - 1, &"invalid unicode code point"))
    }

    fn hex4(&mut self) -> Result<u16, SyntaxError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            self.pos = self.bytes.len();
            return Err(self.fail(self.pos, &EOF_STRING));
        };
        self.pos += 4;
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.fail(self.pos - 1, &INVALID_ESCAPE)),
            };
            n = (n << 4) | u16::from(v);
        }
        Ok(n)
    }
}

/// Bytes that end a run of plain string content: the closing quote, an escape, or a control
/// character (refused raw). Everything else, UTF-8 sequences included, stands for itself.
/// The end of the run from `from` of bytes that stand for themselves in a JSON string: the
/// first quote, backslash or control character, or the end of `bytes`. The same bytes are
/// the ones a writer must escape (`render::string`).
pub(crate) fn plain_run(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes[at..].first_chunk::<8>() {
        let stops = StringStops::of(u64::from_le_bytes(*chunk));
        if stops.any() {
            return at + stops.first();
        }
        at += 8;
    }
    while at < bytes.len() && !is_string_stop(bytes[at]) {
        at += 1;
    }
    at
}

/// Whether every byte of `bytes` stands for itself in a JSON string (no [`plain_run`] stop):
/// the whole text is looked at eight bytes at a time, its end in one last word that overlaps
/// the one before, where `plain_run` would go on byte by byte.
pub(crate) fn is_plain(bytes: &[u8]) -> bool {
    let Some(last) = bytes.last_chunk::<8>() else {
        return !bytes.iter().any(|&b| is_string_stop(b));
    };
    let stops = |word: &[u8; 8]| StringStops::of(u64::from_le_bytes(*word)).any();
    !bytes
        .chunks_exact(8)
        .filter_map(|chunk| chunk.first_chunk::<8>())
        .chain(std::iter::once(last))
        .any(stops)
}

/// Where the string whose contents start at `bytes[start]` ends: `Ok` with its closing
/// quote's place when nothing needs a second look on the way, else `Err` with the place of
/// what stopped the scan (an escape, a control character, the end of the bytes). `start` is
/// at most `bytes.len()`.
#[inline(always)]
pub(crate) fn plain_string_end(bytes: &[u8], start: usize) -> Result<usize, usize> {
    let mut at = start;
    // Eight bytes per step while they last; string bodies are most of a request's bytes.
    while let Some(chunk) = bytes[at..].first_chunk::<8>() {
        let stops = StringStops::of(u64::from_le_bytes(*chunk));
        if stops.any() {
            let end = at + stops.first();
            // Told by the masks, not by reading the byte again: that load would delay the
            // (often mispredicted) branch out of the loop.
            return if stops.first_is_quote() {
                Ok(end)
            } else {
                Err(end)
            };
        }
        at += 8;
    }
    let end = plain_run(bytes, at);
    if bytes.get(end) == Some(&b'"') {
        Ok(end)
    } else {
        Err(end)
    }
}

fn is_string_stop(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// [`is_string_stop`] for eight bytes at once, read little-endian: the high bit of each
/// stopping byte is set, in `all` and, for a quote, in `quotes`. Only the lowest bit set is
/// exact, a borrow can flag a byte above a real stop; and since no borrow crosses it, the
/// lowest bit of `all` is set in `quotes` exactly when that byte is a quote. Bytes from 0x80
/// up are never flagged.
struct StringStops {
    all: u64,
    quotes: u64,
}

impl StringStops {
    #[inline(always)]
    fn of(word: u64) -> Self {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
        let control = below(word, 0x20);
        let quotes = below(word ^ (ONES * u64::from(b'"')), 1);
        let backslashes = below(word ^ (ONES * u64::from(b'\\')), 1);
        StringStops {
            all: control | quotes | backslashes,
            quotes,
        }
    }

    fn any(&self) -> bool {
        self.all != 0
    }

    /// The offset of the first stopping byte; only when there is one.
    fn first(&self) -> usize {
        (self.all.trailing_zeros() / 8) as usize
    }

    fn first_is_quote(&self) -> bool {
        self.all & self.all.wrapping_neg() & self.quotes != 0
    }
}

/// The keys of an object so far, to refuse a duplicate. A 64-bit filter with one bit per key
/// clears most new keys at once; only when a key's bit is already set are the object's keys
/// compared. Past [`LINEAR_DUPLICATE_SCAN`] keys a hash set takes over (and the filter, all
/// ones, sends every key to it), so that a huge object of tiny members cannot cost quadratic
/// time.
struct Seen<'a> {
    filter: u64,
    set: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Seen<'a> {
    fn new() -> Self {
        Seen {
            filter: 0,
            set: None,
        }
    }

    /// Whether the key of filter bit `bit` may be among the object's keys: `false` settles it.
    fn may_contain(&self, bit: u64) -> bool {
        self.filter & bit != 0
    }

    /// Whether `key` is among the keys of `members`, the object's members so far.
    fn contains(&self, key: &str, members: &[(Cow<'a, str>, Json<'a>)]) -> bool {
        match &self.set {
            None => members.iter().any(|(k, _)| k == key),
            Some(set) => set.contains(key),
        }
    }

    /// Takes in the key, of filter bit `bit`, of the last of `members`, just added.
    #[inline(always)]
    fn add(&mut self, bit: u64, members: &[(Cow<'a, str>, Json<'a>)]) {
        if members.len() <= LINEAR_DUPLICATE_SCAN {
            self.filter |= bit;
        } else {
            self.add_to_set(members);
        }
    }

    #[cold]
    fn add_to_set(&mut self, members: &[(Cow<'a, str>, Json<'a>)]) {
        self.filter = u64::MAX;
        match &mut self.set {
            None => self.set = Some(members.iter().map(|(k, _)| k.clone()).collect()),
            Some(set) => {
                if let Some((key, _)) = members.last() {
                    set.insert(key.clone());
                }
            }
        }
    }
}

/// A key's bit in [`Seen`]'s filter, from its length and its first and last bytes: cheap,
/// and enough to tell apart most keys of one object.
fn filter_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let first = bytes.first().copied().unwrap_or(0);
    let last = bytes.last().copied().unwrap_or(0);
    let h = (bytes.len() as u64) << 16 | u64::from(first) << 8 | u64::from(last);
    1 << (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// Numbers, read with serde_json's own arithmetic rather than a correctly rounded conversion:
/// its default float reading can differ from `str::parse::<f64>` in the last bit, and scenario
/// files compare body numbers with numbers serde_json read, so both sides must agree. The
/// functions follow serde_json's (`parse_integer`, `parse_decimal`, ...) step for step.
impl Parser<'_> {
    /// A number, on its first byte (`-` or a digit).
    fn number(&mut self) -> Result<Number, SyntaxError> {
        let positive = self.bytes[self.pos] != b'-';
        if !positive {
            self.pos += 1;
        }
        let Some(&first) = self.bytes.get(self.pos) else {
            return Err(self.fail(self.pos, &EOF_VALUE));
        };
        self.pos += 1;
        match first {
            // There can be only one leading zero.
            b'0' if self.peek_or_nul().is_ascii_digit() => {
                Err(self.fail(self.pos, &INVALID_NUMBER))
            }
            b'0' => self.after_integer(positive, 0),
            b'1'..=b'9' => {
                let mut significand = u64::from(first - b'0');
                while let c @ b'0'..=b'9' = self.peek_or_nul() {
                    match append_digit(significand, c) {
                        Some(next) => significand = next,
                        None => return self.long_integer(positive, significand).map(Number::Float),
                    }
                    self.pos += 1;
                }
                self.after_integer(positive, significand)
            }
            _ => Err(self.fail(self.pos - 1, &INVALID_NUMBER)),
        }
    }

    /// After the integer digits: a fraction or an exponent makes a float, else an integer.
    fn after_integer(&mut self, positive: bool, significand: u64) -> Result<Number, SyntaxError> {
        Ok(match self.peek_or_nul() {
            b'.' => Number::Float(self.fraction(positive, significand, 0)?),
            b'e' | b'E' => Number::Float(self.exponent(positive, significand, 0)?),
            _ if positive => Number::Unsigned(significand),
            _ => {
                let negated = (significand as i64).wrapping_neg();
                // `-0` and integers below `i64::MIN` become floats, as in serde_json.
                if negated >= 0 {
                    Number::Float(-(significand as f64))
                } else {
                    Number::Signed(negated)
                }
            }
        })
    }

    /// Integer digits beyond `u64`: they only scale the significand (serde_json drops them).
    #[cold]
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64, SyntaxError> {
        let mut exponent = 0i32;
        loop {
            match self.peek_or_nul() {
                b'0'..=b'9' => {
                    self.pos += 1;
                    exponent = exponent.saturating_add(1);
                }
                b'.' => return self.fraction(positive, significand, exponent),
                b'e' | b'E' => return self.exponent(positive, significand, exponent),
                _ => return self.float(positive, significand, exponent),
            }
        }
    }

    /// On the `.`: at least one digit, then optionally an exponent.
    fn fraction(
        &mut self,
        positive: bool,
        mut significand: u64,
        exponent_before: i32,
    ) -> Result<f64, SyntaxError> {
        self.pos += 1;
        let mut digits = 0i32;
        while let c @ b'0'..=b'9' = self.peek_or_nul() {
            let Some(next) = append_digit(significand, c) else {
                let exponent = exponent_before.saturating_sub(digits);
                return self.fraction_overflow(positive, significand, exponent);
            };
            self.pos += 1;
            significand = next;
            digits += 1;
        }
        if digits == 0 {
            let what = if self.pos < self.bytes.len() {
                INVALID_NUMBER
            } else {
                EOF_VALUE
            };
            return Err(self.fail(self.pos, &what));
        }
        let exponent = exponent_before.saturating_sub(digits);
        match self.peek_or_nul() {
            b'e' | b'E' => self.exponent(positive, significand, exponent),
            _ => self.float(positive, significand, exponent),
        }
    }

    /// Fraction digits beyond `u64` are dropped.
    #[cold]
    fn fraction_overflow(
        &mut self,
        positive: bool,
        significand: u64,
        exponent: i32,
    ) -> Result<f64, SyntaxError> {
        self.skip_digits();
        match self.peek_or_nul() {
            b'e' | b'E' => self.exponent(positive, significand, exponent),
            _ => self.float(positive, significand, exponent),
        }
    }

    /// On the `e` or `E`: an optional sign and at least one digit.
    fn exponent(
        &mut self,
        positive: bool,
        significand: u64,
        starting: i32,
    ) -> Result<f64, SyntaxError> {
        self.pos += 1;
        let positive_exponent = match self.peek_or_nul() {
            b'+' => {
                self.pos += 1;
                true
            }
            b'-' => {
                self.pos += 1;
                false
            }
            _ => true,
        };
        let Some(&first) = self.bytes.get(self.pos) else {
            return Err(self.fail(self.pos, &EOF_VALUE));
        };
        self.pos += 1;
        if !first.is_ascii_digit() {
            return Err(self.fail(self.pos - 1, &INVALID_NUMBER));
        }
        let mut exponent = i32::from(first - b'0');
        while let c @ b'0'..=b'9' = self.peek_or_nul() {
            self.pos += 1;
            let digit = i32::from(c - b'0');
            match exponent.checked_mul(10).and_then(|e| e.checked_add(digit)) {
                Some(next) => exponent = next,
                None => return self.exponent_overflow(positive, significand, positive_exponent),
            }
        }
        let exponent = if positive_exponent {
            starting.saturating_add(exponent)
        } else {
            starting.saturating_sub(exponent)
        };
        self.float(positive, significand, exponent)
    }

    /// An exponent beyond `i32`: zero for a negative one (or a zero significand), else refused.
    #[cold]
    fn exponent_overflow(
        &mut self,
        positive: bool,
        significand: u64,
        positive_exponent: bool,
    ) -> Result<f64, SyntaxError> {
        if significand != 0 && positive_exponent {
            return Err(self.fail(self.pos - 1, &OUT_OF_RANGE));
        }
        self.skip_digits();
        Ok(if positive { 0.0 } else { -0.0 })
    }

    fn skip_digits(&mut self) {
        while self.peek_or_nul().is_ascii_digit() {
            self.pos += 1;
        }
    }

    /// `significand × 10^exponent` by serde_json's table method; infinity is refused.
    fn float(
        &self,
        positive: bool,
        significand: u64,
        mut exponent: i32,
    ) -> Result<f64, SyntaxError> {
        let mut f = significand as f64;
        loop {
            match POW10.get(exponent.unsigned_abs() as usize) {
                Some(&pow) if exponent >= 0 => {
                    f *= pow;
                    if f.is_infinite() {
                        return Err(self.fail(self.pos - 1, &OUT_OF_RANGE));
                    }
                    break;
                }
                Some(&pow) => {
                    f /= pow;
                    break;
                }
                None if f == 0.0 => break,
                None if exponent >= 0 => return Err(self.fail(self.pos - 1, &OUT_OF_RANGE)),
                None => {
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }
}

/// `n * 10 + digit`, or `None` past `u64::MAX`.
fn append_digit(n: u64, digit: u8) -> Option<u64> {
    n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
}

/// Powers of ten as serde_json's float reading uses them.
#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
    1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
    1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49,
    1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69,
    1e70, 1e71, 1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79,
    1e80, 1e81, 1e82, 1e83, 1e84, 1e85, 1e86, 1e87, 1e88, 1e89,
    1e90, 1e91, 1e92, 1e93, 1e94, 1e95, 1e96, 1e97, 1e98, 1e99,
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109,
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129,
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139,
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149,
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159,
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169,
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189,
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199,
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209,
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219,
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229,
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249,
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259,
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269,
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279,
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289,
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

/// A message in serde_json's form, `<what> at line L column C`, for the byte at `at` (or the
/// end of the body, when `at` is past it). Columns count bytes from 1, as serde_json's do.
fn syntax_error(bytes: &[u8], at: usize, what: &dyn fmt::Display) -> SyntaxError {
    let end = bytes.len().min(at.saturating_add(1));
    let before = &bytes[..end];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before[..line_start].iter().filter(|&&b| b == b'\n').count();
    SyntaxError(format!("{what} at line {line} column {}", end - line_start).into())
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

    /// Keys of every length through the three paths of `same_key`, equal and unequal at every
    /// byte, and of different lengths with a common prefix.
    #[test]
    fn keys_compare_equal_exactly_when_their_bytes_do() {
        for len in 0..=24 {
            let key: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
            assert!(same_key(&key, &key.clone()), "{len}");
            for at in 0..len {
                let mut other = key.clone();
                other[at] ^= 0x20;
                assert!(!same_key(&key, &other), "{len} at {at}");
            }
            assert!(
                !same_key(&key, &[key.as_slice(), b"z"].concat()),
                "{len} and longer"
            );
        }
    }

    #[test]
    fn debug_output_hides_string_contents() {
        let doc = parse(br#"{"card_number": "4242424242424242"}"#).unwrap();
        let shown = format!("{doc:?}");
        assert!(!shown.contains("4242"), "{shown}");
    }
}

/// The parser against the serde_json-based one it replaced, kept here as the reference: both
/// must accept and refuse the same bodies and read them to the same values, float bits and
/// borrowed strings included.
#[cfg(test)]
mod differential {
    use super::*;
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    const SEED: &[u8] = include_bytes!("../tests/data/create-request.json");

    /// A small body with every kind of value, escapes and numbers, to mutate beside the seed.
    const MIXED: &[u8] = br#" {"a": [1, -2, 3.5e-3, "\u00e9\n", {"b": null}], "c\t": "\ud83d\ude00", "d": [true, false, -0, 1E+2, 0.5], "e": {}} "#;

    fn old_parse(bytes: &[u8]) -> Result<Json<'_>, String> {
        serde_json::from_slice::<Old>(bytes)
            .map(|old| old.0)
            .map_err(|e| e.to_string())
    }

    /// The replaced implementation: a serde visitor building [`Json`].
    struct Old<'a>(Json<'a>);

    impl<'de> Deserialize<'de> for Old<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(OldVisitor)
        }
    }

    struct OldVisitor;

    impl<'de> Visitor<'de> for OldVisitor {
        type Value = Old<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Old(Json::Null))
        }

        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Old(Json::Bool(v)))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Old(Json::Number(Number::Unsigned(v))))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Old(Json::Number(Number::Signed(v))))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_finite() {
                Ok(Old(Json::Number(Number::Float(v))))
            } else {
                Err(E::custom("number out of range"))
            }
        }

        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Old(Json::String(Cow::Borrowed(v))))
        }

        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Old(Json::String(Cow::Owned(v.to_owned()))))
        }

        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Old(Json::String(Cow::Owned(v))))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(Old(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Old(Json::Array(items)))
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
                let Old(value) = map.next_value()?;
                members.push((key, value));
                if seen.is_none() && members.len() > LINEAR_DUPLICATE_SCAN {
                    seen = Some(members.iter().map(|(k, _)| k.clone()).collect());
                }
            }
            Ok(Old(Json::Object(members)))
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

    /// Equal values, float bits and the borrowed-or-owned state of every string included.
    fn same(new: &Json<'_>, old: &Json<'_>) -> bool {
        match (new, old) {
            (Json::Number(Number::Float(a)), Json::Number(Number::Float(b))) => {
                a.to_bits() == b.to_bits()
            }
            (Json::String(a), Json::String(b)) => same_str(a, b),
            (Json::Array(a), Json::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
            }
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| same_str(ka, kb) && same(va, vb))
            }
            _ => new == old,
        }
    }

    // The `Cow`s themselves are compared: borrowed or owned matters here.
    #[allow(clippy::ptr_arg)]
    fn same_str(a: &Cow<'_, str>, b: &Cow<'_, str>) -> bool {
        a == b && matches!(a, Cow::Borrowed(_)) == matches!(b, Cow::Borrowed(_))
    }

    /// Both parsers accept `input` and agree on its value, or both refuse it.
    fn agree(input: &[u8]) {
        let shown = || {
            String::from_utf8_lossy(input)
                .chars()
                .take(300)
                .collect::<String>()
        };
        match (parse(input), old_parse(input)) {
            (Ok(new), Ok(old)) => assert!(same(&new, &old), "values differ on {:?}", shown()),
            (Err(new), Err(_)) => {
                assert!(new.0.contains(" at line "), "{new} on {:?}", shown());
            }
            (new, old) => panic!(
                "disagree on {:?}: new {:?}, old {:?}",
                shown(),
                new.map(|_| ()),
                old.map(|_| ())
            ),
        }
    }

    fn nested(depth: usize, open: &str, close: &str) -> Vec<u8> {
        format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes()
    }

    fn edge_cases() -> Vec<Vec<u8>> {
        let mut cases: Vec<Vec<u8>> = [
            // Whitespace, literals, structure.
            "",
            " ",
            " \t\n\r ",
            "\u{feff}{}",
            "{}",
            "[]",
            " [ ] ",
            "null",
            "true",
            "false",
            "nul",
            "nulL",
            "tru",
            "truex",
            "n",
            "fals",
            "nullnull",
            "[null,true,false]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,,2]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{1:2}",
            "{\"a\" 1}",
            "{\"a\":1 \"b\":2}",
            "[",
            "{",
            "]",
            "}",
            "[1",
            "{\"a\":1",
            "{\"a\"",
            "{\"a\":",
            "[1,",
            "{\"a\":1,",
            "{\"a\":1, ",
            "{} x",
            "{}{}",
            "1 2",
            " 1 ",
            "[[]]",
            "[{}]",
            "{\"a\":[]}",
            "{\"\":0}",
            "[\"a\" , \"b\"]",
            "{\"a\" : 1 , \"b\" : 2}",
            "\n\n  {\n \"a\": x}",
            "{\"a\":1}\n\n,",
            // Numbers.
            "0",
            "-0",
            "-0.0",
            "0.0",
            "01",
            "-01",
            "00",
            "+1",
            ".5",
            "1.",
            "1.e5",
            "1e",
            "1e+",
            "1e-",
            "1E5",
            "1e+5",
            "1e-5",
            "-",
            "--1",
            "1-",
            "-a",
            "1x",
            "0x10",
            "NaN",
            "Infinity",
            "-Infinity",
            "1.5.2",
            "1e5e5",
            "2.",
            "-.5",
            "0e",
            "0e1",
            "0.e1",
            "[01]",
            "[1.]",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551614",
            "-9223372036854775808",
            "-9223372036854775809",
            "-9223372036854775807",
            "9223372036854775807",
            "9223372036854775808",
            "-18446744073709551615",
            "-18446744073709551616",
            "1e308",
            "1e309",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1.8e308",
            "-1e309",
            "-1e308",
            "1.5e-400",
            "4.9e-324",
            "2.5e-324",
            "2.4e-324",
            "1e-400",
            "-1e-400",
            "0e999999999999",
            "1e999999999999",
            "1e-999999999999",
            "-1e-999999999999",
            "0.1",
            "0.3",
            "0.7",
            "123456789012345678901234567890",
            "1234567890123456789012.5e-3",
            "184467440737095516199.5",
            "184467440737095516159.5",
            "0.0000000000000000000000001",
            "1e2147483647",
            "1e2147483648",
            "1e-2147483648",
            "1e-2147483649",
            "0e2147483648",
            "1.0e-2147483648",
            "100000000000000000000000000000e-2147483647",
            "0.00000000000000000000000000000000000000000000000000000000000000000000000000001e-300",
            "9007199254740993",
            "9007199254740993.0",
            "-9007199254740993.0",
            "2.2250738585072011e-308",
            "12345678901234567890123.456789e-10",
            "1.23456789012345678901234567890",
            "5e-324",
            "1e22",
            "1e23",
            "8.98846567431158e307",
            "179769313486231570000000000000000000000e270",
            // Strings and escapes.
            "\"\"",
            "\"abc\"",
            r#""\"\\\/\b\f\n\r\t""#,
            r#""a\"b""#,
            r#""\u0041""#,
            r#""\u00e9""#,
            r#""\u00E9""#,
            r#""\uD83D\uDE00""#,
            r#""\ud83d\ude00""#,
            r#""\uD800""#,
            r#""\uDC00""#,
            r#""\uDFFF""#,
            r#""\uD800x""#,
            r#""\uD800\n""#,
            r#""\uD800\u0041""#,
            r#""\uD800\uD800""#,
            r#""\uD800\""#,
            r#""\uD800\u""#,
            r#""\uD800\uDC0""#,
            r#""\uD800\uDC0"x"#,
            r#""\uDBFF\uDFFF""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\u""#,
            r#""\x""#,
            r#""\""#,
            "\"\\",
            "\"abc",
            r#""\u0000""#,
            r#""\u001f""#,
            r#""\'""#,
            r#""\U0041""#,
            r#""a\\b\\""#,
            r#"["\\", "x"]"#,
            r#""\uffff""#,
            r#""\uFFFE""#,
            "\"é\"",
            "\"\u{7f}\"",
            "\"日本\"",
            "\"😀\"",
            "[\"é\", \"\\u00e9\"]",
            // Duplicates.
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"b":{"a":2}}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"[{"a":1},{"a":1}]"#,
            r#"{"a":1,"a""#,
            r#"{"\n":1,"\n":2}"#,
        ]
        .iter()
        .map(|case| case.as_bytes().to_vec())
        .collect();
        // Raw bytes: control characters in and out of strings, invalid UTF-8.
        for b in (0u8..0x20).chain([0x7f, 0x80, 0xc3, 0xff]) {
            cases.push(vec![b'"', b, b'"']);
            cases.push(vec![b'[', b, b']']);
            cases.push(vec![b'"', b'a', b'\\', b]);
        }
        for bytes in [
            &b"\xff"[..],
            b"{}\xff",
            b"[\xff]",
            b"\"\xff\"",
            b"\"\xc3\"",
            b"\"\xc3\xa9\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xc0\xaf\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\xe2\x82\"",
            b"{\"\xff\":1}",
            b"\xef\xbb\xbf{}",
        ] {
            cases.push(bytes.to_vec());
        }
        // Nesting at and around the limit, closed and not.
        for depth in [1, 2, 126, 127, 128, 129, 1000] {
            cases.push(nested(depth, "[", "]"));
            cases.push(nested(depth, "{\"a\":", "}"));
            cases.push(nested(depth, "[{\"a\":", "}]"));
            cases.push("[".repeat(depth).into_bytes());
            cases.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth + 1)).into_bytes());
        }
        // Objects around the switch to a hash set, with a duplicate at every position.
        for len in [31, 32, 33, 34, 40, 100] {
            let keys: Vec<String> = (0..len).map(|i| format!("\"k{i}\":{i}")).collect();
            cases.push(format!("{{{}}}", keys.join(",")).into_bytes());
            for dup in [0, len / 2, len - 1] {
                cases.push(format!("{{{},\"k{dup}\":0}}", keys.join(",")).into_bytes());
                cases.push(format!("{{{},\"\\u006b{dup}\":0}}", keys.join(",")).into_bytes());
            }
            let escaped: Vec<String> = (0..len).map(|i| format!("\"\\u006b{i}\":{i}")).collect();
            cases.push(format!("{{{},\"k{}\":0}}", escaped.join(","), len - 1).into_bytes());
        }
        cases
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        for case in edge_cases() {
            agree(&case);
        }
    }

    #[test]
    fn agrees_with_serde_json_on_the_seed_body_cut_anywhere() {
        agree(SEED);
        for end in 0..SEED.len() {
            agree(&SEED[..end]);
            agree(&SEED[end..]);
        }
        for end in 0..MIXED.len() {
            agree(&MIXED[..end]);
        }
    }

    /// A deterministic xorshift generator: the same mutants on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const SNIPPETS: &[&[u8]] = &[
        b"\\",
        b"\"",
        b"\\u",
        b"\\uD800",
        b"\\uDC00",
        b"\\ud83d\\ude00",
        b"\\n",
        b"0",
        b"-",
        b".",
        b"e",
        b"E",
        b"+",
        b"9",
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b" ",
        b"\n",
        b"\x00",
        b"\x1f",
        b"\xff",
        b"\xc3\xa9",
        b"\xc3",
        b"1e400",
        b"18446744073709551616",
        b"null",
        b"true",
        b"\"a\":1,",
        b"[[[[",
        b"]]]]",
    ];

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut bytes = seed.to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(5) {
                0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
                1 if at < bytes.len() => bytes[at] = SNIPPETS[rng.below(SNIPPETS.len())][0],
                2 => {
                    let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                    bytes.splice(at..at, snippet.iter().copied());
                }
                3 if at < bytes.len() => {
                    let end = (at + 1 + rng.below(8)).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {
                    let from = rng.below(bytes.len() + 1);
                    let end = (from + rng.below(64)).min(bytes.len());
                    let copy = bytes[from..end].to_vec();
                    bytes.splice(at..at, copy);
                }
            }
        }
        bytes
    }

    #[test]
    fn agrees_with_serde_json_on_mutated_bodies() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let seed = if round % 4 == 3 { MIXED } else { SEED };
            agree(&mutate(&mut rng, seed));
        }
    }

    /// Random number texts, valid and not, to compare float bits beyond the hand-picked ones.
    #[test]
    fn agrees_with_serde_json_on_random_numbers() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let digits = |rng: &mut Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect()
        };
        for _ in 0..20_000 {
            let mut text = String::new();
            if rng.below(2) == 0 {
                text.push('-');
            }
            let longest = if rng.below(4) == 0 { 30 } else { 18 };
            let len = 1 + rng.below(longest);
            text.push_str(&digits(&mut rng, len));
            if rng.below(2) == 0 {
                text.push('.');
                let len = rng.below(25);
                text.push_str(&digits(&mut rng, len));
            }
            if rng.below(2) == 0 {
                text.push(['e', 'E'][rng.below(2)]);
                text.push_str(["", "+", "-"][rng.below(3)]);
                let longest = if rng.below(8) == 0 { 12 } else { 3 };
                let len = 1 + rng.below(longest);
                text.push_str(&digits(&mut rng, len));
            }
            agree(text.as_bytes());
            agree(format!("[{text}]").as_bytes());
        }
    }

    #[test]
    fn messages_read_like_serde_json() {
        let cases: [(&[u8], &str); 18] = [
            (b"", "EOF while parsing a value at line 1 column 0"),
            (b"x", "expected value at line 1 column 1"),
            (b"{\"name\": 1", "EOF while parsing an object at line 1 column 10"),
            (b"{} x", "trailing characters at line 1 column 4"),
            (b"\"\\x\"", "invalid escape at line 1 column 3"),
            (
                b"\"\x01\"",
                "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 2",
            ),
            (b"\"\\ud800\"", "unexpected end of hex escape at line 1 column 8"),
            (b"\"\\udc00\"", "lone leading surrogate in hex escape at line 1 column 7"),
            (b"1e400", "number out of range at line 1 column 5"),
            (b"{1}", "key must be a string at line 1 column 2"),
            (b"{\"a\" 1}", "expected `:` at line 1 column 6"),
            (b"{\"a\":1 2}", "expected `,` or `}` at line 1 column 8"),
            (b"[1 2]", "expected `,` or `]` at line 1 column 4"),
            (b"[1,]", "trailing comma at line 1 column 4"),
            (b"\n\n  01", "invalid number at line 3 column 4"),
            (b"tru", "EOF while parsing a value at line 1 column 3"),
            (b"\"a\xff\"", "invalid unicode code point at line 1 column 3"),
            (
                b"{\"a\":1,\n\"a\":2}",
                "duplicate key `a` in an object at line 2 column 3",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(parse(input).unwrap_err().to_string(), message);
            assert_eq!(old_parse(input).unwrap_err(), message);
        }
        let deep = "[".repeat(200);
        let err = parse(deep.as_bytes()).unwrap_err().to_string();
        assert_eq!(err, "recursion limit exceeded at line 1 column 128");
        assert_eq!(old_parse(deep.as_bytes()).unwrap_err(), err);
    }

    #[test]
    fn numbers_are_classified_as_serde_json_does() {
        let number = |text: &str| match parse(text.as_bytes()).unwrap() {
            Json::Number(n) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(number("18446744073709551615"), Number::Unsigned(u64::MAX));
        assert_eq!(number("-9223372036854775808"), Number::Signed(i64::MIN));
        assert_eq!(
            number("18446744073709551616"),
            Number::Float(18446744073709551616.0)
        );
        assert_eq!(
            number("-9223372036854775809"),
            Number::Float(-9223372036854775809.0)
        );
        let Number::Float(negative_zero) = number("-0") else {
            panic!("-0 is not a float")
        };
        assert!(negative_zero == 0.0 && negative_zero.is_sign_negative());
        assert_eq!(number("1.0"), Number::Float(1.0));
    }
}
