//! Fixtures: the organizations, API keys and seed profiles the mock starts with (CONTRACT §4).
//!
//! One JSON file per organization. The files in `fixtures/` are embedded in the binary;
//! `--fixtures DIR` replaces them with every `*.json` file of a directory. All files are
//! checked at start and a bad one stops the start with its name and the problem. Seed profiles
//! are written as the body of a create request and go through the same rules as one.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::directory::{ApiKey, Grant, Organization, Role};
use crate::files::JsonFiles;
use crate::ids::Ids;
use crate::json;
use crate::profiles::create;
use crate::profiles::model::ProfileStatus;
use crate::profiles::store::StoredProfile;

/// The default fixtures, compiled in. A test checks that this list matches `fixtures/`.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("acme.json", include_str!("../fixtures/acme.json")),
    ("globex.json", include_str!("../fixtures/globex.json")),
    ("initech.json", include_str!("../fixtures/initech.json")),
];

/// The embedded fixtures as files.
pub fn embedded() -> JsonFiles {
    JsonFiles::embedded(EMBEDDED)
}

/// The fixtures of a directory; an empty one is refused, since nobody could call the mock.
pub fn from_dir(dir: &Path) -> Result<JsonFiles, String> {
    let files = JsonFiles::from_dir(dir, "fixtures")?;
    if files.0.is_empty() {
        return Err(format!(
            "fixtures directory {} has no *.json files",
            dir.display()
        ));
    }
    Ok(files)
}

/// Checked fixtures, ready to be loaded into the state.
#[derive(Clone, Debug, Default)]
pub struct Fixtures {
    pub organizations: Vec<Organization>,
    pub keys: Vec<ApiKey>,
    /// Seed profiles, rendered as the API answers them.
    pub profiles: Vec<StoredProfile>,
    pub default_organization: Option<Uuid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    organization: OrganizationEntry,
    #[serde(default)]
    keys: Vec<KeyEntry>,
    #[serde(default)]
    profiles: Vec<ProfileEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationEntry {
    id: Uuid,
    name: String,
    email: String,
    #[serde(default)]
    waba_id: Option<String>,
    #[serde(default = "yes")]
    exists: bool,
    /// The organization whose admin an unknown key acts as under `--any-api-key`.
    #[serde(default)]
    default: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    key: String,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    profile_id: Option<Uuid>,
    description: String,
    /// A scenario every request with this key gets.
    #[serde(default)]
    scenario: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileEntry {
    id: Uuid,
    #[serde(default)]
    status: Option<ProfileStatus>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    /// The profile as the body of a create request.
    create: serde_json::Value,
}

/// Checks every file and builds the fixtures; the error names the file and the problem.
pub fn load(files: &JsonFiles, ids: &Ids, now: Timestamp) -> Result<Fixtures, String> {
    let mut out = Fixtures::default();
    let mut keys_seen = HashSet::new();
    let mut profiles_seen = HashSet::new();
    for (name, text) in &files.0 {
        let fail = |problem: String| format!("fixture file {name}: {problem}");
        let file: File = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
        let org = file.organization;
        if out
            .organizations
            .iter()
            .any(|o: &Organization| o.id == org.id)
        {
            return Err(fail(format!("organization {} is defined twice", org.id)));
        }
        if org.default {
            if out.default_organization.is_some() {
                return Err(fail("a second organization is marked default".into()));
            }
            out.default_organization = Some(org.id);
        }
        let organization = Organization {
            id: org.id,
            name: org.name,
            email: org.email,
            waba_id: org.waba_id,
            exists: org.exists,
        };

        let mut own_profiles = HashSet::new();
        for (i, entry) in file.profiles.into_iter().enumerate() {
            if !profiles_seen.insert(entry.id) {
                return Err(fail(format!(
                    "profiles[{i}]: profile {} is defined twice",
                    entry.id
                )));
            }
            own_profiles.insert(entry.id);
            let profile = seed_profile(entry, &organization, ids, now)
                .map_err(|problem| fail(format!("profiles[{i}]: {problem}")))?;
            out.profiles.push(profile);
        }

        for (i, entry) in file.keys.into_iter().enumerate() {
            let at = |problem: String| fail(format!("keys[{i}]: {problem}"));
            if entry.key.trim().is_empty() {
                return Err(at("the key is empty".into()));
            }
            if !keys_seen.insert(entry.key.clone()) {
                return Err(at("the key is defined twice".into()));
            }
            let grant = match Grant::from_fields(entry.role, entry.profile_id) {
                Some(Grant::Profile(profile)) if !own_profiles.contains(&profile) => {
                    return Err(at(format!(
                        "profile_id {profile} is not one of this organization's profiles"
                    )))
                }
                Some(grant) => grant,
                None => return Err(at("give exactly one of role and profile_id".into())),
            };
            out.keys.push(ApiKey {
                key: entry.key,
                organization_id: organization.id,
                grant,
                description: entry.description,
                scenario: entry.scenario,
            });
        }
        out.organizations.push(organization);
    }
    if out.default_organization.is_none() {
        out.default_organization = out.organizations.iter().find(|o| o.exists).map(|o| o.id);
    }
    Ok(out)
}

/// A seed profile: its create body checked by the create endpoint's own rules.
fn seed_profile(
    entry: ProfileEntry,
    org: &Organization,
    ids: &Ids,
    now: Timestamp,
) -> Result<StoredProfile, String> {
    let bytes = serde_json::to_vec(&entry.create).map_err(|e| e.to_string())?;
    let doc = json::parse(&bytes).map_err(|e| e.to_string())?;
    let input = create::validate(&doc, now).map_err(|e| describe(&e))?;
    create::check_rules(&input, org).map_err(|e| describe(&e))?;
    let created = entry.created_at.unwrap_or(now);
    let mut profile = create::build(input, org, ids, created);
    profile.id = entry.id;
    profile.status = entry.status.unwrap_or(ProfileStatus::Incomplete);
    Ok(StoredProfile::render(&profile))
}

fn describe(err: &crate::error::ApiError) -> String {
    match err.details() {
        Some(details) => details
            .iter()
            .map(|(path, messages)| format!("create.{path}: {}", messages.join("; ")))
            .collect::<Vec<_>>()
            .join(", "),
        None => err.message(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn load_one(text: &str) -> Result<Fixtures, String> {
        let files = JsonFiles(vec![("test.json".into(), text.into())]);
        load(&files, &Ids::new(Some(1)), Clock::default().now())
    }

    #[test]
    fn the_embedded_list_matches_the_fixtures_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        assert_eq!(from_dir(&dir).unwrap().names(), embedded().names());
    }

    #[test]
    fn the_embedded_fixtures_load() {
        let fixtures = load(&embedded(), &Ids::new(None), Clock::default().now()).unwrap();
        assert!(fixtures.organizations.len() >= 3);
        assert!(fixtures.default_organization.is_some());
    }

    #[test]
    fn a_bad_file_is_named_with_its_problem() {
        let err = load_one(r#"{"organization": {"id": "nope"}}"#).unwrap_err();
        assert!(err.starts_with("fixture file test.json:"), "{err}");
        let err = load_one(
            r#"{"organization": {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "A", "email": "a@b.co"},
                "keys": [{"key": "k", "role": "superuser", "description": "x"}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("superuser"), "{err}");
    }

    #[test]
    fn seed_profiles_follow_the_create_rules() {
        let err = load_one(
            r#"{"organization": {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "A", "email": "a@b.co", "waba_id": "1"},
                "profiles": [{"id": "770e8400-e29b-41d4-a716-446655440001", "create": {"short_name": "x"}}]}"#,
        )
        .unwrap_err();
        assert!(
            err.contains("profiles[0]: create.name: Profile name is required"),
            "{err}"
        );
    }
}
