//! The model registry's client: releases, and the price of one execution of each — the base price
//! its owner set and the live price that follows load.

use alloy::primitives::{Address, B256, U256};

use crate::{
    bindings::ModelRegistry::{self, LoadState, ModelRegistryErrors, Release, ReleaseTerms},
    chain::Chain,
    error::Result,
    rpc::Rpc,
};

impl Chain {
    /// The model registry.
    pub fn models(&self) -> ModelRegistryClient {
        ModelRegistryClient::new(self.rpc().clone(), self.deployment().model_registry)
    }
}

/// The model registry of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct ModelRegistryClient {
    rpc: Rpc,
    address: Address,
}

impl ModelRegistryClient {
    /// The registry at `address`.
    pub fn new(rpc: Rpc, address: Address) -> Self {
        Self { rpc, address }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Release `id`, or `None` if no release has this id.
    pub async fn release(&self, id: B256) -> Result<Option<Release>> {
        unknown_as_none(
            self.rpc.view(self.address, ModelRegistry::releaseCall { releaseId: id }).await,
        )
    }

    /// What the escrow reads of release `id` to price and verify a task, or `None` if no release
    /// has this id.
    pub async fn terms(&self, id: B256) -> Result<Option<ReleaseTerms>> {
        unknown_as_none(
            self.rpc.view(self.address, ModelRegistry::termsCall { releaseId: id }).await,
        )
    }

    /// The price of one execution of release `id` now, token wei: its base price × the load
    /// multiplier ([`crate::LoadPricing`]) — what `createTask` charges for each execution, and what
    /// every door quotes (x402, PIPE billing, routing, `GET /v1/models`); an unknown release is the
    /// registry's `UnknownRelease` revert.
    pub async fn price(&self, id: B256) -> Result<U256> {
        let call = ModelRegistry::priceCall { releaseId: id };
        Ok(U256::from(self.rpc.view(self.address, call).await?))
    }

    /// Where release `id`'s load stands now (excess, target, cost units, live price), or `None` if
    /// no release has this id.
    pub async fn load(&self, id: B256) -> Result<Option<LoadState>> {
        unknown_as_none(
            self.rpc.view(self.address, ModelRegistry::loadCall { releaseId: id }).await,
        )
    }

    /// Releases carrying capability tag `tag` (`embedding/384`), in tagging order, deprecated ones
    /// included: each tag is its release owner's claim.
    pub async fn releases_tagged(&self, tag: &str) -> Result<Vec<B256>> {
        let call = ModelRegistry::releasesTaggedCall { tag: tag.to_owned() };
        self.rpc.view(self.address, call).await
    }

    /// Capability tags of release `id`, in tagging order (none for an unknown release).
    pub async fn tags_of(&self, id: B256) -> Result<Vec<String>> {
        self.rpc.view(self.address, ModelRegistry::tagsOfCall { releaseId: id }).await
    }

    /// The price at which release `id` is sold now, or `None` if it is not: no such release, or a
    /// deprecated one.
    pub async fn offer(&self, id: B256) -> Result<Option<U256>> {
        match self.terms(id).await? {
            Some(terms) if !terms.deprecated => Ok(Some(self.price(id).await?)),
            _ => Ok(None),
        }
    }
}

/// A read that reverted with `UnknownRelease` as `None`.
fn unknown_as_none<T>(read: Result<T>) -> Result<Option<T>> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(error)
            if matches!(
                error.revert().and_then(|r| r.as_error::<ModelRegistryErrors>()),
                Some(ModelRegistryErrors::UnknownRelease(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
