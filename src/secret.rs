//! A wrapper for values that must never be shown: card data and access tokens.
//!
//! `Debug` and `Display` print `[REDACTED]`, and the type has no `Serialize`, so a secret
//! cannot reach a response, a log line, the journal or a panic message by accident.

use std::fmt;

pub const REDACTED: &str = "[REDACTED]";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself, for the one place that must use it (a check, never an output).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_redacted_in_debug_and_display() {
        let card = Secret::new(String::from("4242424242424242"));
        assert_eq!(format!("{card:?} {card}"), "[REDACTED] [REDACTED]");
        assert_eq!(card.expose(), "4242424242424242");
    }
}
