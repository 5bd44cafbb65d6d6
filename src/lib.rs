//! sent-mock: an in-memory mock and sandbox server of the Sent messaging API (v3).
//!
//! A request flows one way through these stages, each in its own module:
//!
//! 1. [`server`] accepts the connection and buffers the request once into a [`request::Request`]
//!    (body limit → 413);
//! 2. [`route`] resolves method and path to a [`route::Route`] (unknown → 404, wrong method →
//!    405);
//! 3. [`auth`] identifies the caller from the API key and `x-profile-id` against the
//!    [`directory`] and checks the role the route needs;
//! 4. [`body`] reads the body as a JSON object ([`json`] parses it strictly);
//! 5. the endpoint in [`profiles`] validates it into typed input with the readers of
//!    [`validate`], applies business rules, and changes the [`profiles::store`];
//! 6. [`response`] renders the envelope and the headers every response carries ([`render`]
//!    writes a profile's JSON by hand).
//!
//! [`pipeline`] runs these stages in that order. Later stages may use earlier stages' types
//! but never call back into them; the [`state::App`] handle holds the stores, the [`clock`]
//! and the [`ids`] source, and [`error::ApiError`] is the one way any stage fails.

pub mod auth;
pub mod banner;
pub mod body;
pub mod callbacks;
pub mod clock;
pub mod config;
pub mod control;
pub mod counters;
pub mod directory;
pub mod error;
pub mod files;
pub mod fixtures;
pub mod hash;
pub mod idempotency;
pub mod ids;
pub mod journal;
pub mod json;
pub mod logging;
pub mod memory;
pub mod persist;
pub mod pipeline;
pub mod profiles;
pub mod render;
pub mod request;
pub mod response;
pub mod route;
pub mod scenarios;
pub mod secret;
pub mod server;
pub mod state;
pub mod timer;
pub mod validate;

pub use config::{Cli, Config};
pub use server::Server;

/// Serves `config` on `listener` until `shutdown` completes. Fails before serving when the
/// configuration is bad (a fixture file, say), with a message naming the problem.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    Server::new(config, listener)?.run(shutdown).await;
    Ok(())
}
