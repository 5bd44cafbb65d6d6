//! `GET /v3/profiles/{profileId}` (CONTRACT §8.2): the profile, or 404 `RESOURCE_014` for an
//! unknown, deleted or other organization's profile (and for one the caller may not see).
//!
//! No body to validate; the id was checked by the route.

use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::pipeline::Context;
use crate::response::{self, Reply};

use super::store::ProfileStore;

pub fn execute(
    ctx: &Context,
    profiles: &ProfileStore,
    caller: &Caller,
    id: Uuid,
) -> Result<Reply, ApiError> {
    let profile = profiles
        .visible(caller, id)
        .ok_or(ApiError::ProfileNotFound)?;
    Ok(response::ok_raw(ctx.meta(), |out| {
        out.extend_from_slice(&profile.json)
    }))
}
