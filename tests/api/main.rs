//! The integration suite: one binary, a real server on `127.0.0.1:0` per test, real HTTP.

mod support;

mod auth;
mod binary;
mod control;
mod create;
mod http;
mod idempotency;
mod profiles;
mod robustness;
mod scenarios;
mod secrets;
mod update;
mod validation;
mod wire;
