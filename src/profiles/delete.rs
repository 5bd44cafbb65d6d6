//! `DELETE /v3/profiles/{profileId}` (CONTRACT §8.4): a soft delete answering 204 with no
//! body. The SDKs send `{}` or `{"sandbox": true}`; a sandbox delete answers the same with
//! `x-sandbox: true` and deletes nothing.

use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::Json;
use crate::pipeline::Context;
use crate::response::{self, Reply};
use crate::validate::{Object, Problems};

use super::store::{ProfileStore, StoredProfile};

#[derive(Debug)]
pub struct DeleteProfile {
    pub sandbox: bool,
}

/// The body is optional; when there is one, `sandbox` is its only field.
pub fn validate(body: Option<&Json<'_>>) -> Result<DeleteProfile, ApiError> {
    let mut problems = Problems::default();
    let sandbox = body
        .and_then(|doc| Object::root(doc).bool(&mut problems, "sandbox").value())
        .unwrap_or(false);
    problems.finish(DeleteProfile { sandbox })
}

pub fn execute(
    ctx: &Context,
    profiles: &ProfileStore,
    caller: &Caller,
    id: Uuid,
    input: DeleteProfile,
) -> Result<Reply, ApiError> {
    profiles.modify(caller, id, |stored| {
        if input.sandbox {
            return Ok((None, ()));
        }
        let mut profile = stored.profile();
        profile.deleted_at = Some(ctx.now);
        Ok((Some(StoredProfile::render(&profile)), ()))
    })?;
    let mut reply = response::no_content();
    if input.sandbox {
        reply.mark_sandbox();
    }
    Ok(reply)
}
