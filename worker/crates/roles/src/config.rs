//! The worker's configuration file (TOML, or JSON by extension); flags and `VERIGRAD_*` variables
//! override it in the binary.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use verigrad_contracts::{GasPolicy, ReceiptPolicy, RetryPolicy};

/// Everything the worker reads at start. Every field has a default, so a file sets only what it
/// changes.
///
/// ```
/// let config = verigrad_roles::Config::from_toml(
///     "deployment = \"deployments/31337.json\"\n[rpc.retry]\nattempts = 3\n",
///     "inline.toml",
/// )?;
/// assert_eq!(config.rpc.retry.attempts, 3);
/// assert_eq!(config.rpc.url, "http://127.0.0.1:8545");
/// # Ok::<(), verigrad_roles::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The deployment file; by default `deployments/<chain id>.json`.
    pub deployment: Option<PathBuf>,
    /// The node connection.
    pub rpc: RpcConfig,
    /// Gas limits.
    pub gas: GasPolicy,
    /// Tasks: the store node, models, polling (`worker run`, `worker submit`).
    pub tasks: TaskConfig,
}

/// How `worker run` and `worker submit` handle tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskConfig {
    /// The store node for task inputs, outputs and model packages.
    pub store_url: String,
    /// Model package folders, or folders of them.
    pub models: Vec<PathBuf>,
    /// Where `worker run` keeps its database and pulled packages.
    pub data_dir: PathBuf,
    /// Wait between polls of the chain, in milliseconds.
    pub poll_ms: u64,
    /// Largest task input `worker run` fetches, in KiB.
    pub max_input_kib: usize,
}

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            store_url: "http://127.0.0.1:9100".into(),
            models: vec![PathBuf::from("models")],
            data_dir: PathBuf::from(".worker/data"),
            poll_ms: 1_000,
            max_input_kib: 1_024,
        }
    }
}

/// The node connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// JSON-RPC endpoint (HTTP).
    pub url: String,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Waiting for receipts.
    pub receipts: ReceiptPolicy,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8545".into(),
            retry: RetryPolicy::default(),
            receipts: ReceiptPolicy::default(),
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("config file {path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: toml::de::Error,
    },
    /// The JSON is malformed or has unknown keys.
    #[error("config file {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl Config {
    /// Reads a configuration file: JSON if its name ends in `.json`, TOML otherwise.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        if path.extension().is_some_and(|ext| ext == "json") {
            serde_json::from_str(&text)
                .map_err(|source| ConfigError::Json { path: path.to_path_buf(), source })
        } else {
            Self::from_toml(&text, path)
        }
    }

    /// Parses TOML; `origin` names its source in errors.
    pub fn from_toml(text: &str, origin: impl AsRef<Path>) -> Result<Self, ConfigError> {
        toml::from_str(text)
            .map_err(|source| ConfigError::Toml { path: origin.as_ref().to_path_buf(), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_toml_and_json_with_defaults_for_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let toml = dir.path().join("worker.toml");
        std::fs::write(
            &toml,
            "[rpc]\nurl = \"http://127.0.0.1:9\"\n[gas]\nheadroom_percent = 40\n[tasks]\npoll_ms = 200\n",
        )
        .expect("write");
        let json = dir.path().join("worker.json");
        std::fs::write(
            &json,
            r#"{"rpc":{"url":"http://127.0.0.1:9"},"gas":{"headroom_percent":40},"tasks":{"poll_ms":200}}"#,
        )
        .expect("write");
        for path in [toml, json] {
            let config = Config::load(&path).expect("valid");
            assert_eq!(config.rpc.url, "http://127.0.0.1:9", "{}", path.display());
            assert_eq!(config.gas.headroom_percent, 40);
            assert_eq!(config.tasks.poll_ms, 200);
            assert_eq!(config.tasks.store_url, TaskConfig::default().store_url);
            assert_eq!(config.rpc.retry, RetryPolicy::default());
            assert_eq!(config.deployment, None);
        }
    }

    #[test]
    fn rejects_unknown_keys_and_missing_files() {
        let typo = Config::from_toml("[rpc]\nurll = \"x\"\n", "typo.toml").expect_err("typo");
        assert!(typo.to_string().contains("urll"), "{typo}");
        let missing = Config::load("/nonexistent/worker.toml").expect_err("missing");
        assert!(matches!(missing, ConfigError::Read { .. }), "{missing}");
    }
}
