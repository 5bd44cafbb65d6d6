//! The profiles resource: its model, its field rules, its store and one module per endpoint.

pub mod create;
pub mod fields;
pub mod model;
pub mod store;
