//! Who can call the mock: organizations and their API keys.
//!
//! Filled from the fixtures at start. Reads are on every request and writes are rare (minting
//! an organization at run time), so both maps are DashMaps: lookups from the two cores do not
//! contend, and no guard is ever held beyond the lookup that took it. Both hash with
//! [`Fx`]: only the fixtures and the control API put entries in them, and a key a client
//! presents is only looked up, so it cannot make entries collide.

use std::hash::BuildHasherDefault;
use std::sync::Arc;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hash::Fx;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// The organization's own WhatsApp Business Account, which profiles inherit.
    pub waba_id: Option<String>,
    /// `false` for an organization that was deleted: its keys answer 404 `RESOURCE_005`.
    pub exists: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Developer,
    Billing,
}

impl Role {
    /// Mutations (create, update, delete, complete) need an owner or an admin.
    pub fn may_mutate(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// What a key opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// An organization key with a role.
    Organization(Role),
    /// A profile key: reads its own profile and nothing else.
    Profile(Uuid),
}

impl Grant {
    /// The grant as files write it: a role, or a profile id, never both.
    pub fn from_fields(role: Option<Role>, profile_id: Option<Uuid>) -> Option<Grant> {
        match (role, profile_id) {
            (Some(role), None) => Some(Grant::Organization(role)),
            (None, Some(profile)) => Some(Grant::Profile(profile)),
            _ => None,
        }
    }

    /// The other way round: `(role, profile_id)`.
    pub fn fields(self) -> (Option<Role>, Option<Uuid>) {
        match self {
            Grant::Organization(role) => (Some(role), None),
            Grant::Profile(profile) => (None, Some(profile)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiKey {
    pub key: String,
    pub organization_id: Uuid,
    pub grant: Grant,
    /// What the key is for, as the start-up banner and the README list it.
    pub description: String,
    /// A scenario every request with this key gets (unless a header names another).
    pub scenario: Option<String>,
}

/// Organizations and keys. Lookups clone an `Arc` and release the shard at once.
#[derive(Debug, Default)]
pub struct Directory {
    organizations: DashMap<Uuid, Arc<Organization>, BuildHasherDefault<Fx>>,
    keys: DashMap<String, Arc<ApiKey>, BuildHasherDefault<Fx>>,
    /// The organization whose admin an unknown key acts as under `--any-api-key`.
    default_organization: Option<Uuid>,
}

impl Directory {
    pub fn new(default_organization: Option<Uuid>) -> Directory {
        Directory {
            default_organization,
            ..Directory::default()
        }
    }

    pub fn add_organization(&self, org: Organization) {
        self.organizations.insert(org.id, Arc::new(org));
    }

    pub fn add_key(&self, key: ApiKey) {
        self.keys.insert(key.key.clone(), Arc::new(key));
    }

    pub fn key(&self, key: &str) -> Option<Arc<ApiKey>> {
        self.keys.get(key).map(|entry| Arc::clone(entry.value()))
    }

    pub fn organization(&self, id: Uuid) -> Option<Arc<Organization>> {
        self.organizations
            .get(&id)
            .map(|entry| Arc::clone(entry.value()))
    }

    pub fn default_organization(&self) -> Option<Uuid> {
        self.default_organization
    }

    /// Every organization, in id order.
    pub fn organizations(&self) -> Vec<Arc<Organization>> {
        let mut all: Vec<_> = self
            .organizations
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect();
        all.sort_by_key(|org| org.id);
        all
    }

    /// Every key, in key order.
    pub fn keys(&self) -> Vec<Arc<ApiKey>> {
        let mut all: Vec<_> = self.keys.iter().map(|e| Arc::clone(e.value())).collect();
        all.sort_by(|a, b| a.key.cmp(&b.key));
        all
    }

    /// Back to exactly these organizations and keys (minted ones go).
    pub fn reset(&self, organizations: &[Organization], keys: &[ApiKey]) {
        self.organizations.clear();
        self.keys.clear();
        for org in organizations {
            self.add_organization(org.clone());
        }
        for key in keys {
            self.add_key(key.clone());
        }
    }
}
