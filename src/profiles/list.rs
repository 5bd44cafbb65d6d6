//! `GET /v3/profiles`: the organization's live profiles, newest first (CONTRACT §8.1). A
//! profile key, or an organization key narrowed by `x-profile-id`, sees just that profile.
//!
//! No input to validate: the endpoint writes the stored JSON of each profile as it is.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::pipeline::Context;
use crate::response::{self, Reply};

use super::store::ProfileStore;

pub fn execute(ctx: &Context, profiles: &ProfileStore, caller: &Caller) -> Result<Reply, ApiError> {
    let org = caller.organization.id;
    let found = match caller.narrowed_to() {
        Some(id) => profiles.live(org, id).into_iter().collect(),
        None => profiles.list_live(org),
    };
    Ok(response::ok_raw(ctx.meta(), |out| {
        out.extend_from_slice(b"{\"profiles\":[");
        for (i, profile) in found.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&profile.json);
        }
        out.extend_from_slice(b"]}");
    }))
}
