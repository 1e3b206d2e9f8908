//! The addresses file written by `scripts/Deploy.s.sol`.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use serde::Deserialize;

/// Errors loading a deployment file.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The file could not be read.
    #[error(
        "cannot read deployment file {path}: {source} (deploy first: forge script scripts/Deploy.s.sol --broadcast)"
    )]
    Read {
        /// The path tried.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the expected JSON.
    #[error("malformed deployment file {path}: {source}")]
    Malformed {
        /// The path read.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The file belongs to another chain.
    #[error("deployment file {path} is for chain {found}, expected chain {expected}")]
    WrongChain {
        /// The path read.
        path: PathBuf,
        /// The chain id wanted.
        expected: u64,
        /// The chain id in the file.
        found: u64,
    },
    /// A contract address is zero.
    #[error("deployment file {path} has a zero address for {field}")]
    ZeroAddress {
        /// The path read.
        path: PathBuf,
        /// The JSON key.
        field: &'static str,
    },
}

/// Addresses of the on-chain core on one chain.
///
/// ```
/// let json = r#"{"chainId":31337,"deployer":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
///   "token":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
///   "workerRegistry":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
///   "modelRegistry":"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
///   "taskEscrow":"0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
///   "pipeSettlement":"0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9","startBlock":1}"#;
/// let deployment = verigrad_contracts::Deployment::from_json(json, "inline")?;
/// assert_eq!(deployment.chain_id, 31337);
/// assert!(!deployment.pipe_settlement.is_zero());
/// # Ok::<(), verigrad_contracts::DeploymentError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    /// Chain the contracts live on.
    pub chain_id: u64,
    /// Account that deployed (and owns) them.
    pub deployer: Address,
    /// The network token.
    pub token: Address,
    /// The worker registry.
    pub worker_registry: Address,
    /// The model registry.
    pub model_registry: Address,
    /// The task escrow.
    pub task_escrow: Address,
    /// PIPE billing (`PipeSettlement`); zero in a file written before the deploy script deployed it,
    /// which [`Chain::settlement`](crate::Chain::settlement) refuses.
    #[serde(default)]
    pub pipe_settlement: Address,
    /// Disputes of signed PIPE answers (`PipeDisputes`); zero in a file written before the deploy script
    /// deployed it.
    #[serde(default)]
    pub pipe_disputes: Address,
    /// MemSync's memory registry (`MemoryRegistry`); zero in a file written before the deploy
    /// script deployed it, which [`Chain::memory`](crate::Chain::memory) refuses.
    #[serde(default)]
    pub memory_registry: Address,
    /// The twins' identity registry and drift checks (`TwinRegistry`); zero in a file written before the
    /// deploy script deployed it.
    #[serde(default)]
    pub twin_registry: Address,
    /// The twins' ERC-8004 reputation registry (`TwinReputation`); zero in an older file.
    #[serde(default)]
    pub twin_reputation: Address,
    /// The twins' ERC-8004 validation registry (`TwinValidation`); zero in an older file.
    #[serde(default)]
    pub twin_validation: Address,
    /// Block from which to read events.
    pub start_block: u64,
}

impl Deployment {
    /// Reads and validates a deployment file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DeploymentError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| DeploymentError::Read { path: path.to_path_buf(), source })?;
        Self::from_json(&json, path)
    }

    /// Reads `<dir>/<chain_id>.json` and checks it belongs to `chain_id`.
    pub fn for_chain(dir: impl AsRef<Path>, chain_id: u64) -> Result<Self, DeploymentError> {
        let path = dir.as_ref().join(format!("{chain_id}.json"));
        let deployment = Self::load(&path)?;
        if deployment.chain_id != chain_id {
            return Err(DeploymentError::WrongChain {
                path,
                expected: chain_id,
                found: deployment.chain_id,
            });
        }
        Ok(deployment)
    }

    /// Parses and validates deployment JSON; `origin` names its source in errors.
    pub fn from_json(json: &str, origin: impl AsRef<Path>) -> Result<Self, DeploymentError> {
        let path = origin.as_ref().to_path_buf();
        let deployment: Self = serde_json::from_str(json)
            .map_err(|source| DeploymentError::Malformed { path: path.clone(), source })?;
        for (field, address) in [
            ("token", deployment.token),
            ("workerRegistry", deployment.worker_registry),
            ("modelRegistry", deployment.model_registry),
            ("taskEscrow", deployment.task_escrow),
        ] {
            if address.is_zero() {
                return Err(DeploymentError::ZeroAddress { path, field });
            }
        }
        Ok(deployment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"chainId":31337,"deployer":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "token":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "workerRegistry":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        "modelRegistry":"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "taskEscrow":"0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
        "pipeSettlement":"0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
        "pipeDisputes":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
        "memoryRegistry":"0x0165878A594ca255338adfa4d48449f69242Eb8F","startBlock":7}"#;

    #[test]
    fn parses_the_deploy_script_output() {
        let d = Deployment::from_json(VALID, "t").expect("valid");
        assert_eq!(d.chain_id, 31337);
        assert_eq!(d.start_block, 7);
        assert_eq!(
            d.task_escrow,
            "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9".parse::<Address>().expect("address")
        );
        assert_eq!(
            d.pipe_settlement,
            "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9".parse::<Address>().expect("address")
        );
        assert_eq!(
            d.pipe_disputes,
            "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707".parse::<Address>().expect("address")
        );
        assert_eq!(
            d.memory_registry,
            "0x0165878A594ca255338adfa4d48449f69242Eb8F".parse::<Address>().expect("address")
        );
    }

    #[test]
    fn loads_a_file_written_before_pipe_billing() {
        let old = VALID
            .replace(r#""pipeSettlement":"0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9","#, "")
            .replace(r#""pipeDisputes":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707","#, "")
            .replace(r#""memoryRegistry":"0x0165878A594ca255338adfa4d48449f69242Eb8F","#, "");
        assert_ne!(old, VALID);
        let d = Deployment::from_json(&old, "old").expect("an older file still loads");
        assert!(d.pipe_settlement.is_zero());
        assert!(d.pipe_disputes.is_zero());
        assert!(d.memory_registry.is_zero());
    }

    #[test]
    fn rejects_bad_files() {
        let zero = VALID.replace(
            "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            "0x0000000000000000000000000000000000000000",
        );
        type Expect = fn(&DeploymentError) -> bool;
        let cases: [(&str, &str, Expect); 4] = [
            ("not json", "{", |e| matches!(e, DeploymentError::Malformed { .. })),
            ("missing key", r#"{"chainId":1}"#, |e| matches!(e, DeploymentError::Malformed { .. })),
            ("bad address", &VALID.replace("0x5FbDB", "0xZZZZZ"), |e| {
                matches!(e, DeploymentError::Malformed { .. })
            }),
            ("zero address", &zero, |e| {
                matches!(e, DeploymentError::ZeroAddress { field: "modelRegistry", .. })
            }),
        ];
        for (name, json, expected) in cases {
            let err = Deployment::from_json(json, name).expect_err(name);
            assert!(expected(&err), "{name}: unexpected {err}");
        }
    }

    #[test]
    fn for_chain_reads_the_chain_file_and_checks_its_id() {
        let dir = std::env::temp_dir().join(format!("verigrad-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("31337.json"), VALID).expect("write");
        std::fs::write(dir.join("1.json"), VALID).expect("write");

        assert_eq!(Deployment::for_chain(&dir, 31337).expect("found").chain_id, 31337);
        let wrong = Deployment::for_chain(&dir, 1).expect_err("chain mismatch");
        assert!(matches!(wrong, DeploymentError::WrongChain { expected: 1, found: 31337, .. }));
        let missing = Deployment::for_chain(&dir, 5).expect_err("missing");
        assert!(missing.to_string().contains("5.json"), "{missing}");
        assert!(missing.to_string().contains("Deploy.s.sol"), "says how to fix it: {missing}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
