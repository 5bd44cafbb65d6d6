//! The profile as the mock keeps it, which is also the `ProfileDetail` the API answers.
//!
//! Field order is the documented key order (CONTRACT §5.5): serializing a [`Profile`] writes
//! the response's `data` directly. Nothing here can hold a secret: card data is never kept, and
//! of a direct WhatsApp account only its id is.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub icon: Option<String>,
    pub description: Option<String>,
    pub short_name: Option<String>,
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
    pub sending_phone_number: Option<String>,
    pub whatsapp_phone_number: Option<String>,
    pub allow_number_change_during_onboarding: Option<bool>,
    pub waba_id: Option<String>,
    pub billing_contact: Option<BillingContact>,
    pub brand: Option<Brand>,
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
pub struct BillingContact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A brand as the response shows it: snake_case, TCR fields null until it is submitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub tcr_brand_id: Option<String>,
    pub status: Option<String>,
    pub identity_status: Option<String>,
    pub universal_ein: Option<String>,
    pub csp_id: Option<String>,
    pub submitted_to_tcr: bool,
    pub submitted_at: Option<Timestamp>,
    pub is_inherited: bool,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub contact: BrandContact,
    pub business: Option<BrandBusiness>,
    pub compliance: BrandCompliance,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandContact {
    pub name: String,
    pub business_name: Option<String>,
    pub role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub phone_country_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandBusiness {
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub tax_id_type: Option<String>,
    pub entity_type: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub url: Option<String>,
    pub country_of_registration: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandCompliance {
    pub vertical: String,
    pub brand_relationship: String,
    pub primary_use_case: Option<String>,
    pub expected_messaging_volume: Option<String>,
    pub is_tcr_application: bool,
    pub phone_number_prefix: Option<String>,
    pub destination_countries: Vec<DestinationCountry>,
    pub notes: Option<String>,
}

/// Items keep the request's camelCase `isMain`, as the documentation shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestinationCountry {
    pub id: String,
    #[serde(rename = "isMain")]
    pub is_main: bool,
}

impl Brand {
    /// A brand as first kept: not yet submitted to TCR, so every TCR field is empty.
    pub fn new(input: super::fields::BrandInput, id: Uuid, now: Timestamp) -> Brand {
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
