//! The state file (`--state-file PATH`): the profiles, and the organizations minted at run
//! time with their keys, saved on shutdown and loaded at start, so that restarting the mock
//! does not lose a frontend developer's work. Secrets are never part of it: the mock keeps
//! none. Without the flag the mock stays purely in memory.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::directory::{ApiKey, Grant, Organization, Role};
use crate::ids::Progress;
use crate::profiles::model::Profile;
use crate::profiles::store::StoredProfile;
use crate::state::App;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Saved<'a> {
    version: u32,
    saved_at: Timestamp,
    #[serde(default)]
    organizations: Vec<Organization>,
    #[serde(default)]
    keys: Vec<SavedKey>,
    profiles: Vec<SavedProfile<'a>>,
    /// How far the id source had gone: under the same `--seed` the next run goes on from
    /// there, instead of making the saved ids again (files without it start from the seed).
    #[serde(default)]
    ids: Option<Progress>,
}

#[derive(Serialize, Deserialize)]
struct SavedKey {
    key: String,
    organization_id: Uuid,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    profile_id: Option<Uuid>,
    description: String,
    #[serde(default)]
    scenario: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SavedProfile<'a> {
    #[serde(flatten)]
    profile: Profile<'a>,
    #[serde(default)]
    deleted_at: Option<Timestamp>,
}

/// Writes the state to `path` (through a temporary file, so a crash never leaves half a file).
pub fn save(app: &App, path: &Path) -> Result<usize, String> {
    let fixture_orgs: HashSet<Uuid> = app.fixtures.organizations.iter().map(|o| o.id).collect();
    let organizations: Vec<Organization> = app
        .directory
        .organizations()
        .iter()
        .filter(|org| !fixture_orgs.contains(&org.id))
        .map(|org| (**org).clone())
        .collect();
    let minted: HashSet<Uuid> = organizations.iter().map(|o| o.id).collect();
    let keys = app
        .directory
        .keys()
        .iter()
        .filter(|key| minted.contains(&key.organization_id))
        .map(|key| {
            let (role, profile_id) = key.grant.fields();
            SavedKey {
                key: key.key.clone(),
                organization_id: key.organization_id,
                role,
                profile_id,
                description: key.description.clone(),
                scenario: key.scenario.clone(),
            }
        })
        .collect();
    let profiles: Vec<SavedProfile<'_>> = app
        .profiles
        .all()
        .iter()
        .map(|stored| SavedProfile {
            profile: stored.profile(),
            deleted_at: stored.deleted_at,
        })
        .collect();
    let count = profiles.len();
    let saved = Saved {
        version: VERSION,
        saved_at: app.clock.now(),
        organizations,
        keys,
        profiles,
        ids: Some(app.ids.progress()),
    };
    let text = serde_json::to_vec_pretty(&saved).map_err(|e| e.to_string())?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write state file {}: {e}", path.display()))?;
    Ok(count)
}

/// Loads `path` into the state, over the fixtures; a missing file is a first start. Profiles
/// of organizations the mock no longer knows are skipped.
pub fn load(app: &App, path: &Path) -> Result<usize, String> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let saved: Saved =
        serde_json::from_slice(&text).map_err(|e| format!("state file {}: {e}", path.display()))?;
    if saved.version != VERSION {
        return Err(format!(
            "state file {}: version {} is not {VERSION}; move it away to start afresh",
            path.display(),
            saved.version
        ));
    }
    if let Some(progress) = saved.ids {
        app.ids.resume(progress);
    }
    for org in saved.organizations {
        app.directory.add_organization(org);
    }
    for key in saved.keys {
        let Some(grant) = Grant::from_fields(key.role, key.profile_id) else {
            continue;
        };
        app.directory.add_key(ApiKey {
            key: key.key,
            organization_id: key.organization_id,
            grant,
            description: key.description,
            scenario: key.scenario,
        });
    }
    let mut loaded = 0;
    for SavedProfile {
        mut profile,
        deleted_at,
    } in saved.profiles
    {
        if app
            .directory
            .organization(profile.organization_id)
            .is_none()
        {
            tracing::warn!(profile = %profile.id, "state file: skipped a profile of an unknown organization");
            continue;
        }
        profile.deleted_at = deleted_at;
        app.profiles.insert(StoredProfile::render(&profile));
        loaded += 1;
    }
    Ok(loaded)
}
