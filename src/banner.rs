//! What the mock prints when it starts: where it listens, the keys it knows and what each is
//! for, and how to point the official SDKs at it.

use std::fmt::Write;
use std::net::SocketAddr;

use crate::directory::Grant;
use crate::state::App;

pub fn banner(app: &App, addr: SocketAddr) -> String {
    let url = format!("http://{addr}");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sent-mock {} listening on {url}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "API keys (send as x-api-key):");
    let width = app
        .fixtures
        .keys
        .iter()
        .map(|k| k.key.len())
        .max()
        .unwrap_or(0);
    for key in &app.fixtures.keys {
        let _ = writeln!(out, "  {:width$}  {}", key.key, key.description);
    }
    if app.config.any_api_key {
        let _ = writeln!(
            out,
            "  (--any-api-key: any other non-empty key acts as the default organization's admin)"
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Point the official SDKs at it:");
    let admin = app
        .fixtures
        .keys
        .iter()
        .find(|k| matches!(k.grant, Grant::Organization(role) if role.may_mutate()))
        .map_or("<key>", |k| k.key.as_str());
    let _ = writeln!(out, "  export SENT_BASE_URL={url}");
    let _ = writeln!(out, "  export SENT_DM_API_KEY={admin}");
    let _ = writeln!(out);
    let _ = writeln!(out, "Try it:");
    let _ = writeln!(
        out,
        "  curl -s {url}/v3/profiles -H 'x-api-key: {admin}' -H 'content-type: application/json' -d '{{\"name\": \"Sales Team\"}}'"
    );
    out
}
