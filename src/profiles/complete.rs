//! `POST /v3/profiles/{profileId}/complete` (CONTRACT §8.5): checks the prerequisites, moves
//! the profile's status on, and has the mock call the caller's webhook shortly after.
//!
//! Every unmet prerequisite is reported at once (422 with `details`). A profile already
//! completed (or submitted) answers 200 and changes nothing; a sandbox request answers as if
//! it ran and changes nothing, with no callback.

use serde::Serialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::callbacks::Callback;
use crate::error::{messages, ApiError};
use crate::json::Json;
use crate::pipeline::Context;
use crate::response::{self, Reply};
use crate::validate::{is_http_url, Object, Problems, Read};

use super::model::{Profile, ProfileStatus};
use super::store::{ProfileStore, StoredProfile};

#[derive(Debug)]
pub struct CompleteProfile {
    pub web_hook_url: String,
    pub sandbox: bool,
}

pub fn validate(body: &Json<'_>) -> Result<CompleteProfile, ApiError> {
    let obj = Object::root(body);
    let mut problems = Problems::default();
    let url = match obj.string(&mut problems, "webHookUrl") {
        Read::Value(url) if is_http_url(url) => url.to_owned(),
        Read::Value(_) => {
            problems.add(
                "webHookUrl",
                "webHookUrl must be an absolute http or https URL",
            );
            String::new()
        }
        Read::Absent | Read::Null => {
            problems.add("webHookUrl", "webHookUrl is required");
            String::new()
        }
        Read::Invalid => String::new(),
    };
    let sandbox = obj.bool(&mut problems, "sandbox").value().unwrap_or(false);
    problems.finish(CompleteProfile {
        web_hook_url: url,
        sandbox,
    })
}

#[derive(Serialize)]
struct Started {
    message: &'static str,
    status: ProfileStatus,
}

/// Answers the request; the callback to send, if any, is the second value.
pub fn execute(
    ctx: &Context,
    profiles: &ProfileStore,
    caller: &Caller,
    id: Uuid,
    input: CompleteProfile,
) -> Result<(Reply, Option<Callback>), ApiError> {
    enum Outcome {
        Already(ProfileStatus),
        Started(ProfileStatus),
    }
    let outcome = profiles.modify(caller, id, |stored| {
        let mut profile = stored.profile();
        if profile.status != ProfileStatus::Incomplete {
            return Ok((None, Outcome::Already(profile.status)));
        }
        check_prerequisites(&profile)?;
        let status = final_status(&profile);
        if input.sandbox {
            return Ok((None, Outcome::Started(status)));
        }
        profile.status = status;
        profile.updated_at = Some(ctx.now);
        if status == ProfileStatus::Submitted {
            if let Some(brand) = profile.brand.as_mut() {
                brand.submitted_to_tcr = true;
                brand.submitted_at = Some(ctx.now);
            }
        }
        Ok((
            Some(StoredProfile::render(&profile)),
            Outcome::Started(status),
        ))
    })?;
    let status = match outcome {
        Outcome::Already(status) => {
            let message = match status {
                ProfileStatus::Submitted => {
                    "Profile is already submitted; no further action was taken"
                }
                _ => "Profile is already completed; no further action was taken",
            };
            return Ok((response::ok(ctx.meta(), &Started { message, status }), None));
        }
        Outcome::Started(status) => status,
    };
    let answer = Started {
        message: "Profile completion has started; the result will be sent to webHookUrl",
        status,
    };
    let mut reply = response::ok(ctx.meta(), &answer);
    if input.sandbox {
        reply.mark_sandbox();
        return Ok((reply, None));
    }
    let callback = Callback {
        url: input.web_hook_url,
        profile_id: id,
        organization_id: caller.organization.id,
        status,
        request_id: ctx.request_id,
    };
    Ok((reply, Some(callback)))
}

/// All unmet prerequisites at once: a billing contact when the profile itself is billed, and
/// a brand of its own when it does not inherit the organization's.
fn check_prerequisites(profile: &Profile) -> Result<(), ApiError> {
    let mut problems = Problems::default();
    if profile.billing_model.bills_profile() && profile.billing_contact.is_none() {
        problems.add(
            "billing_contact",
            "billing_contact is required when billing_model is 'profile' or 'profile_and_organization'",
        );
    }
    if !profile.inherit_tcr_brand && profile.brand.is_none() {
        problems.add("brand", "brand is required when inherit_tcr_brand is false");
    }
    problems.finish(()).map_err(|err| match err {
        ApiError::Validation(details) => ApiError::Unprocessable {
            message: messages::NOT_READY_TO_COMPLETE,
            details,
        },
        other => other,
    })
}

/// `submitted` when the profile applies for TCR with its own brand, else `completed`.
fn final_status(profile: &Profile) -> ProfileStatus {
    let own_tcr_brand = !profile.inherit_tcr_brand
        && profile
            .brand
            .as_ref()
            .is_some_and(|b| b.compliance.is_tcr_application);
    if own_tcr_brand {
        ProfileStatus::Submitted
    } else {
        ProfileStatus::Completed
    }
}
