//! The twin registry's client: ERC-8004 identities, their bindings (release, profile, memory, probe
//! set, drift bound) and the drift checks that move a binding's release.

use alloy::{
    primitives::{Address, B256, U256, aliases::U96, keccak256},
    rpc::types::TransactionReceipt,
    sol_types::{SolEvent, SolValue},
};

use crate::{
    bindings::{
        TwinRegistry::{
            self, DriftCheck, DriftMember, TwinBinding, TwinRegistryErrors, UpgradeProposed,
        },
        TwinReputation,
    },
    chain::Chain,
    error::{ChainError, Result},
    rpc::Rpc,
    sender::TxSender,
};

impl Chain {
    /// The twins' reputation registry; [`ChainError::NotDeployed`] if the deployment file predates it.
    pub fn twin_reputation(&self) -> Result<TwinReputationClient> {
        let address = self.deployment().twin_reputation;
        if address.is_zero() {
            return Err(ChainError::NotDeployed("twinReputation"));
        }
        Ok(TwinReputationClient { rpc: self.rpc().clone(), address })
    }

    /// The twin registry; [`ChainError::NotDeployed`] if the deployment file predates it.
    pub fn twins(&self) -> Result<TwinRegistryClient> {
        let address = self.deployment().twin_registry;
        if address.is_zero() {
            return Err(ChainError::NotDeployed("twinRegistry"));
        }
        Ok(TwinRegistryClient { rpc: self.rpc().clone(), address })
    }
}

/// What a twin is bound to, as `bind` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinTerms {
    /// The model release it runs.
    pub release: B256,
    /// keccak-256 of its behaviour profile.
    pub profile_hash: B256,
    /// Its MemSync namespace (zero for none).
    pub memory_namespace: B256,
    /// keccak-256 of its probe set (`verigrad_inference::ProbeSet::commitment`).
    pub probe_set_hash: B256,
    /// The largest drift a release move may show, ppm.
    pub drift_bound_ppm: u32,
}

/// The commitment a committee member sends before revealing its measurement:
/// `keccak256(abi.encode(checkId, driftPpm, probeSetHash, salt, member))` (the registry's
/// `driftCommitment`).
pub fn drift_commitment(
    check: U256,
    drift_ppm: u32,
    probe_set_hash: B256,
    salt: B256,
    member: Address,
) -> B256 {
    keccak256((check, drift_ppm, probe_set_hash, salt, member).abi_encode())
}

/// The ERC-8004 metadata key a twin's profile document is published under.
pub const PROFILE_KEY: &str = "profile";

/// The twin registry of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct TwinRegistryClient {
    rpc: Rpc,
    address: Address,
}

impl TwinRegistryClient {
    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Mints an identity for `sender` with its registration file at `agent_uri`; returns its
    /// `agentId`.
    pub async fn register(&self, sender: &TxSender, agent_uri: &str) -> Result<U256> {
        let call =
            TwinRegistry::register_1Call { agentURI: agent_uri.to_owned(), metadata: Vec::new() };
        let receipt = sender.call(self.address, call).await?;
        let registered = event::<TwinRegistry::Registered>(&receipt, self.address, "Registered")?;
        Ok(registered.agentId)
    }

    /// Binds twin `agent` for the first time, as one of its operators.
    pub async fn bind(
        &self,
        sender: &TxSender,
        agent: U256,
        terms: &TwinTerms,
    ) -> Result<TransactionReceipt> {
        let call = TwinRegistry::bindCall {
            agentId: agent,
            release: terms.release,
            profileHash: terms.profile_hash,
            memoryNamespace: terms.memory_namespace,
            probeSetHash: terms.probe_set_hash,
            driftBoundPpm: terms.drift_bound_ppm,
        };
        sender.call(self.address, call).await
    }

    /// The twin's binding now, or `None` if it is not bound (or no such twin).
    pub async fn binding(&self, agent: U256) -> Result<Option<TwinBinding>> {
        match self.rpc.view(self.address, TwinRegistry::bindingCall { agentId: agent }).await {
            Ok(binding) => Ok(Some(binding)),
            Err(error)
                if matches!(
                    error.revert().and_then(|r| r.as_error::<TwinRegistryErrors>()),
                    Some(TwinRegistryErrors::NotBound(_) | TwinRegistryErrors::UnknownTwin(_))
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Publishes the twin's profile document in its ERC-8004 metadata (under
    /// [`PROFILE_KEY`]): the bytes whose keccak-256 the binding pins.
    pub async fn publish_profile(
        &self,
        sender: &TxSender,
        agent: U256,
        profile: &[u8],
    ) -> Result<TransactionReceipt> {
        let call = TwinRegistry::setMetadataCall {
            agentId: agent,
            metadataKey: PROFILE_KEY.to_owned(),
            metadataValue: profile.to_vec().into(),
        };
        sender.call(self.address, call).await
    }

    /// The twin's published profile document (empty if none).
    pub async fn profile(&self, agent: U256) -> Result<Vec<u8>> {
        let call =
            TwinRegistry::getMetadataCall { agentId: agent, metadataKey: PROFILE_KEY.into() };
        Ok(self.rpc.view(self.address, call).await?.to_vec())
    }

    /// Every version of the twin's binding, the first first.
    pub async fn history(&self, agent: U256) -> Result<Vec<TwinBinding>> {
        let versions: U256 = self
            .rpc
            .view(self.address, TwinRegistry::bindingVersionsCall { agentId: agent })
            .await?;
        let mut history = Vec::new();
        for version in 0..versions.to::<u64>() {
            let call = TwinRegistry::bindingAtCall { agentId: agent, version: U256::from(version) };
            history.push(self.rpc.view(self.address, call).await?);
        }
        Ok(history)
    }

    /// Proposes moving twin `agent` to release `to`, escrowing `fee` (which `sender` approved);
    /// returns the check's id.
    pub async fn propose_upgrade(
        &self,
        sender: &TxSender,
        agent: U256,
        to: B256,
        fee: U96,
    ) -> Result<U256> {
        let call = TwinRegistry::proposeUpgradeCall { agentId: agent, toRelease: to, fee };
        let receipt = sender.call(self.address, call).await?;
        let proposed = event::<UpgradeProposed>(&receipt, self.address, "UpgradeProposed")?;
        Ok(proposed.checkId)
    }

    /// Draws check `check`'s committee once its anchor is mined (anyone may).
    pub async fn draw_committee(
        &self,
        sender: &TxSender,
        check: U256,
    ) -> Result<TransactionReceipt> {
        sender.call(self.address, TwinRegistry::drawCommitteeCall { checkId: check }).await
    }

    /// Check `check` as it stands.
    pub async fn check(&self, check: U256) -> Result<DriftCheck> {
        self.rpc.view(self.address, TwinRegistry::getCheckCall { checkId: check }).await
    }

    /// Check `check`'s committee and where each member's vote stands.
    pub async fn committee(&self, check: U256) -> Result<Vec<DriftMember>> {
        self.rpc.view(self.address, TwinRegistry::committeeOfCall { checkId: check }).await
    }

    /// Commits `sender`'s measurement of check `check` ([`drift_commitment`]).
    pub async fn commit_drift(
        &self,
        sender: &TxSender,
        check: U256,
        commitment: B256,
    ) -> Result<TransactionReceipt> {
        let call = TwinRegistry::commitDriftCall { checkId: check, commitment };
        sender.call(self.address, call).await
    }

    /// Reveals `sender`'s measurement of check `check`.
    pub async fn reveal_drift(
        &self,
        sender: &TxSender,
        check: U256,
        drift_ppm: u32,
        probe_set_hash: B256,
        salt: B256,
    ) -> Result<TransactionReceipt> {
        let call = TwinRegistry::revealDriftCall {
            checkId: check,
            driftPpm: drift_ppm,
            probeSetHash: probe_set_hash,
            salt,
        };
        sender.call(self.address, call).await
    }

    /// Resolves check `check` once its reveals closed (anyone may).
    pub async fn resolve_check(
        &self,
        sender: &TxSender,
        check: U256,
    ) -> Result<TransactionReceipt> {
        sender.call(self.address, TwinRegistry::resolveCheckCall { checkId: check }).await
    }

    /// What `account` may claim (fee shares, refunds).
    pub async fn claimable(&self, account: Address) -> Result<U256> {
        self.rpc.view(self.address, TwinRegistry::claimableCall { account }).await
    }
}

/// The first `E` the registry at `address` emitted in `receipt`.
fn event<E: SolEvent>(
    receipt: &TransactionReceipt,
    address: Address,
    name: &'static str,
) -> Result<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == address)
        .find_map(|log| E::decode_log(&log.inner).ok())
        .map(|log| log.data)
        .ok_or_else(|| ChainError::MissingEvent {
            event: name,
            context: format!("transaction {}", receipt.transaction_hash),
        })
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256};

    use super::*;

    #[test]
    fn the_commitment_hashes_what_the_reveal_opens() {
        let member = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let probes = b256!("8737b532e02370b8af85728934a4a757ea22c87462ea9c175d16d94bd1fc0042");
        let salt = B256::repeat_byte(7);
        let one = drift_commitment(U256::from(1), 1_206, probes, salt, member);
        assert_ne!(one, drift_commitment(U256::from(1), 1_207, probes, salt, member));
        assert_ne!(one, drift_commitment(U256::from(2), 1_206, probes, salt, member));
        let encoded = (U256::from(1), 1_206u32, probes, salt, member).abi_encode();
        assert_eq!(encoded.len(), 5 * 32, "abi.encode: five words");
        assert_eq!(one, keccak256(encoded));
    }
}

/// The twins' ERC-8004 reputation registry: feedback only from clients whose paid invocations were
/// recorded.
#[derive(Debug, Clone)]
pub struct TwinReputationClient {
    rpc: Rpc,
    address: Address,
}

impl TwinReputationClient {
    /// Records that `payer` paid for an invocation of twin `agent` (as a holder of
    /// `PAYER_RECORDER_ROLE`).
    pub async fn record_invocation(
        &self,
        sender: &TxSender,
        agent: U256,
        payer: Address,
    ) -> Result<TransactionReceipt> {
        let call = TwinReputation::recordInvocationsCall { agentId: agent, payer, count: 1 };
        sender.call(self.address, call).await
    }

    /// How many of `payer`'s invocations of twin `agent` were recorded.
    pub async fn paid_invocations(&self, agent: U256, payer: Address) -> Result<u64> {
        let call = TwinReputation::paidInvocationsCall { agentId: agent, payer };
        self.rpc.view(self.address, call).await
    }

    /// Gives twin `agent` feedback `score` (0–100) tagged `tag`, as a client with a recorded
    /// invocation it has not yet given feedback for.
    pub async fn give_feedback(
        &self,
        sender: &TxSender,
        agent: U256,
        score: u8,
        tag: &str,
    ) -> Result<TransactionReceipt> {
        let call = TwinReputation::giveFeedbackCall {
            agentId: agent,
            score,
            tag1: tag.to_owned(),
            tag2: String::new(),
            endpoint: String::new(),
            feedbackURI: String::new(),
            feedbackHash: B256::ZERO,
        };
        sender.call(self.address, call).await
    }
}
