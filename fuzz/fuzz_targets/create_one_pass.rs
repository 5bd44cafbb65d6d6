//! The one-pass reading of a create body against the general way, on arbitrary bytes: a body
//! that `profiles::one_pass` takes must parse into a JSON object, validate, and come out as
//! the same create with the same plan for the journal's secrets. (Bodies it gives up on go
//! the general way in the server, so they need no check here.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use sent_mock::clock::Clock;
use sent_mock::journal::Redaction;
use sent_mock::json::{self, Json};
use sent_mock::profiles::{create, one_pass};

fuzz_target!(|body: &[u8]| {
    let now = Clock::default().now();
    let Some(read) = one_pass::read(body, now, |_| false) else {
        return;
    };
    let doc = json::parse(body).expect("a body read in one pass parses");
    assert!(matches!(doc, Json::Object(_)));
    let input = create::validate(&doc, now).expect("a body read in one pass validates");
    assert!(read.input == input, "a different create");
    assert_eq!(Some(Redaction::of_spans(read.secrets)), Redaction::plan(body, &doc));
});
