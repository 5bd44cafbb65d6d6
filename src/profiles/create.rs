//! `POST /v3/profiles`: create a profile (CONTRACT §5).
//!
//! Same shape as every endpoint: [`validate`] turns the body into a [`CreateProfile`] whose
//! fields are already checked, [`check_rules`] applies the business rules (§5.4), and
//! [`execute`] keeps the profile, unless it is a sandbox request, and answers it.

use crate::clock::Timestamp;
use crate::directory::Organization;
use crate::error::{messages, ApiError};
use crate::ids::Ids;
use crate::json::Json;
use crate::pipeline::Context;
use crate::response::{self, Reply};
use crate::validate::{Object, Problems, Read};

use super::fields::{self, BrandInput, DirectWaba, PaymentDetails, NAME_REQUIRED};
use super::model::{BillingContact, BillingModel, Brand, Profile, ProfileStatus, Text};
use super::store::{ProfileStore, StoredProfile};

/// A create request after validation: every value typed and checked.
#[derive(Debug, PartialEq)]
pub struct CreateProfile<'d> {
    pub name: Text<'d>,
    pub short_name: Option<Text<'d>>,
    pub description: Option<Text<'d>>,
    pub icon: Option<Text<'d>>,
    pub allow_contact_sharing: bool,
    pub allow_template_sharing: bool,
    pub inherit_contacts: bool,
    pub inherit_templates: bool,
    pub inherit_tcr_brand: bool,
    pub inherit_tcr_campaign: bool,
    pub billing_model: BillingModel,
    pub billing_contact: Option<BillingContact<'d>>,
    /// Checked and dropped: a direct account's token is never kept.
    pub whatsapp_business_account: Option<DirectWaba<'d>>,
    /// Checked and dropped: the sandbox forwards card data nowhere.
    pub payment_details: Option<PaymentDetails<'d>>,
    pub brand: Option<BrandInput<'d>>,
    pub sandbox: bool,
}

/// Every field rule of §5.3, all problems reported together.
pub fn validate<'d>(body: &'d Json<'_>, now: Timestamp) -> Result<CreateProfile<'d>, ApiError> {
    let obj = Object::root(body);
    let mut problems = Problems::default();
    let p = &mut problems;

    let name = match fields::name(&obj, p) {
        Read::Value(name) => name,
        Read::Absent | Read::Null => {
            p.add("name", NAME_REQUIRED);
            Text::Borrowed("")
        }
        Read::Invalid => Text::Borrowed(""),
    };
    let short_name = fields::short_name(&obj, p).value();
    let description = fields::description(&obj, p).value();
    let icon = fields::icon(&obj, p).value();
    let mut flag = |name: &str, default: bool| obj.bool(p, name).value().unwrap_or(default);
    let allow_contact_sharing = flag("allow_contact_sharing", false);
    let allow_template_sharing = flag("allow_template_sharing", false);
    let inherit_contacts = flag("inherit_contacts", true);
    let inherit_templates = flag("inherit_templates", true);

    let inherit_tcr_campaign = flag("inherit_tcr_campaign", true);
    let sandbox = flag("sandbox", false);
    let inherit_brand = obj.bool(p, "inherit_tcr_brand");
    let inherit_tcr_brand = inherit_brand.clone().value().unwrap_or(true);
    let billing_model = fields::billing_model(&obj, p);
    let model = billing_model
        .clone()
        .value()
        .unwrap_or(BillingModel::Profile);
    let billing_contact = fields::billing_contact(&obj, p).value();
    // An invalid billing model already failed the request; checking the card against the
    // default model would only add a second, misleading problem.
    let payment_details = if matches!(billing_model, Read::Invalid) {
        None
    } else {
        fields::payment_details(&obj, p, model, now).value()
    };
    let whatsapp_business_account = fields::whatsapp_business_account(&obj, p).value();
    // As with the billing model: an invalid flag is one problem, not two.
    let brand = if matches!(inherit_brand, Read::Invalid) {
        None
    } else {
        fields::brand(&obj, p, inherit_tcr_brand).value()
    };

    problems.finish(CreateProfile {
        name,
        short_name,
        description,
        icon,
        allow_contact_sharing,
        allow_template_sharing,
        inherit_contacts,
        inherit_templates,
        inherit_tcr_brand,
        inherit_tcr_campaign,
        billing_model: model,
        billing_contact,
        whatsapp_business_account,
        payment_details,
        brand,
        sandbox,
    })
}

/// The business rules (§5.4), checked only once every field is valid.
pub fn check_rules(input: &CreateProfile<'_>, org: &Organization) -> Result<(), ApiError> {
    if input.whatsapp_business_account.is_none() && org.waba_id.is_none() {
        return Err(ApiError::BusinessRule(messages::NO_WABA.to_owned()));
    }
    Ok(())
}

/// The profile this request describes, as it would be kept.
pub fn build<'d>(
    input: CreateProfile<'d>,
    org: &'d Organization,
    ids: &Ids,
    now: Timestamp,
) -> Profile<'d> {
    let waba_id = match input.whatsapp_business_account {
        Some(direct) => Some(direct.waba_id),
        None => org.waba_id.as_deref().map(Text::Borrowed),
    };
    Profile {
        id: ids.uuid(),
        organization_id: org.id,
        name: input.name,
        email: Some(Text::Borrowed(&org.email)),
        icon: input.icon,
        description: input.description,
        short_name: input.short_name,
        status: ProfileStatus::Incomplete,
        created_at: now,
        updated_at: Some(now),
        allow_contact_sharing: input.allow_contact_sharing,
        allow_template_sharing: input.allow_template_sharing,
        inherit_contacts: input.inherit_contacts,
        inherit_templates: input.inherit_templates,
        inherit_tcr_brand: input.inherit_tcr_brand,
        inherit_tcr_campaign: input.inherit_tcr_campaign,
        billing_model: input.billing_model,
        sending_phone_number_profile_id: None,
        sending_whatsapp_number_profile_id: None,
        sending_phone_number: None,
        whatsapp_phone_number: None,
        allow_number_change_during_onboarding: None,
        waba_id,
        billing_contact: input.billing_contact,
        brand: input.brand.map(|brand| Brand::new(brand, ids.uuid(), now)),
        deleted_at: None,
    }
}

/// Creates the profile (or, for a sandbox request, only pretends to) and answers it.
pub fn execute(
    ctx: &Context,
    profiles: &ProfileStore,
    ids: &Ids,
    org: &Organization,
    input: CreateProfile<'_>,
) -> Result<Reply, ApiError> {
    check_rules(&input, org)?;
    let sandbox = input.sandbox;
    let profile = build(input, org, ids, ctx.now);
    let (mut reply, json) = response::ok_with_data(ctx.meta(), &profile);
    if sandbox {
        reply.mark_sandbox();
    } else {
        profiles.insert(StoredProfile::new(&profile, json));
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::json;

    #[test]
    fn debug_output_of_a_checked_create_shows_no_secret() {
        let body = br#"{"name": "x", "billing_model": "profile",
            "payment_details": {"card_number": "4000056655665556", "expiry": "10/47", "cvc": "7391", "zip_code": "10001"},
            "whatsapp_business_account": {"waba_id": "1", "access_token": "EAASentinelToken"}}"#;
        let doc = json::parse(body).unwrap();
        let input = validate(&doc, Clock::default().now()).unwrap();

        let shown = format!("{input:?} {doc:?}");

        for secret in [
            "4000056655665556",
            "10/47",
            "7391",
            "10001",
            "EAASentinelToken",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("[REDACTED]"));
    }

    /// The hand-written renderer writes what serde_json writes for the same profile.
    #[test]
    fn a_profile_renders_byte_for_byte_as_serde_json_writes_it() {
        use crate::render::WriteJson;
        let org = Organization {
            id: uuid::Uuid::nil(),
            name: "Acme".into(),
            email: "team@acme.com".into(),
            waba_id: Some("102290129340398".into()),
            exists: true,
        };
        let ids = Ids::new(Some(7));
        let now = Clock::default().now();
        let seed = include_str!("../../tests/data/create-request.json").replace("09/27", "09/49");
        let escaped = seed.replace(
            "\"name\":\"Acme",
            "\"name\":\"Quote \\\" back \\\\ tab \\t nl \\n ctl \\u0001 é 😀 Acme",
        );
        assert_ne!(escaped, seed, "the escapes reached a rendered field");
        let minimal =
            r#"{"name": "x", "billing_model": "organization", "inherit_tcr_brand": true}"#;
        for body in [seed.as_str(), escaped.as_str(), minimal] {
            let doc = json::parse(body.as_bytes()).unwrap();
            let input = validate(&doc, now).unwrap();
            let mut profile = build(input, &org, &ids, now);
            let mut written = Vec::new();
            profile.write_json(&mut written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&profile).unwrap()
            );
            // Every optional field filled, as a profile read back after changes is.
            profile.sending_phone_number_profile_id = Some(ids.uuid());
            profile.sending_phone_number = Some("+12025550123".into());
            profile.allow_number_change_during_onboarding = Some(true);
            profile.status = ProfileStatus::Submitted;
            if let Some(brand) = profile.brand.as_mut() {
                brand.submitted_at = Some(now);
                brand.tcr_brand_id = Some("B1".into());
            }
            let mut written = Vec::new();
            profile.write_json(&mut written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&profile).unwrap()
            );
        }
    }
}
