//! The models this node serves and what one execution of each costs.

use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use alloy::primitives::{B256, U256};
use serde::Serialize;
use verigrad_contracts::{ChainError, ModelRegistryClient};
use verigrad_inference::{Architecture, LiveRuntime, Runtime};

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

/// How long a quote stays honoured after the live price rises past it: a client that was quoted the
/// old price and signed it meanwhile is served at it. A quote above the live price is never honoured
/// (the client is quoted the lower price again), so nobody pays more than the price when it pays.
pub(crate) const QUOTE_VALIDITY: Duration = Duration::from_secs(30);

/// A model's price now, and the lower quotes still honoured.
#[derive(Debug, Clone, Default)]
struct Priced {
    current: U256,
    /// Earlier prices, each honoured until its instant.
    earlier: Vec<(U256, Instant)>,
}

/// The runtime's models and their live prices.
#[derive(Debug)]
pub struct Catalog {
    runtime: LiveRuntime,
    prices: RwLock<BTreeMap<B256, Priced>>,
}

impl Catalog {
    /// The models of `runtime` (those it holds at each use), none priced yet.
    pub fn new(runtime: LiveRuntime) -> Self {
        Self { runtime, prices: RwLock::default() }
    }

    /// The models held now.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.current()
    }

    /// Reads every model's live price from the registry; a model with no release (or a deprecated
    /// one) loses its price.
    pub async fn refresh(&self, models: &ModelRegistryClient) -> Result<(), ChainError> {
        let mut read = BTreeMap::new();
        for id in self.runtime.current().ids() {
            if let Some(price) = models.offer(id).await? {
                read.insert(id, price);
            }
        }
        self.set_prices(read, Instant::now());
        Ok(())
    }

    /// Sets the prices read at `now`; a price that moved keeps its old quote honoured for
    /// [`QUOTE_VALIDITY`].
    fn set_prices(&self, read: BTreeMap<B256, U256>, now: Instant) {
        let mut prices = self.prices.write().unwrap_or_else(|p| p.into_inner());
        let updated = read
            .into_iter()
            .map(|(id, price)| {
                let mut priced =
                    prices.remove(&id).unwrap_or(Priced { current: price, ..Priced::default() });
                priced.earlier.retain(|(_, until)| *until > now);
                if priced.current != price {
                    priced.earlier.push((priced.current, now + QUOTE_VALIDITY));
                    priced.current = price;
                }
                (id, priced)
            })
            .collect();
        *prices = updated;
    }

    /// The price of one execution of the package `id` now.
    pub fn price(&self, id: B256) -> Option<U256> {
        self.prices.read().unwrap_or_else(|p| p.into_inner()).get(&id).map(|p| p.current)
    }

    /// What a payment offering `offered` for `id` is charged: `offered` itself if it is the price
    /// now, or a lower quote still honoured; otherwise the price now (and the payment, signed for
    /// another amount, is refused with it).
    pub fn charge_for(&self, id: B256, offered: Option<U256>) -> Option<U256> {
        self.charge_at(id, offered, Instant::now())
    }

    fn charge_at(&self, id: B256, offered: Option<U256>, now: Instant) -> Option<U256> {
        let prices = self.prices.read().unwrap_or_else(|p| p.into_inner());
        let priced = prices.get(&id)?;
        let honoured = offered.filter(|&offered| {
            offered == priced.current
                || (offered < priced.current
                    && priced.earlier.iter().any(|&(quote, until)| quote == offered && now < until))
        });
        Some(honoured.unwrap_or(priced.current))
    }

    /// Every model with its price.
    pub fn listings(&self) -> Vec<Listing> {
        let runtime = self.runtime.current();
        runtime
            .ids()
            .filter_map(|id| {
                let manifest = runtime.manifest(&id.to_string()).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> (Catalog, B256) {
        (Catalog::new(LiveRuntime::default()), B256::repeat_byte(1))
    }

    fn set(catalog: &Catalog, id: B256, price: u64, now: Instant) {
        catalog.set_prices(BTreeMap::from([(id, U256::from(price))]), now);
    }

    /// A quote the price rose past is honoured for its validity, then refused with the new price;
    /// a quote above a fallen price never is, so nobody pays more than the price now.
    #[test]
    fn quotes_are_honoured_below_the_price_for_their_validity_and_never_above_it() {
        let (catalog, id) = catalog();
        let start = Instant::now();
        set(&catalog, id, 100, start);
        let charge =
            |offered: u64, at: Instant| catalog.charge_at(id, Some(U256::from(offered)), at);
        assert_eq!(charge(100, start), Some(U256::from(100)));
        set(&catalog, id, 150, start + Duration::from_secs(1));
        assert_eq!(charge(100, start + Duration::from_secs(2)), Some(U256::from(100)), "honoured");
        assert_eq!(charge(150, start + Duration::from_secs(2)), Some(U256::from(150)));
        assert_eq!(
            charge(120, start + Duration::from_secs(2)),
            Some(U256::from(150)),
            "never quoted"
        );
        let late = start + Duration::from_secs(1) + QUOTE_VALIDITY;
        assert_eq!(charge(100, late), Some(U256::from(150)), "the quote expired");
        set(&catalog, id, 80, late);
        assert_eq!(charge(150, late), Some(U256::from(80)), "a quote above the price is re-quoted");
        assert_eq!(catalog.charge_at(id, None, late), Some(U256::from(80)));
        assert_eq!(catalog.charge_at(B256::ZERO, None, late), None, "not sold");
    }
}
