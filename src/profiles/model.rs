//! The profile as the mock keeps it, which is also the `ProfileDetail` the API answers.
//!
//! Field order is the documented key order (CONTRACT §5.5): serializing a [`Profile`] writes
//! the response's `data` directly. Nothing here can hold a secret: card data is never kept, and
//! of a direct WhatsApp account only its id is. Text fields borrow from the request body
//! where they can, so that a create copies each value once: into the answer.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::render::{self, WriteJson};
use crate::write_object;

/// Text of a profile: borrowed from the request while it is answered, owned once read back.
pub type Text<'a> = Cow<'a, str>;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile<'a> {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: Text<'a>,
    pub email: Option<Text<'a>>,
    pub icon: Option<Text<'a>>,
    pub description: Option<Text<'a>>,
    pub short_name: Option<Text<'a>>,
    pub status: ProfileStatus,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub allow_contact_sharing: bool,
    pub allow_template_sharing: bool,
    pub inherit_contacts: bool,
    pub inherit_templates: bool,
    pub inherit_tcr_brand: bool,
    pub inherit_tcr_campaign: bool,
    pub billing_model: BillingModel,
    pub sending_phone_number_profile_id: Option<Uuid>,
    pub sending_whatsapp_number_profile_id: Option<Uuid>,
    pub sending_phone_number: Option<Text<'a>>,
    pub whatsapp_phone_number: Option<Text<'a>>,
    pub allow_number_change_during_onboarding: Option<bool>,
    pub waba_id: Option<Text<'a>>,
    pub billing_contact: Option<BillingContact<'a>>,
    pub brand: Option<Brand<'a>>,
    /// Soft deletion: a deleted profile stays, answers 404, and is not listed. Not part of
    /// the answer; the state file keeps it beside the profile.
    #[serde(skip)]
    pub deleted_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    Incomplete,
    Submitted,
    Completed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingModel {
    Profile,
    Organization,
    ProfileAndOrganization,
}

impl BillingModel {
    pub const NAMES: &'static str = "profile, organization, profile_and_organization";

    pub fn parse(text: &str) -> Option<BillingModel> {
        match text {
            "profile" => Some(BillingModel::Profile),
            "organization" => Some(BillingModel::Organization),
            "profile_and_organization" => Some(BillingModel::ProfileAndOrganization),
            _ => None,
        }
    }

    /// Whether the profile itself is billed, so that it needs a billing contact.
    pub fn bills_profile(self) -> bool {
        self != BillingModel::Organization
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingContact<'a> {
    pub name: Text<'a>,
    pub email: Text<'a>,
    pub phone: Option<Text<'a>>,
    pub address: Option<Text<'a>>,
}

/// A brand as the response shows it: snake_case, TCR fields null until it is submitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brand<'a> {
    pub id: Uuid,
    pub tcr_brand_id: Option<Text<'a>>,
    pub status: Option<Text<'a>>,
    pub identity_status: Option<Text<'a>>,
    pub universal_ein: Option<Text<'a>>,
    pub csp_id: Option<Text<'a>>,
    pub submitted_to_tcr: bool,
    pub submitted_at: Option<Timestamp>,
    pub is_inherited: bool,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub contact: BrandContact<'a>,
    pub business: Option<BrandBusiness<'a>>,
    pub compliance: BrandCompliance<'a>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandContact<'a> {
    pub name: Text<'a>,
    pub business_name: Option<Text<'a>>,
    pub role: Option<Text<'a>>,
    pub phone: Option<Text<'a>>,
    pub email: Option<Text<'a>>,
    pub phone_country_code: Option<Text<'a>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandBusiness<'a> {
    pub legal_name: Option<Text<'a>>,
    pub tax_id: Option<Text<'a>>,
    pub tax_id_type: Option<Text<'a>>,
    pub entity_type: Option<Text<'a>>,
    pub street: Option<Text<'a>>,
    pub city: Option<Text<'a>>,
    pub state: Option<Text<'a>>,
    pub postal_code: Option<Text<'a>>,
    pub country: Option<Text<'a>>,
    pub url: Option<Text<'a>>,
    pub country_of_registration: Option<Text<'a>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandCompliance<'a> {
    pub vertical: Text<'a>,
    pub brand_relationship: Text<'a>,
    pub primary_use_case: Option<Text<'a>>,
    pub expected_messaging_volume: Option<Text<'a>>,
    pub is_tcr_application: bool,
    pub phone_number_prefix: Option<Text<'a>>,
    pub destination_countries: Vec<DestinationCountry<'a>>,
    pub notes: Option<Text<'a>>,
}

/// Items keep the request's camelCase `isMain`, as the documentation shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestinationCountry<'a> {
    pub id: Text<'a>,
    #[serde(rename = "isMain")]
    pub is_main: bool,
}

impl<'a> Brand<'a> {
    /// A brand as first kept: not yet submitted to TCR, so every TCR field is empty.
    pub fn new(input: super::fields::BrandInput<'a>, id: Uuid, now: Timestamp) -> Brand<'a> {
        Brand {
            id,
            tcr_brand_id: None,
            status: None,
            identity_status: None,
            universal_ein: None,
            csp_id: None,
            submitted_to_tcr: false,
            submitted_at: None,
            is_inherited: false,
            created_at: now,
            updated_at: None,
            contact: input.contact,
            business: input.business,
            compliance: input.compliance,
        }
    }
}

// The wire form, written by hand (see `render`); the derived `Serialize` above is the
// reference these are tested against, and what the state file and read-backs use.

impl WriteJson for Profile<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "id": self.id,
            "organization_id": self.organization_id,
            "name": self.name,
            "email": self.email,
            "icon": self.icon,
            "description": self.description,
            "short_name": self.short_name,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "allow_contact_sharing": self.allow_contact_sharing,
            "allow_template_sharing": self.allow_template_sharing,
            "inherit_contacts": self.inherit_contacts,
            "inherit_templates": self.inherit_templates,
            "inherit_tcr_brand": self.inherit_tcr_brand,
            "inherit_tcr_campaign": self.inherit_tcr_campaign,
            "billing_model": self.billing_model,
            "sending_phone_number_profile_id": self.sending_phone_number_profile_id,
            "sending_whatsapp_number_profile_id": self.sending_whatsapp_number_profile_id,
            "sending_phone_number": self.sending_phone_number,
            "whatsapp_phone_number": self.whatsapp_phone_number,
            "allow_number_change_during_onboarding": self.allow_number_change_during_onboarding,
            "waba_id": self.waba_id,
            "billing_contact": self.billing_contact,
            "brand": self.brand,
        });
    }
}

impl WriteJson for ProfileStatus {
    fn write_json(&self, out: &mut Vec<u8>) {
        render::string(
            out,
            match self {
                ProfileStatus::Incomplete => "incomplete",
                ProfileStatus::Submitted => "submitted",
                ProfileStatus::Completed => "completed",
            },
        );
    }
}

impl WriteJson for BillingModel {
    fn write_json(&self, out: &mut Vec<u8>) {
        render::string(
            out,
            match self {
                BillingModel::Profile => "profile",
                BillingModel::Organization => "organization",
                BillingModel::ProfileAndOrganization => "profile_and_organization",
            },
        );
    }
}

impl WriteJson for BillingContact<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "address": self.address,
        });
    }
}

impl WriteJson for Brand<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "id": self.id,
            "tcr_brand_id": self.tcr_brand_id,
            "status": self.status,
            "identity_status": self.identity_status,
            "universal_ein": self.universal_ein,
            "csp_id": self.csp_id,
            "submitted_to_tcr": self.submitted_to_tcr,
            "submitted_at": self.submitted_at,
            "is_inherited": self.is_inherited,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "contact": self.contact,
            "business": self.business,
            "compliance": self.compliance,
        });
    }
}

impl WriteJson for BrandContact<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "name": self.name,
            "business_name": self.business_name,
            "role": self.role,
            "phone": self.phone,
            "email": self.email,
            "phone_country_code": self.phone_country_code,
        });
    }
}

impl WriteJson for BrandBusiness<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "legal_name": self.legal_name,
            "tax_id": self.tax_id,
            "tax_id_type": self.tax_id_type,
            "entity_type": self.entity_type,
            "street": self.street,
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "country": self.country,
            "url": self.url,
            "country_of_registration": self.country_of_registration,
        });
    }
}

impl WriteJson for BrandCompliance<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, {
            "vertical": self.vertical,
            "brand_relationship": self.brand_relationship,
            "primary_use_case": self.primary_use_case,
            "expected_messaging_volume": self.expected_messaging_volume,
            "is_tcr_application": self.is_tcr_application,
            "phone_number_prefix": self.phone_number_prefix,
            "destination_countries": self.destination_countries,
            "notes": self.notes,
        });
    }
}

impl WriteJson for DestinationCountry<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_object!(out, { "id": self.id, "isMain": self.is_main });
    }
}
