//! The command line (typed flags, each with an environment fallback) and the resolved
//! configuration the server runs with.
//!
//! [`Cli`] is what a person types; [`Config`] is what [`crate::run`] needs, with files already
//! read. Tests build a `Config` directly and never go through the command line.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::callbacks;
use crate::clock::parse_duration;
use crate::files::JsonFiles;
use crate::fixtures;
use crate::idempotency::{self, MismatchMode};
use crate::scenarios;

#[derive(Debug, Parser)]
#[command(
    name = "sent-mock",
    version,
    about = "An in-memory mock and sandbox server of the Sent messaging API (v3)"
)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "SENT_MOCK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "SENT_MOCK_PORT", default_value_t = 4010)]
    pub port: u16,

    /// Directory of fixture files (*.json) replacing the embedded ones.
    #[arg(long, env = "SENT_MOCK_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// Accept any non-empty unknown API key as the default organization's admin (for SDK
    /// test suites that use placeholder keys such as `My API Key`).
    #[arg(long, env = "SENT_MOCK_ANY_API_KEY")]
    pub any_api_key: bool,

    /// Largest request body accepted; larger ones answer 413 (bytes, or with KiB/MiB).
    #[arg(long, env = "SENT_MOCK_MAX_BODY", default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,

    /// How long a stored idempotent answer is replayed (mock clock), e.g. 24h, 90m.
    #[arg(long, env = "SENT_MOCK_IDEMPOTENCY_TTL", default_value = "24h", value_parser = parse_duration)]
    pub idempotency_ttl: Duration,

    /// How long a request waits for another one running with the same key before a 409.
    #[arg(long, env = "SENT_MOCK_IDEMPOTENCY_WAIT", default_value = "5s", value_parser = parse_duration)]
    pub idempotency_wait: Duration,

    /// Most idempotency keys kept at once; past it a new key answers 503 SERVICE_001.
    #[arg(
        long,
        env = "SENT_MOCK_IDEMPOTENCY_CAPACITY",
        default_value_t = 100_000
    )]
    pub idempotency_capacity: usize,

    /// What a key reused for a different request gets: the stored answer, or a 422.
    #[arg(long, env = "SENT_MOCK_IDEMPOTENCY_MISMATCH", value_enum, default_value_t = MismatchMode::Replay)]
    pub idempotency_mismatch: MismatchMode,

    /// Directory of scenario files (*.json) replacing the shipped library.
    #[arg(long, env = "SENT_MOCK_SCENARIOS", value_name = "DIR")]
    pub scenarios: Option<PathBuf>,

    /// How many requests the journal (GET /_mock/requests) keeps; 0 keeps none.
    #[arg(long, env = "SENT_MOCK_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,

    /// Switch the control API (/_mock/...) off: its paths answer 404.
    #[arg(long, env = "SENT_MOCK_NO_ADMIN", conflicts_with = "admin_token")]
    pub no_admin: bool,

    /// Require `Authorization: Bearer TOKEN` on the control API (health stays open).
    #[arg(long, env = "SENT_MOCK_ADMIN_TOKEN", value_name = "TOKEN")]
    pub admin_token: Option<String>,

    /// Make every generated id and request id reproducible from run to run.
    #[arg(long, env = "SENT_MOCK_SEED", value_name = "N")]
    pub seed: Option<u64>,

    /// Save profiles (and minted organizations) here on shutdown and load them at start.
    #[arg(long, env = "SENT_MOCK_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,

    /// How long after a completion the webhook callback goes out.
    #[arg(long, env = "SENT_MOCK_CALLBACK_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub callback_delay: Duration,

    /// How many times a failing webhook callback is tried (waits 250ms, 500ms, 1s, ...).
    #[arg(long, env = "SENT_MOCK_CALLBACK_ATTEMPTS", default_value_t = 4)]
    pub callback_attempts: u32,

    /// Close a connection whose request headers take longer than this (slowloris), and an
    /// idle keep-alive connection after this long.
    #[arg(long, env = "SENT_MOCK_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// Answer 408 and close when a request body takes longer than this to arrive.
    #[arg(long, env = "SENT_MOCK_BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,

    /// Most headers in one request; more answer 431 (HTTP/1).
    #[arg(long, env = "SENT_MOCK_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,

    /// Largest request head (request line and headers); larger answers 431 (bytes, or KiB).
    #[arg(long, env = "SENT_MOCK_MAX_HEADER_BYTES", default_value = "64KiB", value_parser = parse_size)]
    pub max_header_bytes: usize,

    /// Longest request target (path and query); longer answers 414.
    #[arg(long, env = "SENT_MOCK_MAX_URI_BYTES", default_value = "8KiB", value_parser = parse_size)]
    pub max_uri_bytes: usize,

    /// Most connections served at once; further ones wait in the listen queue.
    #[arg(long, env = "SENT_MOCK_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Most concurrent HTTP/2 streams per connection; more are refused by the protocol.
    #[arg(long, env = "SENT_MOCK_H2_MAX_STREAMS", default_value_t = 100)]
    pub h2_max_streams: u32,

    /// Log format on standard error.
    #[arg(long, env = "SENT_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// What the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub fixtures: JsonFiles,
    pub any_api_key: bool,
    pub max_body: usize,
    pub idempotency: idempotency::Settings,
    pub scenarios: JsonFiles,
    pub journal_size: usize,
    pub admin: Admin,
    pub seed: Option<u64>,
    pub state_file: Option<PathBuf>,
    pub callbacks: callbacks::Settings,
    pub limits: Limits,
}

/// What the server refuses, and when it gives up on a slow client.
#[derive(Clone, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_headers: usize,
    pub max_header_bytes: usize,
    pub max_uri_bytes: usize,
    pub max_connections: usize,
    pub h2_max_streams: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            max_uri_bytes: 8 * 1024,
            max_connections: 1024,
            h2_max_streams: 100,
        }
    }
}

/// Who may use the control API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admin {
    /// Anyone who can reach the port (the default: it is a local mock).
    Open,
    /// Callers with `Authorization: Bearer <token>`.
    Token(String),
    /// Nobody: the paths answer 404.
    Off,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            fixtures: fixtures::embedded(),
            any_api_key: false,
            max_body: 1024 * 1024,
            idempotency: idempotency::Settings::default(),
            scenarios: scenarios::embedded(),
            journal_size: 1000,
            admin: Admin::Open,
            seed: None,
            state_file: None,
            callbacks: callbacks::Settings::default(),
            limits: Limits::default(),
        }
    }
}

impl Cli {
    /// Resolves the flags into a configuration, reading any files they name.
    pub fn into_config(self) -> Result<Config, String> {
        let fixtures = match &self.fixtures {
            Some(dir) => fixtures::from_dir(dir)?,
            None => fixtures::embedded(),
        };
        Ok(Config {
            fixtures,
            any_api_key: self.any_api_key,
            max_body: self.max_body,
            idempotency: idempotency::Settings {
                ttl: self.idempotency_ttl,
                wait: self.idempotency_wait,
                capacity: self.idempotency_capacity,
                mismatch: self.idempotency_mismatch,
            },
            scenarios: match &self.scenarios {
                Some(dir) => JsonFiles::from_dir(dir, "scenarios")?,
                None => scenarios::embedded(),
            },
            journal_size: self.journal_size,
            admin: match (self.no_admin, self.admin_token) {
                (true, _) => Admin::Off,
                (false, Some(token)) => Admin::Token(token),
                (false, None) => Admin::Open,
            },
            seed: self.seed,
            state_file: self.state_file,
            callbacks: callbacks::Settings {
                delay: self.callback_delay,
                attempts: self.callback_attempts,
                ..callbacks::Settings::default()
            },
            limits: Limits {
                header_read_timeout: self.header_read_timeout,
                body_read_timeout: self.body_read_timeout,
                max_headers: self.max_headers,
                // hyper's read buffer cannot be smaller than 8 KiB.
                max_header_bytes: self.max_header_bytes.max(8192),
                max_uri_bytes: self.max_uri_bytes,
                max_connections: self.max_connections.max(1),
                h2_max_streams: self.h2_max_streams.max(1),
            },
        })
    }
}

/// `1048576`, `512KiB`, `1MiB` (also `KB`/`MB`, `k`/`m`, all binary multiples).
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 1048576, 512KiB or 1MiB"))?;
    let multiple = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        _ => return Err(format!("'{text}' has an unknown unit; use KiB or MiB")),
    };
    n.checked_mul(multiple)
        .filter(|&size| size > 0)
        .ok_or_else(|| format!("'{text}' is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("512KiB"), Ok(524_288));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1GiB").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn the_command_line_has_the_documented_defaults() {
        let cli = Cli::try_parse_from(["sent-mock"]).unwrap();
        assert_eq!(cli.port, 4010);
        assert_eq!(cli.host.to_string(), "127.0.0.1");
        assert_eq!(cli.max_body, 1_048_576);
        assert!(!cli.any_api_key);
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
