//! A model owner's side of the model registry: a repository and its releases.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolValue,
};

use crate::{
    account::{Account, to_u96},
    bindings::ModelRegistry::{self, DeterminismClass, RiskClass},
    error::Result,
};

/// A release to publish: the repository it goes in and what the registry pins for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    /// The repository's name (`verigrad/volatility`), unique per owner; created if the owner has
    /// none of that name yet.
    pub repository: String,
    /// The release id: keccak-256 of the package's canonical bytes.
    pub id: B256,
    /// The version people read (`1.0.0`).
    pub version: String,
    /// How two executions' outputs are compared.
    pub determinism: DeterminismClass,
    /// Element-wise tolerance in millionths: above zero for TOLERANCE, zero for EXACT.
    pub tolerance_e6: u32,
    /// How much harm a wrong answer can do: an input of the verification gradient.
    pub risk: RiskClass,
    /// Price of one execution, token wei.
    pub base_price: U256,
    /// The owner's royalty on each execution, in basis points.
    pub royalty_bps: u16,
    /// Compute units of one execution (the manifest's `cost_units`): the load each run brings
    /// against the capacity of the stake serving the release, which its live price follows. The
    /// registry starts every release at 1.
    pub cost_units: u32,
    /// Capability tags published with it (`embedding/384`): a router may send a request naming the
    /// capability to any live release that has it.
    pub tags: Vec<String>,
}

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The repository the release went in.
    pub repository: B256,
    /// Whether the repository was created for it.
    pub created_repository: bool,
}

/// The id of `owner`'s repository `name`, as the registry derives it:
/// `keccak256(abi.encode(owner, name))`.
///
/// ```
/// use alloy::primitives::{Address, b256};
/// use verigrad_contracts::repository_id;
///
/// assert_eq!(
///     repository_id(Address::ZERO, "verigrad/volatility"),
///     b256!("0x96aae65b81edb101665c5aa81ad822a862722773df6ce99121add8824467835d"),
/// );
/// ```
pub fn repository_id(owner: Address, name: &str) -> B256 {
    keccak256((owner, name.to_owned()).abi_encode_params())
}

impl Account {
    /// Publishes `release` as this account, the owner of its repository: creates the repository
    /// first if this account has none of that name, and sets its cost units after it unless they
    /// are the registry's default of 1, and publishes its capability tags.
    pub async fn publish_release(&self, release: &NewRelease) -> Result<Published> {
        let registry = self.chain().deployment().model_registry;
        let repository = repository_id(self.address(), &release.repository);
        let owner = self
            .chain()
            .rpc()
            .view(registry, ModelRegistry::repositoryOwnerCall { repoId: repository })
            .await?;
        let created_repository = owner.is_zero();
        if created_repository {
            let call = ModelRegistry::createRepositoryCall { name: release.repository.clone() };
            self.sender().call(registry, call).await?;
        }
        let call = ModelRegistry::publishReleaseCall {
            repoId: repository,
            releaseId: release.id,
            version: release.version.clone(),
            determinism: release.determinism,
            toleranceE6: release.tolerance_e6,
            risk: release.risk,
            basePrice: to_u96(release.base_price)?,
            royaltyBps: release.royalty_bps,
        };
        self.sender().call(registry, call).await?;
        if release.cost_units != 1 {
            let call = ModelRegistry::setCostUnitsCall {
                releaseId: release.id,
                costUnits: release.cost_units,
            };
            self.sender().call(registry, call).await?;
        }
        for tag in &release.tags {
            let call = ModelRegistry::tagReleaseCall { releaseId: release.id, tag: tag.clone() };
            self.sender().call(registry, call).await?;
        }
        Ok(Published { repository, created_repository })
    }
}
