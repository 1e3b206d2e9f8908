//! The models this node serves and what one execution of each costs.

use std::{collections::BTreeMap, sync::RwLock};

use alloy::primitives::{B256, U256};
use serde::Serialize;
use verigrad_contracts::{ChainError, ModelRegistryClient};
use verigrad_inference::{Architecture, Runtime};

/// A model in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The package id (the release id on chain).
    pub id: B256,
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `mlp` or `sentence_embedder`.
    pub kind: &'static str,
    /// The price of one execution in token wei as a decimal string, or `None` when the model has
    /// no release on chain (then it is not sold).
    pub price: Option<String>,
}

/// The runtime's models and their current prices.
#[derive(Debug)]
pub struct Catalog {
    runtime: Runtime,
    prices: RwLock<BTreeMap<B256, U256>>,
}

impl Catalog {
    /// The models of `runtime`, none priced yet.
    pub fn new(runtime: Runtime) -> Self {
        Self { runtime, prices: RwLock::default() }
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Reads every model's current price from the registry; a model with no release (or a
    /// deprecated one) loses its price.
    pub async fn refresh(&self, models: &ModelRegistryClient) -> Result<(), ChainError> {
        let mut prices = BTreeMap::new();
        for id in self.runtime.ids() {
            if let Some(price) = models.offer(id).await? {
                prices.insert(id, price);
            }
        }
        *self.prices.write().unwrap_or_else(|p| p.into_inner()) = prices;
        Ok(())
    }

    /// The price of one execution of the package `id`.
    pub fn price(&self, id: B256) -> Option<U256> {
        self.prices.read().unwrap_or_else(|p| p.into_inner()).get(&id).copied()
    }

    /// Every model with its price.
    pub fn listings(&self) -> Vec<Listing> {
        self.runtime
            .ids()
            .filter_map(|id| {
                let manifest = self.runtime.manifest(&id.to_string()).ok()?;
                let kind = match manifest.architecture {
                    Architecture::Mlp { .. } => "mlp",
                    Architecture::SentenceEmbedder { .. } => "sentence_embedder",
                };
                Some(Listing {
                    id,
                    name: manifest.name.clone(),
                    version: manifest.version.clone(),
                    kind,
                    price: self.price(id).map(|p| p.to_string()),
                })
            })
            .collect()
    }
}
