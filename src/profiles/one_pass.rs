//! `POST /v3/profiles` bodies read in one pass: a body this reader fully understands becomes
//! a [`CreateProfile`] straight from its bytes, with no JSON document in between and no walk
//! of one (the document, its walks and its lookups were 40 000 of the 55 800 instructions
//! a fresh-key create cost the pipeline; the pass costs ~20 000).
//!
//! It takes only what it is sure of: one JSON object of the create body's own members, each
//! at most once, strings without escapes, no numbers, and every value valid by the rules of
//! `fields`, which it calls. Anything else (a syntax error, an escape, an unknown or repeated
//! member, a value a rule refuses, a `null` where the journal needs a string, a string a
//! scenario waits for) makes it give up, and the body goes the general way: a document and
//! `create::validate`, which alone words errors. So every answer is the general way's; a
//! test and the fuzz target `create_one_pass` hold the two to the same result.

use std::borrow::Cow;

use crate::clock::Timestamp;
use crate::json::plain_string_end;
use crate::secret::Secret;
use crate::validate::{is_e164, is_email, is_given, is_http_url};

use super::create::CreateProfile;
use super::fields::{
    description_fits, is_country_code, is_current_expiry, is_cvc, is_short_name, is_test_card,
    name_fits, BrandInput, DirectWaba, PaymentDetails, BRAND_RELATIONSHIPS, ENTITY_TYPES,
    VERTICALS,
};
use super::model::{
    BillingContact, BillingModel, BrandBusiness, BrandCompliance, BrandContact, DestinationCountry,
    Text,
};

/// A create body, valid, and where its secrets are in its bytes (for the journal, in the
/// order the general way's `Redaction::plan` finds them).
pub struct OnePass<'r> {
    pub input: CreateProfile<'r>,
    pub secrets: Vec<(u32, u32)>,
}

/// `body` as a valid create at `now`, or `None` for the general way. `may_match` tells the
/// string values a scenario's body condition waits for: a body with one must be matched
/// against a document.
pub fn read<'r>(
    body: &'r [u8],
    now: Timestamp,
    may_match: impl Fn(&str) -> bool,
) -> Option<OnePass<'r>> {
    // Secrets' places are kept as `u32`, and only whole UTF-8 text is sliced into strings.
    if u32::try_from(body.len()).is_err() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut r = Reader {
        text,
        bytes: body,
        pos: 0,
        // Room for a card's four members and an access token.
        secrets: Vec::with_capacity(8),
        may_match,
    };
    let input = root(&mut r, now)?;
    r.next();
    (r.pos == body.len()).then_some(OnePass {
        input,
        secrets: r.secrets,
    })
}

struct Reader<'r, M> {
    text: &'r str,
    bytes: &'r [u8],
    pos: usize,
    secrets: Vec<(u32, u32)>,
    may_match: M,
}

impl<'r, M: Fn(&str) -> bool> Reader<'r, M> {
    /// The next byte that is not JSON whitespace, left unread; NUL at the end (which is never
    /// what a caller looks for).
    #[inline(always)]
    fn next(&mut self) -> u8 {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                _ => return b,
            }
        }
        0
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.next() == byte).then(|| self.pos += 1)
    }

    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.pos..].starts_with(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    /// A string without escapes or control characters, and where its contents start.
    #[inline(always)]
    fn plain(&mut self) -> Option<(usize, &'r str)> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = plain_string_end(self.bytes, start).ok()?;
        self.pos = end + 1;
        Some((start, self.text.get(start..end)?))
    }

    /// A string value that `ok` takes and no scenario waits for.
    fn string(&mut self, ok: impl FnOnce(&str) -> bool) -> Option<&'r str> {
        let (_, value) = self.plain()?;
        (ok(value) && !(self.may_match)(value)).then_some(value)
    }

    /// [`Reader::string`] for a secret: its place goes to the journal's plan.
    fn secret(&mut self, ok: impl FnOnce(&str) -> bool) -> Option<Secret<Text<'r>>> {
        let (start, value) = self.plain()?;
        if !ok(value) || (self.may_match)(value) {
            return None;
        }
        // Both fit: the body's length does.
        self.secrets
            .push((start as u32, (start + value.len()) as u32));
        Some(Secret::new(Cow::Borrowed(value)))
    }

    /// `null` (`Some(None)`), or what `read` reads.
    fn or_null<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.next() == b'n' {
            return self.word(b"null").then_some(None);
        }
        read(self).map(Some)
    }

    /// An optional string member: a string `ok` takes, or `null`.
    fn text(&mut self, ok: impl FnOnce(&str) -> bool) -> Option<Option<Text<'r>>> {
        self.or_null(|r| r.string(ok).map(Cow::Borrowed))
    }

    /// A boolean, or `null`.
    fn flag(&mut self) -> Option<Option<bool>> {
        match self.next() {
            b't' => self.word(b"true").then_some(Some(true)),
            b'f' => self.word(b"false").then_some(Some(false)),
            b'n' => self.word(b"null").then_some(None),
            _ => None,
        }
    }

    /// An object: `member` reads the value of each key, and gives up on a key it does not know.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.next() == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let (_, key) = self.plain()?;
            self.eat(b':')?;
            member(self, key)?;
            match self.next() {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        if self.next() == b']' {
            self.pos += 1;
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            match self.next() {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }
}

/// Fills an empty slot; a member seen before (a duplicate key, which the general way refuses)
/// gives up.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// A required text: there and not blank, and `ok`.
fn given(ok: impl FnOnce(&str) -> bool) -> impl FnOnce(&str) -> bool {
    move |s| is_given(s) && ok(s)
}

fn any(_: &str) -> bool {
    true
}

fn one_of(allowed: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |s| allowed.contains(&s)
}

/// The top level, as `create::validate` reads it.
fn root<'r>(
    r: &mut Reader<'r, impl Fn(&str) -> bool>,
    now: Timestamp,
) -> Option<CreateProfile<'r>> {
    let mut name = None;
    let mut short_name = None;
    let mut description = None;
    let mut icon = None;
    // In the order of `FLAG_DEFAULTS`.
    let mut flags: [Option<Option<bool>>; 7] = [None; 7];
    let mut billing_model: Option<Option<BillingModel>> = None;
    let mut billing_contact = None;
    let mut payment_details = None;
    let mut waba = None;
    let mut brand = None;
    r.object(|r, key| match key {
        "name" => set(&mut name, r.string(given(name_fits))?),
        "short_name" => set(&mut short_name, r.text(is_short_name)?),
        "description" => set(&mut description, r.text(description_fits)?),
        "icon" => set(&mut icon, r.text(is_http_url)?),
        "billing_model" => {
            let model = match r.or_null(|r| r.string(any))? {
                Some(text) => Some(BillingModel::parse(text)?),
                None => None,
            };
            set(&mut billing_model, model)
        }
        "billing_contact" => set(&mut billing_contact, r.or_null(read_billing_contact)?),
        // Not `null`: the journal's plan wants every secret member a string.
        "payment_details" => set(&mut payment_details, read_payment_details(r, now)?),
        "whatsapp_business_account" => set(&mut waba, r.or_null(read_waba)?),
        "brand" => set(&mut brand, r.or_null(read_brand)?),
        _ => {
            // A `match` on the name, as above: a test of its length first.
            let at = match key {
                "allow_contact_sharing" => 0,
                "allow_template_sharing" => 1,
                "inherit_contacts" => 2,
                "inherit_templates" => 3,
                "inherit_tcr_brand" => INHERIT_TCR_BRAND,
                "inherit_tcr_campaign" => 5,
                "sandbox" => 6,
                _ => return None,
            };
            set(&mut flags[at], r.flag()?)
        }
    })?;
    let flag = |at: usize| flags[at].flatten().unwrap_or(FLAG_DEFAULTS[at]);
    let model = billing_model.flatten().unwrap_or(BillingModel::Profile);
    let inherit_tcr_brand = flag(INHERIT_TCR_BRAND);
    let brand = brand.flatten();
    // The rules between members, which only the whole body tells.
    if payment_details.is_some() && model == BillingModel::Organization
        || brand.is_some() && inherit_tcr_brand
    {
        return None;
    }
    Some(CreateProfile {
        name: Cow::Borrowed(name?),
        short_name: short_name.flatten(),
        description: description.flatten(),
        icon: icon.flatten(),
        allow_contact_sharing: flag(0),
        allow_template_sharing: flag(1),
        inherit_contacts: flag(2),
        inherit_templates: flag(3),
        inherit_tcr_brand,
        inherit_tcr_campaign: flag(5),
        billing_model: model,
        billing_contact: billing_contact.flatten(),
        whatsapp_business_account: waba.flatten(),
        payment_details,
        brand,
        sandbox: flag(6),
    })
}

/// The defaults of the top level's booleans, in the order of the `match` above:
/// `allow_contact_sharing`, `allow_template_sharing`, `inherit_contacts`, `inherit_templates`,
/// `inherit_tcr_brand`, `inherit_tcr_campaign`, `sandbox`.
const FLAG_DEFAULTS: [bool; 7] = [false, false, true, true, true, true, false];
const INHERIT_TCR_BRAND: usize = 4;

fn read_billing_contact<'r>(
    r: &mut Reader<'r, impl Fn(&str) -> bool>,
) -> Option<BillingContact<'r>> {
    let (mut name, mut email, mut phone, mut address) = (None, None, None, None);
    r.object(|r, key| match key {
        "name" => set(&mut name, r.string(given(any))?),
        "email" => set(&mut email, r.string(given(is_email))?),
        "phone" => set(&mut phone, r.text(is_e164)?),
        "address" => set(&mut address, r.text(any)?),
        _ => None,
    })?;
    Some(BillingContact {
        name: Cow::Borrowed(name?),
        email: Cow::Borrowed(email?),
        phone: phone.flatten(),
        address: address.flatten(),
    })
}

fn read_payment_details<'r>(
    r: &mut Reader<'r, impl Fn(&str) -> bool>,
    now: Timestamp,
) -> Option<PaymentDetails<'r>> {
    let (mut card_number, mut expiry, mut cvc, mut zip_code) = (None, None, None, None);
    r.object(|r, key| match key {
        "card_number" => set(&mut card_number, r.secret(given(is_test_card))?),
        "expiry" => set(&mut expiry, r.secret(given(|s| is_current_expiry(s, now)))?),
        "cvc" => set(&mut cvc, r.secret(given(is_cvc))?),
        "zip_code" => set(&mut zip_code, r.secret(given(any))?),
        _ => None,
    })?;
    Some(PaymentDetails {
        card_number: card_number?,
        expiry: expiry?,
        cvc: cvc?,
        zip_code: zip_code?,
    })
}

fn read_waba<'r>(r: &mut Reader<'r, impl Fn(&str) -> bool>) -> Option<DirectWaba<'r>> {
    let (mut waba_id, mut phone_number_id, mut access_token) = (None, None, None);
    r.object(|r, key| match key {
        "waba_id" => set(&mut waba_id, r.string(given(any))?),
        "phone_number_id" => set(&mut phone_number_id, r.text(any)?),
        "access_token" => set(&mut access_token, r.secret(given(any))?),
        _ => None,
    })?;
    Some(DirectWaba {
        waba_id: Cow::Borrowed(waba_id?),
        phone_number_id: phone_number_id.flatten(),
        access_token: access_token?,
    })
}

fn read_brand<'r>(r: &mut Reader<'r, impl Fn(&str) -> bool>) -> Option<BrandInput<'r>> {
    let (mut contact, mut business, mut compliance) = (None, None, None);
    r.object(|r, key| match key {
        "contact" => set(&mut contact, read_brand_contact(r)?),
        "business" => set(&mut business, r.or_null(read_brand_business)?),
        "compliance" => set(&mut compliance, read_brand_compliance(r)?),
        _ => None,
    })?;
    Some(BrandInput {
        contact: contact?,
        business: business.flatten(),
        compliance: compliance?,
    })
}

fn read_brand_contact<'r>(r: &mut Reader<'r, impl Fn(&str) -> bool>) -> Option<BrandContact<'r>> {
    let mut name = None;
    let [mut business_name, mut role, mut phone, mut email, mut phone_country_code] =
        [const { None }; 5];
    r.object(|r, key| match key {
        "name" => set(&mut name, r.string(given(any))?),
        "businessName" => set(&mut business_name, r.text(any)?),
        "role" => set(&mut role, r.text(any)?),
        "phone" => set(&mut phone, r.text(any)?),
        "email" => set(&mut email, r.text(is_email)?),
        "phoneCountryCode" => set(&mut phone_country_code, r.text(any)?),
        _ => None,
    })?;
    Some(BrandContact {
        name: Cow::Borrowed(name?),
        business_name: business_name.flatten(),
        role: role.flatten(),
        phone: phone.flatten(),
        email: email.flatten(),
        phone_country_code: phone_country_code.flatten(),
    })
}

fn read_brand_business<'r>(r: &mut Reader<'r, impl Fn(&str) -> bool>) -> Option<BrandBusiness<'r>> {
    let mut texts: [Option<Option<Text<'r>>>; 11] = Default::default();
    r.object(|r, key| {
        // In `BrandBusiness` order.
        let at = match key {
            "legalName" => 0,
            "taxId" => 1,
            "taxIdType" => 2,
            "entityType" => {
                let value = r.text(one_of(&ENTITY_TYPES))?;
                return set(&mut texts[3], value);
            }
            "street" => 4,
            "city" => 5,
            "state" => 6,
            "postalCode" => 7,
            "country" => 8,
            "url" => 9,
            "countryOfRegistration" => 10,
            _ => return None,
        };
        let value = r.text(any)?;
        set(&mut texts[at], value)
    })?;
    let [legal_name, tax_id, tax_id_type, entity_type, street, city, state, postal_code, country, url, country_of_registration] =
        texts.map(Option::flatten);
    Some(BrandBusiness {
        legal_name,
        tax_id,
        tax_id_type,
        entity_type,
        street,
        city,
        state,
        postal_code,
        country,
        url,
        country_of_registration,
    })
}

fn read_brand_compliance<'r>(
    r: &mut Reader<'r, impl Fn(&str) -> bool>,
) -> Option<BrandCompliance<'r>> {
    let (mut vertical, mut relationship, mut is_tcr_application, mut countries) =
        (None, None, None, None);
    let [mut primary_use_case, mut volume, mut prefix, mut notes] = [const { None }; 4];
    r.object(|r, key| match key {
        "vertical" => set(&mut vertical, r.string(one_of(&VERTICALS))?),
        "brandRelationship" => set(&mut relationship, r.string(one_of(&BRAND_RELATIONSHIPS))?),
        "primaryUseCase" => set(&mut primary_use_case, r.text(any)?),
        "expectedMessagingVolume" => set(&mut volume, r.text(any)?),
        "isTcrApplication" => set(&mut is_tcr_application, r.flag()?),
        "phoneNumberPrefix" => set(&mut prefix, r.text(any)?),
        "destinationCountries" => set(
            &mut countries,
            r.or_null(|r| r.array(read_destination_country))?,
        ),
        "notes" => set(&mut notes, r.text(any)?),
        _ => None,
    })?;
    Some(BrandCompliance {
        vertical: Cow::Borrowed(vertical?),
        brand_relationship: Cow::Borrowed(relationship?),
        primary_use_case: primary_use_case.flatten(),
        expected_messaging_volume: volume.flatten(),
        is_tcr_application: is_tcr_application.flatten().unwrap_or(false),
        phone_number_prefix: prefix.flatten(),
        destination_countries: countries.flatten().unwrap_or_default(),
        notes: notes.flatten(),
    })
}

fn read_destination_country<'r>(
    r: &mut Reader<'r, impl Fn(&str) -> bool>,
) -> Option<DestinationCountry<'r>> {
    let (mut id, mut is_main) = (None, None);
    r.object(|r, key| match key {
        "id" => set(&mut id, r.string(given(is_country_code))?),
        "isMain" => set(&mut is_main, r.flag()?),
        _ => None,
    })?;
    Some(DestinationCountry {
        id: Cow::Borrowed(id?),
        is_main: is_main.flatten().unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    //! The one pass against the general way (a document, `create::validate`,
    //! `Redaction::plan`) on the bodies a client sends and on thousands of changed ones: when
    //! the pass takes a body, the general way must take it too, to the same values and the
    //! same secrets.

    use chrono::{TimeZone, Utc};
    use serde_json::{json, Value};

    use super::*;
    use crate::journal::Redaction;
    use crate::json;
    use crate::profiles::create;

    fn now() -> Timestamp {
        Timestamp(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap())
    }

    /// Whether the pass took `body`; panics unless the general way takes it too, to the same
    /// create and the same plan for the journal.
    fn same(body: &[u8]) -> bool {
        let Some(read) = read(body, now(), |_| false) else {
            return false;
        };
        let text = String::from_utf8_lossy(body);
        let doc = json::parse(body).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert!(matches!(doc, json::Json::Object(_)), "{text}");
        let input = create::validate(&doc, now()).unwrap_or_else(|e| panic!("{e:?}: {text}"));
        // `==` compares the secrets too, which `Debug` hides.
        assert!(read.input == input, "{text}");
        assert_eq!(
            Some(Redaction::of_spans(read.secrets)),
            Redaction::plan(body, &doc),
            "{text}"
        );
        true
    }

    fn seed() -> Value {
        let text = include_str!("../../tests/data/create-request.json").replace("09/27", "09/49");
        serde_json::from_str(&text).unwrap()
    }

    /// Bodies a client sends: the seed page's, the smallest, and others between.
    fn bodies() -> Vec<Value> {
        let mut organization = seed();
        organization["billing_model"] = json!("organization");
        organization
            .as_object_mut()
            .unwrap()
            .remove("payment_details");
        let mut inherit = seed();
        inherit["inherit_tcr_brand"] = json!(null);
        inherit.as_object_mut().unwrap().remove("brand");
        let mut nulls = seed();
        for member in [
            "short_name",
            "description",
            "icon",
            "billing_model",
            "sandbox",
        ] {
            nulls[member] = Value::Null;
        }
        nulls["brand"]["business"] = Value::Null;
        nulls["brand"]["compliance"]["destinationCountries"] =
            json!([{"id": "US", "isMain": true}, {"id": "CA"}, {"id": "MX", "isMain": null}]);
        nulls["billing_contact"]["phone"] = Value::Null;
        vec![
            seed(),
            json!({"name": "Sales"}),
            json!({"name": " x ", "billing_contact": null, "whatsapp_business_account": null}),
            organization,
            inherit,
            nulls,
        ]
    }

    /// Values that some rule takes and some refuses.
    const STRINGS: &[&str] = &[
        "",
        " ",
        "x",
        "Sales Team",
        "SALES",
        "ab",
        "A1 b",
        "é",
        "mock:slow",
        "a\\u0041",
        "+12025551234",
        "12025551234",
        "billing@acmecorp.com",
        "not an email",
        "a@b",
        "https://acmecorp.com",
        "ftp://acmecorp.com",
        "https://",
        "US",
        "us",
        "USA",
        "4242424242424242",
        "4242424242424241",
        "378282246310005",
        "09/49",
        "01/20",
        "13/30",
        "11/26",
        "10/26",
        "123",
        "1234",
        "12345",
        "12a",
        "PROFESSIONAL",
        "professional",
        "SMALL_ACCOUNT",
        "NON_PROFIT",
        "organization",
        "profile",
        "profile_and_organization",
    ];

    /// A small deterministic generator (xorshift), so a failure comes back the same way.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, sides: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % sides as u64) as usize
        }
    }

    /// The places of a document's values, as paths of member names and array indices.
    fn places(value: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(at.clone());
        match value {
            Value::Object(members) => {
                for (name, member) in members {
                    at.push(json!(name));
                    places(member, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(json!(i));
                    places(item, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    fn at<'v>(value: &'v mut Value, path: &[Value]) -> &'v mut Value {
        path.iter().fold(value, |node, step| match step {
            Value::String(name) => &mut node[name.as_str()],
            _ => &mut node[step.as_u64().unwrap() as usize],
        })
    }

    /// One change to a document: a value replaced, a member removed or added.
    fn change(doc: &mut Value, dice: &mut Dice) {
        let mut all = Vec::new();
        places(doc, &mut Vec::new(), &mut all);
        let path = all[dice.roll(all.len())].clone();
        let replacement = match dice.roll(12) {
            0..=5 => json!(STRINGS[dice.roll(STRINGS.len())]),
            6 => Value::Null,
            7 => json!(dice.roll(2) == 0),
            8 => json!(dice.roll(100)),
            9 => json!([]),
            10 => json!({}),
            _ => json!("x".repeat(95 + dice.roll(10) * 50)),
        };
        match (dice.roll(4), path.split_last()) {
            (0, Some((Value::String(name), parent))) => {
                if let Some(members) = at(doc, parent).as_object_mut() {
                    members.remove(name);
                }
            }
            (1, _) => {
                if let Some(members) = at(doc, &path).as_object_mut() {
                    let names = ["name", "cvc", "expiry", "isMain", "id", "brand", "extra"];
                    members.insert(names[dice.roll(names.len())].to_owned(), replacement);
                }
            }
            _ => *at(doc, &path) = replacement,
        }
    }

    /// One change to the bytes: whitespace, a repeated member, a cut, a byte replaced.
    fn damage(bytes: &mut Vec<u8>, dice: &mut Dice) {
        let place = dice.roll(bytes.len() + 1);
        match dice.roll(5) {
            0 => {
                let space = [b" ".as_slice(), b"\n\t\r ", b"\x0c"][dice.roll(3)];
                bytes.splice(place..place, space.iter().copied());
            }
            1 => {
                // The first member again, at the end: a duplicate key.
                let end = bytes.iter().position(|&b| b == b',').unwrap_or(1);
                let member = bytes[1..end].to_vec();
                let close = bytes.iter().rposition(|&b| b == b'}').unwrap_or(0);
                bytes.splice(close..close, [b",".as_slice(), &member].concat());
            }
            2 => bytes.truncate(place),
            3 => {
                let byte = [0, b'"', b'\\', b'}', b',', 0x80, 0xc3, b'1', b'n'][dice.roll(9)];
                if place < bytes.len() {
                    bytes[place] = byte;
                }
            }
            _ => bytes.extend_from_slice([b"".as_slice(), b" ", b"x", b"\0", b"{}"][dice.roll(5)]),
        }
    }

    #[test]
    fn bodies_clients_send_are_read_in_one_pass_as_the_general_way_reads_them() {
        for body in bodies() {
            let text = serde_json::to_vec(&body).unwrap();
            assert!(same(&text), "{body}");
            let pretty = serde_json::to_vec_pretty(&body).unwrap();
            assert!(same(&pretty), "{body:#}");
        }
    }

    #[test]
    fn changed_bodies_are_taken_as_the_general_way_takes_them_or_left_to_it() {
        let mut dice = Dice(0x5eed_1e55);
        let (mut taken, mut tried) = (0, 0);
        for body in bodies() {
            for _ in 0..3000 {
                let mut doc = body.clone();
                for _ in 0..=dice.roll(2) {
                    change(&mut doc, &mut dice);
                }
                let mut bytes = serde_json::to_vec(&doc).unwrap();
                if dice.roll(3) == 0 {
                    damage(&mut bytes, &mut dice);
                }
                tried += 1;
                taken += usize::from(same(&bytes));
            }
        }
        // Enough of both kinds for the comparison to mean something.
        assert!(taken * 5 > tried, "{taken} of {tried} taken");
        assert!(taken * 10 < tried * 9, "{taken} of {tried} taken");
    }

    #[test]
    fn a_string_a_scenario_waits_for_sends_the_body_the_general_way() {
        let body = serde_json::to_vec(&seed()).unwrap();
        assert!(read(&body, now(), |s| s == "Acme Corp").is_none());
        assert!(read(&body, now(), |s| s == "4111111111111111").is_none());
        assert!(read(&body, now(), |s| s == "mock:slow").is_some());
    }

    #[test]
    fn the_general_way_alone_words_errors() {
        for body in [
            &br#"{"name": ""}"#[..],
            br#"{"name": "a", "name": "b"}"#,
            br#"{"name": "a", "extra": 1}"#,
            br#"{"name": "a\u0041"}"#,
            br#"{"name": "a"} x"#,
            br#"{"name": "a", "payment_details": null}"#,
            br#"{"name": "a", "brand": {"contact": {"name": "b"}}}"#,
        ] {
            let text = String::from_utf8_lossy(body);
            assert!(read(body, now(), |_| false).is_none(), "{text}");
        }
    }
}
