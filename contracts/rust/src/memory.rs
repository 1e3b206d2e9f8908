//! MemSync's memory registry client: namespaces, their roots by sequence number, who may sign them,
//! and the two EIP-712 messages of MemSync — the owner's [`RootUpdate`] and a store node's
//! [`ServedRoot`] attestation — in the registry's domain ([`memory_domain`]).
//!
//! A store node attests only a `(seq, root)` pair it read from a final block of the chain
//! ([`MemoryRegistryClient::root_at`]): a root committed at a seq never changes, so such an
//! attestation can never be reported, while one of a seq not yet committed can be, if the owner
//! commits another root there.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    rpc::types::TransactionReceipt,
    signers::SignerSync,
    sol,
    sol_types::{Eip712Domain, SolStruct, SolValue, eip712_domain},
};

use crate::{
    bindings::MemoryRegistry::{self, MemoryRegistryErrors, NamespaceInfo, Root},
    chain::Chain,
    error::{ChainError, Result},
    rpc::Rpc,
    sender::TxSender,
};

sol! {
    /// What a namespace's owner or delegate signs to move its root.
    #[derive(Debug, PartialEq, Eq)]
    struct RootUpdate {
        /// The namespace ([`namespace_id`]).
        bytes32 namespace;
        /// The new sequence number, above the latest.
        uint64 seq;
        /// The Merkle root over the active memories.
        bytes32 root;
        /// The number of active memories.
        uint32 count;
        /// The last second (unix) it may be committed.
        uint256 deadline;
    }

    /// What a store node signs with each answer: the root it serves the namespace at.
    #[derive(Debug, PartialEq, Eq)]
    struct ServedRoot {
        /// The namespace.
        bytes32 namespace;
        /// The committed sequence number the answer was served at.
        uint64 seq;
        /// The chain's root at `seq`.
        bytes32 root;
    }
}

/// The EIP-712 domain of MemSync's messages on `chain_id`, verified by the registry at `registry`.
pub fn memory_domain(chain_id: u64, registry: Address) -> Eip712Domain {
    eip712_domain! {
        name: "verigrad MemSync",
        version: "1",
        chain_id: chain_id,
        verifying_contract: registry,
    }
}

/// The namespace `owner` creates under `label`: `keccak256(abi.encode(owner, label))`.
///
/// ```
/// use alloy::primitives::{B256, address, b256};
/// let owner = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// let label = B256::right_padding_from(b"agent-memory");
/// assert_eq!(
///     verigrad_contracts::namespace_id(owner, label),
///     b256!("794d9b43c4f17207650072349ec18e28173be1d3037a51aae55d7def73f57648")
/// );
/// ```
pub fn namespace_id(owner: Address, label: B256) -> B256 {
    keccak256((owner, label).abi_encode())
}

/// Signs `message`'s EIP-712 digest in `domain` with `signer`: 65 bytes, `r ‖ s ‖ v`, as the
/// registry's `commitRoot` and `reportFalseRoot` take them.
fn sign<M: SolStruct>(
    message: &M,
    domain: &Eip712Domain,
    signer: &impl SignerSync,
) -> alloy::signers::Result<Bytes> {
    let signature = signer.sign_hash_sync(&message.eip712_signing_hash(domain))?;
    Ok(signature.as_bytes().to_vec().into())
}

impl RootUpdate {
    /// The digest the owner or delegate signs (the registry's `rootUpdateDigest`).
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.eip712_signing_hash(domain)
    }

    /// Signs the update with `signer`.
    pub fn sign(
        &self,
        domain: &Eip712Domain,
        signer: &impl SignerSync,
    ) -> alloy::signers::Result<Bytes> {
        sign(self, domain, signer)
    }
}

impl ServedRoot {
    /// The digest a store node signs (the registry's `servedRootDigest`).
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.eip712_signing_hash(domain)
    }

    /// Signs the attestation with `signer`.
    pub fn sign(
        &self,
        domain: &Eip712Domain,
        signer: &impl SignerSync,
    ) -> alloy::signers::Result<Bytes> {
        sign(self, domain, signer)
    }
}

impl Chain {
    /// MemSync's memory registry; [`ChainError::NotDeployed`] if the deployment file predates it.
    pub fn memory(&self) -> Result<MemoryRegistryClient> {
        let deployment = self.deployment();
        if deployment.memory_registry.is_zero() {
            return Err(ChainError::NotDeployed("memoryRegistry"));
        }
        Ok(MemoryRegistryClient::new(
            self.rpc().clone(),
            deployment.memory_registry,
            deployment.chain_id,
        ))
    }
}

/// What a false-root report took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slashed {
    /// The node's stake taken, token wei.
    pub slashed: U256,
    /// The reporter's share of it, token wei.
    pub bounty: U256,
}

/// The memory registry of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct MemoryRegistryClient {
    rpc: Rpc,
    address: Address,
    chain_id: u64,
}

impl MemoryRegistryClient {
    /// The registry at `address` on chain `chain_id`.
    pub fn new(rpc: Rpc, address: Address, chain_id: u64) -> Self {
        Self { rpc, address, chain_id }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The EIP-712 domain its messages are signed in.
    pub fn domain(&self) -> Eip712Domain {
        memory_domain(self.chain_id, self.address)
    }

    /// The namespace's owner, latest root, owner epoch and replicas, or `None` if nobody created
    /// it.
    pub async fn namespace_info(&self, namespace: B256) -> Result<Option<NamespaceInfo>> {
        match self.rpc.view(self.address, MemoryRegistry::namespaceInfoCall { namespace }).await {
            Ok(info) => Ok(Some(info)),
            Err(error)
                if matches!(
                    error.revert().and_then(|r| r.as_error::<MemoryRegistryErrors>()),
                    Some(MemoryRegistryErrors::UnknownNamespace(_))
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The root committed at `seq`, or `None` if none was (above the latest, a skipped seq, or an
    /// unknown namespace).
    pub async fn root_at(&self, namespace: B256, seq: u64) -> Result<Option<Root>> {
        let root =
            self.rpc.view(self.address, MemoryRegistry::rootAtCall { namespace, seq }).await?;
        Ok((root.committedAt != 0).then_some(root))
    }

    /// Whether `account` may sign the namespace's roots now: its owner or a delegate of the
    /// current owner epoch.
    pub async fn is_authorized(&self, namespace: B256, account: Address) -> Result<bool> {
        self.rpc.view(self.address, MemoryRegistry::isAuthorizedCall { namespace, account }).await
    }

    /// Whether `node` is one of the namespace's replicas.
    pub async fn is_replica(&self, namespace: B256, node: Address) -> Result<bool> {
        self.rpc.view(self.address, MemoryRegistry::isReplicaCall { namespace, node }).await
    }

    /// Creates the namespace `sender` owns under `label`, held by `replicas` (registered store
    /// nodes, at least two); returns its id ([`namespace_id`]).
    pub async fn create_namespace(
        &self,
        sender: &TxSender,
        label: B256,
        replicas: &[Address],
    ) -> Result<B256> {
        let call = MemoryRegistry::createNamespaceCall { label, replicas: replicas.to_vec() };
        sender.call(self.address, call).await?;
        Ok(namespace_id(sender.address(), label))
    }

    /// Lets `delegate` sign the namespace's requests and roots (or stops it), as its owner `sender`.
    pub async fn set_delegate(
        &self,
        sender: &TxSender,
        namespace: B256,
        delegate: Address,
        allowed: bool,
    ) -> Result<TransactionReceipt> {
        let call = MemoryRegistry::setDelegateCall { namespace, delegate, allowed };
        sender.call(self.address, call).await
    }

    /// Sets the store nodes holding the namespace, as its owner `sender`.
    pub async fn set_replicas(
        &self,
        sender: &TxSender,
        namespace: B256,
        replicas: &[Address],
    ) -> Result<TransactionReceipt> {
        let call = MemoryRegistry::setReplicasCall { namespace, replicas: replicas.to_vec() };
        sender.call(self.address, call).await
    }

    /// Commits `update`, signed by the owner or a delegate (`signature`), or with an empty
    /// signature when `sender` is the owner or a delegate itself. Refusals are the registry's
    /// reverts: `StaleSequence { latest }`, `UpdateExpired`, `NotAuthorized`.
    pub async fn commit_root(
        &self,
        sender: &TxSender,
        update: &RootUpdate,
        signature: Bytes,
    ) -> Result<TransactionReceipt> {
        let call = MemoryRegistry::commitRootCall {
            namespace: update.namespace,
            seq: update.seq,
            root: update.root,
            count: update.count,
            deadline: update.deadline,
            signature,
        };
        sender.call(self.address, call).await
    }

    /// Reports `node`'s attestation of a root the chain does not hold at its seq; returns the
    /// receipt and what was taken (the bounty is transferred to `sender` in the same transaction).
    pub async fn report_false_root(
        &self,
        sender: &TxSender,
        attestation: &ServedRoot,
        node: Address,
        signature: Bytes,
    ) -> Result<(TransactionReceipt, Slashed)> {
        let call = MemoryRegistry::reportFalseRootCall {
            namespace: attestation.namespace,
            seq: attestation.seq,
            claimedRoot: attestation.root,
            node,
            signature,
        };
        let receipt = sender.call(self.address, call).await?;
        let log = receipt.decoded_log::<MemoryRegistry::FalseRootReported>().ok_or_else(|| {
            ChainError::MissingEvent {
                event: "FalseRootReported",
                context: format!("the report of {node} at seq {}", attestation.seq),
            }
        })?;
        let slashed = Slashed { slashed: log.slashed, bounty: log.bounty };
        Ok((receipt, slashed))
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{address, b256, hex},
        signers::local::PrivateKeySigner,
        sol_types::SolError,
    };

    use super::*;
    use crate::{ContractError, Revert};

    /// Anvil's first development key (the public test mnemonic).
    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn vector() -> (Eip712Domain, PrivateKeySigner, B256) {
        let domain = memory_domain(31337, address!("0000000000000000000000000000000000004D45"));
        let signer: PrivateKeySigner = DEV_KEY.parse().expect("dev key");
        let namespace = namespace_id(signer.address(), B256::right_padding_from(b"agent-memory"));
        (domain, signer, namespace)
    }

    /// The vectors `test/memory/MemoryVectors.t.sol` pins: the same namespace, digests and
    /// signatures (RFC 6979), so what is signed here verifies on chain.
    #[test]
    fn digests_and_signatures_match_the_solidity_vectors() {
        let (domain, signer, namespace) = vector();
        assert_eq!(
            namespace,
            b256!("794d9b43c4f17207650072349ec18e28173be1d3037a51aae55d7def73f57648")
        );
        let root = keccak256("root");
        let update =
            RootUpdate { namespace, seq: 7, root, count: 3, deadline: U256::from(1_800_000_000) };
        let served = ServedRoot { namespace, seq: 7, root };
        let cases = [
            (
                "RootUpdate",
                update.digest(&domain),
                update.sign(&domain, &signer).expect("signs"),
                b256!("ed432028ef276b153f74cc50d28858b97f5e41a0cbd6b0cbda1e226d11d15b77"),
                "c8a38d5951e1b24ac4056ac0f0b8c5611f6ec6313596413cbf221e3fb42d8a5479ddec0301483105b658ec7af700ea08d69f4d1b02126629b6e65d90ce17df0f1c",
            ),
            (
                "ServedRoot",
                served.digest(&domain),
                served.sign(&domain, &signer).expect("signs"),
                b256!("5814497cdf5e168bc997407a6dcbb72dda0ee8ea4049f118f97732039125ca1a"),
                "125f6d9a1562044748654aaa019bb8868db1cceec151bfd681f85aaacc3f79a123b603187709223380aa80b307791d0cde1a197cb6f97f3cfbe1e4c5374008891c",
            ),
        ];
        for (name, digest, signature, expected_digest, expected_signature) in cases {
            assert_eq!(digest, expected_digest, "{name} digest");
            assert_eq!(hex::encode(signature), expected_signature, "{name} signature");
        }
    }

    #[test]
    fn a_digest_is_bound_to_its_chain_and_registry() {
        let (domain, _, namespace) = vector();
        let served = ServedRoot { namespace, seq: 1, root: keccak256("root") };
        let other_chain = memory_domain(1, address!("0000000000000000000000000000000000004D45"));
        let other_registry =
            memory_domain(31337, address!("0000000000000000000000000000000000004D46"));
        assert_ne!(served.digest(&domain), served.digest(&other_chain));
        assert_ne!(served.digest(&domain), served.digest(&other_registry));
    }

    /// The registry's reverts decode to its own errors, by name.
    #[test]
    fn its_reverts_decode_by_name() {
        let namespace = B256::repeat_byte(0x11);
        let cases: [(Vec<u8>, &str); 3] = [
            (
                MemoryRegistry::StaleSequence { latest: 4 }.abi_encode(),
                "StaleSequence { latest: 4 }",
            ),
            (
                MemoryRegistry::UnknownNamespace { namespace }.abi_encode(),
                "UnknownNamespace { namespace: 0x1111111111111111111111111111111111111111111111111111111111111111 }",
            ),
            (
                MemoryRegistry::NoRootAt { namespace, seq: 9 }.abi_encode(),
                "NoRootAt { namespace: 0x1111111111111111111111111111111111111111111111111111111111111111, seq: 9 }",
            ),
        ];
        for (data, expected) in cases {
            let revert = Revert::new(data.into());
            assert!(revert.as_error::<MemoryRegistryErrors>().is_some(), "{expected}");
            assert!(matches!(revert.contract_error(), Some(ContractError::MemoryRegistry(_))));
            assert_eq!(revert.to_string(), expected);
        }
    }
}
