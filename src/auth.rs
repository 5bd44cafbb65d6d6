//! Who is calling (CONTRACT §4): the API key, its organization, `x-profile-id` and the role
//! an operation needs, checked in the documented order; the first failure answers.

use std::sync::Arc;

use http::HeaderName;
use uuid::Uuid;

use crate::directory::{Directory, Grant, Organization, Role};
use crate::error::ApiError;
use crate::profiles::store::ProfileStore;
use crate::request::Request;

/// What an operation needs of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// List and retrieve: any key of the organization.
    Read,
    /// Create, update, delete, complete: an organization key with role owner or admin.
    Mutate,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub organization: Arc<Organization>,
    pub grant: Grant,
    /// The profile named by an accepted `x-profile-id`.
    pub scope: Option<Uuid>,
    /// The scenario the key is bound to in the fixtures.
    pub scenario: Option<String>,
}

impl Caller {
    /// Whether the caller may see profile `id`: a profile key sees only its own profile, and
    /// an accepted `x-profile-id` narrows an organization key to that profile.
    pub fn sees(&self, id: Uuid) -> bool {
        match (self.grant, self.scope) {
            (Grant::Profile(own), _) => own == id,
            (_, Some(scope)) => scope == id,
            _ => true,
        }
    }

    /// The one profile the caller is narrowed to, if any.
    pub fn narrowed_to(&self) -> Option<Uuid> {
        match self.grant {
            Grant::Profile(own) => Some(own),
            Grant::Organization(_) => self.scope,
        }
    }
}

pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");
pub const PROFILE_ID_HEADER: HeaderName = HeaderName::from_static("x-profile-id");

/// Who `req` is, from the `x-api-key` it presented (`req.header(&API_KEY_HEADER)`, which the
/// caller has read already) and its `x-profile-id`, and whether they may do what it needs.
pub fn authenticate(
    directory: &Directory,
    profiles: &ProfileStore,
    any_api_key: bool,
    presented: Option<Result<&str, ()>>,
    req: &Request,
    need: Need,
) -> Result<Caller, ApiError> {
    // 1. A key must be there.
    let presented = match presented {
        None => return Err(ApiError::NotAuthenticated),
        Some(Ok(key)) if key.trim().is_empty() => return Err(ApiError::NotAuthenticated),
        Some(key) => key,
    };
    // 2. It must be known (or, with --any-api-key, it stands for the default admin).
    let (organization_id, grant, scenario) = match presented.ok().and_then(|k| directory.key(k)) {
        Some(key) => (key.organization_id, key.grant, key.scenario.clone()),
        None => match directory.default_organization() {
            Some(org) if any_api_key => (org, Grant::Organization(Role::Admin), None),
            _ => return Err(ApiError::InvalidApiKey),
        },
    };
    // 3. Its organization must still exist.
    let organization = directory
        .organization(organization_id)
        .filter(|org| org.exists)
        .ok_or(ApiError::OrganizationNotFound)?;
    // 4. x-profile-id: a UUID, sent with an organization key, naming a live profile of the
    //    caller's organization.
    let scope = match req.header(&PROFILE_ID_HEADER) {
        None => None,
        Some(value) => {
            let id = value
                .ok()
                .and_then(|v| Uuid::try_parse(v.trim()).ok())
                .ok_or(ApiError::InvalidGuid {
                    field: "x-profile-id",
                })?;
            if matches!(grant, Grant::Profile(_)) {
                return Err(ApiError::Forbidden);
            }
            profiles
                .live(organization.id, id)
                .ok_or(ApiError::ProfileNotFound)?;
            Some(id)
        }
    };
    // 5. Mutations need an owner or an admin.
    if need == Need::Mutate && !matches!(grant, Grant::Organization(role) if role.may_mutate()) {
        return Err(ApiError::Forbidden);
    }
    Ok(Caller {
        organization,
        grant,
        scope,
        scenario,
    })
}
