//! The field rules of a profile body (CONTRACT §5.3), shared by create and update.
//!
//! Each function reads one member of the body, records every problem under its field path and
//! returns the typed value. Create and update differ only in what they do with absent and
//! `null` members, so the rules themselves are written once, here. Messages quote no value a
//! client sent: a card number in a message would be a leak.

use std::borrow::Cow;

use uuid::Uuid;

use crate::clock::Timestamp;
use crate::secret::Secret;
use crate::validate::{char_len, is_e164, is_email, is_given, is_http_url, Object, Problems, Read};

use super::model::{
    BillingContact, BillingModel, BrandBusiness, BrandCompliance, BrandContact, DestinationCountry,
    Text,
};

pub const NAME_REQUIRED: &str = "Profile name is required";
pub const SHORT_NAME_RULE: &str = "short_name must be 3–11 characters, contain only letters, numbers, and spaces, and include at least one letter";
pub const EXPIRY_FORMAT: &str = "payment_details.expiry must be in MM/YY format (e.g. '09/27')";

const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 500;

// The rules on values, each written once: the readers below and the one-pass reader of a
// create body (`body`) both call them.

pub fn name_fits(s: &str) -> bool {
    char_len(s) <= NAME_MAX
}

pub fn is_short_name(s: &str) -> bool {
    (3..=11).contains(&char_len(s))
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

pub fn description_fits(s: &str) -> bool {
    char_len(s) <= DESCRIPTION_MAX
}

/// A card the sandbox takes: a valid number that is one of the test cards.
pub fn is_test_card(s: &str) -> bool {
    is_card_number(s) && TEST_CARDS.contains(&s)
}

/// `MM/YY`, and not before the month of `now`.
pub fn is_current_expiry(s: &str, now: Timestamp) -> bool {
    parse_expiry(s).is_some_and(|month_index| month_index >= now.month_index())
}

pub fn is_cvc(s: &str) -> bool {
    (3..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Two capital letters (`US`).
pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The public test card numbers; the sandbox takes no other card (CONTRACT §5.3).
pub const TEST_CARDS: [&str; 13] = [
    "4242424242424242",
    "4111111111111111",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "3566002020360505",
    "6200000000000005",
];

pub const VERTICALS: [&str; 23] = [
    "PROFESSIONAL",
    "REAL_ESTATE",
    "HEALTHCARE",
    "HUMAN_RESOURCES",
    "ENERGY",
    "ENTERTAINMENT",
    "RETAIL",
    "TRANSPORTATION",
    "AGRICULTURE",
    "INSURANCE",
    "POSTAL",
    "EDUCATION",
    "HOSPITALITY",
    "FINANCIAL",
    "POLITICAL",
    "GAMBLING",
    "LEGAL",
    "CONSTRUCTION",
    "NGO",
    "MANUFACTURING",
    "GOVERNMENT",
    "TECHNOLOGY",
    "COMMUNICATION",
];

pub const BRAND_RELATIONSHIPS: [&str; 5] = [
    "BASIC_ACCOUNT",
    "SMALL_ACCOUNT",
    "MEDIUM_ACCOUNT",
    "LARGE_ACCOUNT",
    "KEY_ACCOUNT",
];

pub const ENTITY_TYPES: [&str; 5] = [
    "PRIVATE_PROFIT",
    "PUBLIC_PROFIT",
    "NON_PROFIT",
    "SOLE_PROPRIETOR",
    "GOVERNMENT",
];

/// Direct WhatsApp credentials. The token is checked, then dropped: it is never kept.
#[derive(Debug, PartialEq)]
pub struct DirectWaba<'d> {
    pub waba_id: Text<'d>,
    pub phone_number_id: Option<Text<'d>>,
    pub access_token: Secret<Text<'d>>,
}

/// Card details, checked and then forwarded nowhere: the sandbox keeps none of them.
#[derive(Debug, PartialEq)]
pub struct PaymentDetails<'d> {
    pub card_number: Secret<Text<'d>>,
    pub expiry: Secret<Text<'d>>,
    pub cvc: Secret<Text<'d>>,
    pub zip_code: Secret<Text<'d>>,
}

/// A brand as the request describes it; ids and timestamps are added when it is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct BrandInput<'d> {
    pub contact: BrandContact<'d>,
    pub business: Option<BrandBusiness<'d>>,
    pub compliance: BrandCompliance<'d>,
}

/// A string member as profile text, still borrowed from the body.
fn owned(read: Read<&str>) -> Read<Text<'_>> {
    read.map(Cow::Borrowed)
}

/// An optional string member: `Some` when given, `None` for absent or null.
fn text<'d>(obj: &Object<'d, '_>, p: &mut Problems, name: &str) -> Option<Text<'d>> {
    obj.string(p, name).value().map(Cow::Borrowed)
}

/// `name`: a string, not blank, at most 100 characters. Absent and null are left to the
/// caller, because create requires the field and update does not.
pub fn name<'d>(obj: &Object<'d, '_>, p: &mut Problems) -> Read<Text<'d>> {
    match obj.string(p, "name") {
        Read::Value(s) if !is_given(s) => {
            p.add("name", NAME_REQUIRED);
            Read::Invalid
        }
        read => owned(read).check(
            p,
            "name",
            |s| name_fits(s),
            || format!("name must be at most {NAME_MAX} characters"),
        ),
    }
}

pub fn short_name<'d>(obj: &Object<'d, '_>, p: &mut Problems) -> Read<Text<'d>> {
    owned(obj.string(p, "short_name")).check(
        p,
        "short_name",
        |s| is_short_name(s),
        || SHORT_NAME_RULE.to_owned(),
    )
}

pub fn description<'d>(obj: &Object<'d, '_>, p: &mut Problems) -> Read<Text<'d>> {
    owned(obj.string(p, "description")).check(
        p,
        "description",
        |s| description_fits(s),
        || format!("description must be at most {DESCRIPTION_MAX} characters"),
    )
}

pub fn icon<'d>(obj: &Object<'d, '_>, p: &mut Problems) -> Read<Text<'d>> {
    owned(obj.string(p, "icon")).check(
        p,
        "icon",
        |s| is_http_url(s),
        || "icon must be an absolute http or https URL".to_owned(),
    )
}

pub fn billing_model(obj: &Object<'_, '_>, p: &mut Problems) -> Read<BillingModel> {
    match obj.string(p, "billing_model") {
        Read::Value(s) => match BillingModel::parse(s) {
            Some(model) => Read::Value(model),
            None => {
                p.add(
                    "billing_model",
                    format!("billing_model must be one of: {}", BillingModel::NAMES),
                );
                Read::Invalid
            }
        },
        other => other.map(|_| BillingModel::Profile),
    }
}

pub fn billing_contact<'d>(obj: &Object<'d, '_>, p: &mut Problems) -> Read<BillingContact<'d>> {
    let contact = match obj.object(p, "billing_contact").given() {
        Ok(contact) => contact,
        Err(absent) => return absent,
    };
    let name = contact.required_string(p, "name", |path| format!("{path} is required"));
    let email = contact.required_string(p, "email", |path| format!("{path} is required"));
    let email_ok = match email {
        Some(email) if !is_email(email) => {
            p.add(
                contact.path("email"),
                "billing_contact.email must be a valid email address",
            );
            false
        }
        _ => true,
    };
    let phone = contact.string(p, "phone").check(
        p,
        "billing_contact.phone",
        |s| is_e164(s),
        || "billing_contact.phone must be in E.164 format (e.g. '+12025551234')".to_owned(),
    );
    let phone_ok = !matches!(phone, Read::Invalid);
    let address = text(&contact, p, "address");
    match (name, email) {
        (Some(name), Some(email)) if email_ok && phone_ok => Read::Value(BillingContact {
            name: Cow::Borrowed(name),
            email: Cow::Borrowed(email),
            phone: phone.value().map(Cow::Borrowed),
            address,
        }),
        _ => Read::Invalid,
    }
}

/// `payment_details`, allowed only when the profile itself is billed (`model` is the billing
/// model the profile will have).
pub fn payment_details<'d>(
    obj: &Object<'d, '_>,
    p: &mut Problems,
    model: BillingModel,
    now: Timestamp,
) -> Read<PaymentDetails<'d>> {
    if model == BillingModel::Organization
        && obj.member("payment_details").is_some_and(|v| !v.is_null())
    {
        p.add(
            "payment_details",
            "payment_details is not allowed when billing_model is 'organization'",
        );
        return Read::Invalid;
    }
    let card = match obj.object(p, "payment_details").given() {
        Ok(card) => card,
        Err(absent) => return absent,
    };
    let required = |path: &str| format!("{path} is required");

    let number = card.required_string(p, "card_number", required);
    let number_ok = match number {
        Some(n) if !is_card_number(n) => {
            p.add(
                "payment_details.card_number",
                "payment_details.card_number must be 13–19 digits and pass the Luhn check",
            );
            false
        }
        Some(n) if !TEST_CARDS.contains(&n) => {
            p.add(
                "payment_details.card_number",
                format!(
                    "payment_details.card_number must be a test card number in this sandbox, such as {}",
                    TEST_CARDS[0]
                ),
            );
            false
        }
        _ => true,
    };

    let expiry = card.required_string(p, "expiry", required);
    let expiry_ok = match expiry.map(parse_expiry) {
        Some(None) => {
            p.add("payment_details.expiry", EXPIRY_FORMAT);
            false
        }
        Some(Some(month_index)) if month_index < now.month_index() => {
            p.add(
                "payment_details.expiry",
                "payment_details.expiry must not be in the past",
            );
            false
        }
        _ => true,
    };

    let cvc = card.required_string(p, "cvc", required);
    let cvc_ok = match cvc {
        Some(c) if !is_cvc(c) => {
            p.add(
                "payment_details.cvc",
                "payment_details.cvc must be 3–4 digits",
            );
            false
        }
        _ => true,
    };

    let zip = card.required_string(p, "zip_code", required);
    match (number, expiry, cvc, zip) {
        (Some(number), Some(expiry), Some(cvc), Some(zip)) if number_ok && expiry_ok && cvc_ok => {
            Read::Value(PaymentDetails {
                card_number: Secret::new(Cow::Borrowed(number)),
                expiry: Secret::new(Cow::Borrowed(expiry)),
                cvc: Secret::new(Cow::Borrowed(cvc)),
                zip_code: Secret::new(Cow::Borrowed(zip)),
            })
        }
        _ => Read::Invalid,
    }
}

pub fn whatsapp_business_account<'d>(
    obj: &Object<'d, '_>,
    p: &mut Problems,
) -> Read<DirectWaba<'d>> {
    let waba = match obj.object(p, "whatsapp_business_account").given() {
        Ok(waba) => waba,
        Err(absent) => return absent,
    };
    let required = |path: &str| format!("{path} is required");
    let waba_id = waba.required_string(p, "waba_id", required);
    let access_token = waba.required_string(p, "access_token", required);
    let phone_number_id = text(&waba, p, "phone_number_id");
    match (waba_id, access_token) {
        (Some(waba_id), Some(token)) => Read::Value(DirectWaba {
            waba_id: Cow::Borrowed(waba_id),
            phone_number_id,
            access_token: Secret::new(Cow::Borrowed(token)),
        }),
        _ => Read::Invalid,
    }
}

/// `brand`, allowed only when the profile does not inherit its TCR brand
/// (`inherit_tcr_brand` is the value the profile will have).
pub fn brand<'d>(
    obj: &Object<'d, '_>,
    p: &mut Problems,
    inherit_tcr_brand: bool,
) -> Read<BrandInput<'d>> {
    if inherit_tcr_brand && obj.member("brand").is_some_and(|v| !v.is_null()) {
        p.add(
            "brand",
            "brand is only allowed when inherit_tcr_brand is false (it defaults to true)",
        );
        return Read::Invalid;
    }
    let brand = match obj.object(p, "brand").given() {
        Ok(brand) => brand,
        Err(absent) => return absent,
    };
    let contact = brand_contact(&brand, p);
    let business = match brand.object(p, "business") {
        Read::Value(business) => brand_business(&business, p).map(Some).ok_or(()),
        Read::Invalid => Err(()),
        Read::Absent | Read::Null => Ok(None),
    };
    let compliance = brand_compliance(&brand, p);
    match (contact, business, compliance) {
        (Some(contact), Ok(business), Some(compliance)) => Read::Value(BrandInput {
            contact,
            business,
            compliance,
        }),
        _ => Read::Invalid,
    }
}

fn required_object<'d, 'a>(
    parent: &Object<'d, 'a>,
    p: &mut Problems,
    name: &'static str,
) -> Option<Object<'d, 'a>> {
    match parent.object(p, name) {
        Read::Value(obj) => Some(obj),
        Read::Invalid => None,
        Read::Absent | Read::Null => {
            let path = parent.path(name);
            p.add(&path, format!("{path} is required"));
            None
        }
    }
}

fn brand_contact<'d>(brand: &Object<'d, '_>, p: &mut Problems) -> Option<BrandContact<'d>> {
    let contact = required_object(brand, p, "contact")?;
    let name = contact.required_string(p, "name", |path| format!("{path} is required"));
    let email = contact.string(p, "email");
    let email_ok = match email {
        Read::Value(e) if !is_email(e) => {
            let path = contact.path("email");
            p.add(&path, format!("{path} must be a valid email address"));
            false
        }
        _ => true,
    };
    let value = BrandContact {
        name: Cow::Borrowed(name.unwrap_or_default()),
        business_name: text(&contact, p, "businessName"),
        role: text(&contact, p, "role"),
        phone: text(&contact, p, "phone"),
        email: email.value().map(Cow::Borrowed),
        phone_country_code: text(&contact, p, "phoneCountryCode"),
    };
    (name.is_some() && email_ok).then_some(value)
}

/// The business section; `None` inside when one of its members is wrong.
fn brand_business<'d>(business: &Object<'d, '_>, p: &mut Problems) -> Option<BrandBusiness<'d>> {
    let entity_type = one_of(business, p, "entityType", &ENTITY_TYPES);
    let value = BrandBusiness {
        legal_name: text(business, p, "legalName"),
        tax_id: text(business, p, "taxId"),
        tax_id_type: text(business, p, "taxIdType"),
        entity_type: entity_type.clone().value(),
        street: text(business, p, "street"),
        city: text(business, p, "city"),
        state: text(business, p, "state"),
        postal_code: text(business, p, "postalCode"),
        country: text(business, p, "country"),
        url: text(business, p, "url"),
        country_of_registration: text(business, p, "countryOfRegistration"),
    };
    (!matches!(entity_type, Read::Invalid)).then_some(value)
}

fn brand_compliance<'d>(brand: &Object<'d, '_>, p: &mut Problems) -> Option<BrandCompliance<'d>> {
    let compliance = required_object(brand, p, "compliance")?;
    let vertical = required_one_of(&compliance, p, "vertical", &VERTICALS);
    let relationship = required_one_of(&compliance, p, "brandRelationship", &BRAND_RELATIONSHIPS);
    let countries = destination_countries(&compliance, p);
    Some(BrandCompliance {
        vertical: vertical?,
        brand_relationship: relationship?,
        primary_use_case: text(&compliance, p, "primaryUseCase"),
        expected_messaging_volume: text(&compliance, p, "expectedMessagingVolume"),
        is_tcr_application: compliance
            .bool(p, "isTcrApplication")
            .value()
            .unwrap_or(false),
        phone_number_prefix: text(&compliance, p, "phoneNumberPrefix"),
        destination_countries: countries?,
        notes: text(&compliance, p, "notes"),
    })
}

fn destination_countries<'d>(
    compliance: &Object<'d, '_>,
    p: &mut Problems,
) -> Option<Vec<DestinationCountry<'d>>> {
    let items = match compliance.array(p, "destinationCountries") {
        Read::Value(items) => items,
        Read::Invalid => return None,
        Read::Absent | Read::Null => return Some(Vec::new()),
    };
    let mut countries = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let country = compliance.item("destinationCountries", i, item);
        if !country.is_object() {
            let path = country.own_path();
            p.add(&path, format!("{path} must be an object"));
            ok = false;
            continue;
        }
        let id = country.required_string(p, "id", |path| {
            format!("{path} must be a two-letter country code (e.g. 'US')")
        });
        let id = match id {
            Some(id) if is_country_code(id) => Some(id),
            Some(_) => {
                let path = country.path("id");
                p.add(
                    &path,
                    format!("{path} must be a two-letter country code (e.g. 'US')"),
                );
                None
            }
            None => None,
        };
        let is_main = country.bool(p, "isMain");
        match (id, &is_main) {
            (Some(id), Read::Value(_) | Read::Absent | Read::Null) => {
                countries.push(DestinationCountry {
                    id: Cow::Borrowed(id),
                    is_main: is_main.value().unwrap_or(false),
                })
            }
            _ => ok = false,
        }
    }
    ok.then_some(countries)
}

/// An E.164 phone number member (`sending_phone_number`, `whatsapp_phone_number`).
pub fn phone_number<'d>(obj: &Object<'d, '_>, p: &mut Problems, name: &str) -> Read<Text<'d>> {
    owned(obj.string(p, name)).check_member(
        p,
        obj,
        name,
        |s| is_e164(s),
        |path| format!("{path} must be in E.164 format (e.g. '+12025551234')"),
    )
}

/// A member naming another profile by id; whether that profile exists is the caller's check.
pub fn profile_reference(obj: &Object<'_, '_>, p: &mut Problems, name: &str) -> Read<Uuid> {
    match obj.string(p, name) {
        Read::Value(text) => match Uuid::try_parse(text) {
            Ok(id) => Read::Value(id),
            Err(_) => {
                let path = obj.path(name);
                p.add(&path, format!("{path} must be a profile id (a UUID)"));
                Read::Invalid
            }
        },
        other => other.map(|_| Uuid::nil()),
    }
}

/// An optional enum member, exact and case-sensitive.
fn one_of<'d>(
    obj: &Object<'d, '_>,
    p: &mut Problems,
    name: &str,
    allowed: &[&str],
) -> Read<Text<'d>> {
    owned(obj.string(p, name)).check_member(
        p,
        obj,
        name,
        |s| allowed.contains(&s.as_ref()),
        |path| format!("{path} must be one of: {}", allowed.join(", ")),
    )
}

fn required_one_of<'d>(
    obj: &Object<'d, '_>,
    p: &mut Problems,
    name: &str,
    allowed: &[&str],
) -> Option<Text<'d>> {
    match one_of(obj, p, name, allowed) {
        Read::Value(v) => Some(v),
        Read::Invalid => None,
        Read::Absent | Read::Null => {
            let path = obj.path(name);
            p.add(&path, format!("{path} is required"));
            None
        }
    }
}

/// 13–19 digits passing the Luhn check.
fn is_card_number(s: &str) -> bool {
    if !(13..=19).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// `MM/YY` → months since year 0 of the card's last valid month, or `None` if malformed.
fn parse_expiry(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b'/' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return None;
    }
    let month = i32::from(b[0] - b'0') * 10 + i32::from(b[1] - b'0');
    let year = 2000 + i32::from(b[3] - b'0') * 10 + i32::from(b[4] - b'0');
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_test_card_passes_the_luhn_check() {
        for card in TEST_CARDS {
            assert!(is_card_number(card), "{card}");
        }
        assert!(!is_card_number("4242424242424241"));
        assert!(!is_card_number("424242424242"));
        assert!(!is_card_number("4242 4242 4242 4242"));
    }

    #[test]
    fn expiry_is_month_slash_two_digit_year() {
        assert_eq!(parse_expiry("09/27"), Some(2027 * 12 + 8));
        for bad in ["9/27", "13/27", "00/27", "09-27", "09/2027", "ab/cd"] {
            assert_eq!(parse_expiry(bad), None, "{bad}");
        }
    }
}
