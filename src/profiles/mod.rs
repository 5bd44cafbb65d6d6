//! The profiles resource: its model, its field rules, its store and one module per endpoint.

pub mod complete;
pub mod create;
pub mod delete;
pub mod fields;
pub mod list;
pub mod model;
pub mod one_pass;
pub mod retrieve;
pub mod store;
pub mod update;
