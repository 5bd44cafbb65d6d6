//! `PATCH /v3/profiles/{profileId}` (CONTRACT §8.3): a partial update.
//!
//! An omitted field stays; `null` clears a nullable field and resets a defaulted one to its
//! default. The field rules are create's (`fields`), checked against the values the profile
//! will have (its billing model, whether it inherits its brand), plus the update-only fields.
//! Validation needs the current profile, so [`execute`] reads it first (404 before 400), then
//! [`validate`]s, then applies the change atomically, where a brand already submitted to TCR
//! refuses to change (422). `{}` changes nothing and answers the profile as it is.

use uuid::Uuid;

use crate::auth::Caller;
use crate::clock::Timestamp;
use crate::error::{messages, ApiError};
use crate::ids::Ids;
use crate::json::Json;
use crate::pipeline::Context;
use crate::response::{self, Reply};
use crate::validate::{Object, Problems, Read};

use super::fields::{self, BrandInput, PaymentDetails, NAME_REQUIRED};
use super::model::{BillingContact, BillingModel, Brand, Profile, Text};
use super::store::{ProfileStore, StoredProfile};

/// An update after validation: each field as the request gave it (absent, null or a value).
#[derive(Debug)]
pub struct UpdateProfile<'d> {
    pub name: Read<Text<'d>>,
    pub short_name: Read<Text<'d>>,
    pub description: Read<Text<'d>>,
    pub icon: Read<Text<'d>>,
    pub allow_contact_sharing: Read<bool>,
    pub allow_template_sharing: Read<bool>,
    pub inherit_contacts: Read<bool>,
    pub inherit_templates: Read<bool>,
    pub inherit_tcr_brand: Read<bool>,
    pub inherit_tcr_campaign: Read<bool>,
    pub billing_model: Read<BillingModel>,
    pub billing_contact: Read<BillingContact<'d>>,
    /// Checked and dropped: the sandbox forwards card data nowhere.
    pub payment_details: Option<PaymentDetails<'d>>,
    pub brand: Read<BrandInput<'d>>,
    pub allow_number_change_during_onboarding: Read<bool>,
    pub sending_phone_number: Read<Text<'d>>,
    pub whatsapp_phone_number: Read<Text<'d>>,
    pub sending_phone_number_profile_id: Read<Uuid>,
    pub sending_whatsapp_number_profile_id: Read<Uuid>,
    pub sandbox: bool,
}

const PROFILE_REFERENCES: [&str; 2] = [
    "sending_phone_number_profile_id",
    "sending_whatsapp_number_profile_id",
];

/// Every field rule, against `current` (the profile as it is) and its organization's profiles.
pub fn validate<'d>(
    body: &'d Json<'_>,
    current: &Profile<'_>,
    now: Timestamp,
    profiles: &ProfileStore,
) -> Result<UpdateProfile<'d>, ApiError> {
    let obj = Object::root(body);
    let mut problems = Problems::default();
    let p = &mut problems;

    let name = match fields::name(&obj, p) {
        Read::Null => {
            p.add("name", NAME_REQUIRED);
            Read::Invalid
        }
        other => other,
    };
    let short_name = fields::short_name(&obj, p);
    let description = fields::description(&obj, p);
    let icon = fields::icon(&obj, p);
    let allow_contact_sharing = obj.bool(p, "allow_contact_sharing");
    let allow_template_sharing = obj.bool(p, "allow_template_sharing");
    let inherit_contacts = obj.bool(p, "inherit_contacts");
    let inherit_templates = obj.bool(p, "inherit_templates");
    let inherit_tcr_brand = obj.bool(p, "inherit_tcr_brand");
    let inherit_tcr_campaign = obj.bool(p, "inherit_tcr_campaign");
    let billing_model = fields::billing_model(&obj, p);
    let billing_contact = fields::billing_contact(&obj, p);
    // Cross-field rules look at the values the profile will have; a field that is itself
    // invalid already failed the request, so its dependants are not checked against a guess.
    let payment_details = match &billing_model {
        Read::Invalid => None,
        read => {
            let model = effective(read, current.billing_model, BillingModel::Profile);
            fields::payment_details(&obj, p, model, now).value()
        }
    };
    let brand = match &inherit_tcr_brand {
        Read::Invalid => Read::Invalid,
        read => fields::brand(&obj, p, effective(read, current.inherit_tcr_brand, true)),
    };
    if obj.member("whatsapp_business_account").is_some() {
        p.add(
            "whatsapp_business_account",
            "whatsapp_business_account cannot be changed after the profile is created",
        );
    }
    let allow_number_change_during_onboarding =
        obj.bool(p, "allow_number_change_during_onboarding");
    let sending_phone_number = fields::phone_number(&obj, p, "sending_phone_number");
    let whatsapp_phone_number = fields::phone_number(&obj, p, "whatsapp_phone_number");
    let [sending_phone_number_profile_id, sending_whatsapp_number_profile_id] = PROFILE_REFERENCES
        .map(|name| {
            fields::profile_reference(&obj, p, name).check(
                p,
                name,
                |id| *id != current.id && profiles.live(current.organization_id, *id).is_some(),
                || format!("{name} must name another profile of this organization"),
            )
        });
    let sandbox = obj.bool(p, "sandbox").value().unwrap_or(false);

    problems.finish(UpdateProfile {
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
        billing_model,
        billing_contact,
        payment_details,
        brand,
        allow_number_change_during_onboarding,
        sending_phone_number,
        whatsapp_phone_number,
        sending_phone_number_profile_id,
        sending_whatsapp_number_profile_id,
        sandbox,
    })
}

/// The value a field will have: the request's, its default for `null`, else the current one.
fn effective<T: Copy>(read: &Read<T>, current: T, default: T) -> T {
    match read {
        Read::Value(v) => *v,
        Read::Null => default,
        Read::Absent | Read::Invalid => current,
    }
}

/// Reads the profile, validates against it, and applies the change atomically.
#[allow(clippy::too_many_arguments)]
pub fn execute(
    ctx: &Context,
    profiles: &ProfileStore,
    ids: &Ids,
    caller: &Caller,
    id: Uuid,
    body: &Json<'_>,
) -> Result<Reply, ApiError> {
    let snapshot = profiles
        .visible(caller, id)
        .ok_or(ApiError::ProfileNotFound)?
        .profile();
    let input = validate(body, &snapshot, ctx.now, profiles)?;
    let sandbox = input.sandbox;
    let mut reply = profiles.modify(caller, id, |stored| {
        let current = stored.profile();
        let touches_brand = matches!(input.brand, Read::Value(_) | Read::Null);
        if touches_brand && current.brand.as_ref().is_some_and(|b| b.submitted_to_tcr) {
            return Err(ApiError::BusinessRule(messages::BRAND_SUBMITTED.to_owned()));
        }
        let (next, changed) = apply(input, current, ids, ctx.now);
        let (reply, json) = response::ok_with_data(ctx.meta(), &next);
        let keep = (changed && !sandbox).then(|| StoredProfile::new(&next, json));
        Ok((keep, reply))
    })?;
    if sandbox {
        reply.mark_sandbox();
    }
    Ok(reply)
}

/// The profile with the update applied, and whether anything was given to change.
fn apply<'d>(
    input: UpdateProfile<'d>,
    mut profile: Profile<'d>,
    ids: &Ids,
    now: Timestamp,
) -> (Profile<'d>, bool) {
    let mut changed = false;
    let mut set = |given: bool| changed |= given;

    set(replace(&mut profile.name, input.name, || {
        Text::Borrowed("")
    }));
    set(replace_nullable(&mut profile.short_name, input.short_name));
    set(replace_nullable(
        &mut profile.description,
        input.description,
    ));
    set(replace_nullable(&mut profile.icon, input.icon));
    set(replace(
        &mut profile.allow_contact_sharing,
        input.allow_contact_sharing,
        || false,
    ));
    set(replace(
        &mut profile.allow_template_sharing,
        input.allow_template_sharing,
        || false,
    ));
    set(replace(
        &mut profile.inherit_contacts,
        input.inherit_contacts,
        || true,
    ));
    set(replace(
        &mut profile.inherit_templates,
        input.inherit_templates,
        || true,
    ));
    set(replace(
        &mut profile.inherit_tcr_brand,
        input.inherit_tcr_brand,
        || true,
    ));
    set(replace(
        &mut profile.inherit_tcr_campaign,
        input.inherit_tcr_campaign,
        || true,
    ));
    set(replace(
        &mut profile.billing_model,
        input.billing_model,
        || BillingModel::Profile,
    ));
    set(replace_nullable(
        &mut profile.billing_contact,
        input.billing_contact,
    ));
    set(input.payment_details.is_some());
    set(replace_nullable(
        &mut profile.allow_number_change_during_onboarding,
        input.allow_number_change_during_onboarding,
    ));
    set(replace_nullable(
        &mut profile.sending_phone_number,
        input.sending_phone_number,
    ));
    set(replace_nullable(
        &mut profile.whatsapp_phone_number,
        input.whatsapp_phone_number,
    ));
    set(replace_nullable(
        &mut profile.sending_phone_number_profile_id,
        input.sending_phone_number_profile_id,
    ));
    set(replace_nullable(
        &mut profile.sending_whatsapp_number_profile_id,
        input.sending_whatsapp_number_profile_id,
    ));
    match input.brand {
        Read::Value(brand) => {
            profile.brand = Some(match profile.brand.take() {
                // The profile's brand changes in place: same id, same creation time.
                Some(existing) => Brand {
                    updated_at: Some(now),
                    contact: brand.contact,
                    business: brand.business,
                    compliance: brand.compliance,
                    ..existing
                },
                None => Brand::new(brand, ids.uuid(), now),
            });
            set(true);
        }
        Read::Null => {
            profile.brand = None;
            set(true);
        }
        Read::Absent | Read::Invalid => {}
    }
    if changed {
        profile.updated_at = Some(now);
    }
    (profile, changed)
}

/// A field with a default: a value sets it, `null` resets it. Answers whether it was given.
fn replace<T>(slot: &mut T, read: Read<T>, default: impl FnOnce() -> T) -> bool {
    match read {
        Read::Value(v) => *slot = v,
        Read::Null => *slot = default(),
        Read::Absent | Read::Invalid => return false,
    }
    true
}

/// A nullable field: a value sets it, `null` clears it. Answers whether it was given.
fn replace_nullable<T>(slot: &mut Option<T>, read: Read<T>) -> bool {
    replace(slot, read.map(Some), || None)
}
