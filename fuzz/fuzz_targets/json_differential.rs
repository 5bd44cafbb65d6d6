//! Bytes in, two parsers out: the mock's own JSON parser (`sent_mock::json::parse`) against
//! serde_json's, which it replaced.
//!
//! Both must accept and refuse the same bodies, except that serde_json's `Value` keeps the
//! last of two duplicate keys where the mock refuses them. On a body both accept, the values
//! must be equal, numbers as serde_json classifies them (`u64`, `i64`, else `f64`) and floats
//! to the bit; a string the mock borrows must lie inside the body and hold no escape. Every
//! message of the mock must name a position.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use sent_mock::json::{self, Json, Number};
use serde_json::Value;

fuzz_target!(|body: &[u8]| {
    let theirs = serde_json::from_slice::<Value>(body);
    match json::parse(body) {
        Ok(ours) => {
            let theirs = theirs.expect("the mock accepted a body serde_json refuses");
            same(&ours, &theirs, body);
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.contains(" at line "), "{message}");
            if !message.contains("duplicate key") {
                assert!(
                    theirs.is_err(),
                    "the mock refused a body serde_json accepts: {message}"
                );
            }
        }
    }
});

fn same(ours: &Json<'_>, theirs: &Value, body: &[u8]) {
    match (ours, theirs) {
        (Json::Null, Value::Null) => {}
        (Json::Bool(a), Value::Bool(b)) => assert_eq!(a, b),
        (Json::Number(n), Value::Number(m)) => match *n {
            Number::Unsigned(v) => assert_eq!(m.as_u64(), Some(v)),
            Number::Signed(v) => {
                assert!(v < 0 && !m.is_u64());
                assert_eq!(m.as_i64(), Some(v));
            }
            Number::Float(v) => {
                assert!(m.is_f64());
                assert_eq!(m.as_f64().map(f64::to_bits), Some(v.to_bits()));
            }
        },
        (Json::String(a), Value::String(b)) => {
            assert_eq!(a.as_ref(), b.as_str());
            borrowed_from(a, body);
        }
        (Json::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(b) {
                same(a, b, body);
            }
        }
        (Json::Object(a), Value::Object(b)) => {
            // No duplicates on the mock's side, so equal counts mean the same key set.
            assert_eq!(a.len(), b.len());
            for (key, value) in a {
                borrowed_from(key, body);
                let theirs = b.get(key.as_ref()).expect("a key serde_json did not read");
                same(value, theirs, body);
            }
        }
        (ours, theirs) => panic!("{} where serde_json read {theirs:?}", ours.kind()),
    }
}

/// A borrowed string is a slice of the body between quotes, without a backslash.
fn borrowed_from(text: &Cow<'_, str>, body: &[u8]) {
    if let Cow::Borrowed(text) = text {
        let start = (text.as_ptr() as usize)
            .checked_sub(body.as_ptr() as usize + 1)
            .expect("a borrowed string before the body")
            + 1;
        let end = start + text.len();
        assert!(end <= body.len(), "a borrowed string after the body");
        assert_eq!(body[start - 1], b'"');
        assert_eq!(body.get(end), Some(&b'"'));
        assert!(!text.contains('\\'));
    }
}
