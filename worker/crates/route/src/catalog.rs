//! Model references as clients write them — a package id, `name@version` or `name` — resolved to
//! package ids through the store node's package index.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use alloy::primitives::B256;

use verigrad_blobs::{BlobError, StoreClient};
use verigrad_task::lock;

/// How often an unknown name may send the catalog back to the store: reading the index costs a
/// request per package, and requests for names nobody published must not cost that each time.
const REFRESH_INTERVAL: Duration = Duration::from_secs(2);

/// Names of the packages a store holds, read on demand.
#[derive(Debug)]
pub struct Catalog {
    store: StoreClient,
    names: Mutex<HashMap<String, B256>>,
    /// When the store's index was last read.
    read_at: Mutex<Option<Instant>>,
}

impl Catalog {
    /// A catalog of the packages in `store`.
    pub fn new(store: StoreClient) -> Self {
        Self { store, names: Mutex::default(), read_at: Mutex::default() }
    }

    /// The package id `model` refers to, or `None` if no package answers to it. A name not known yet
    /// re-reads the store's index (at most every [`REFRESH_INTERVAL`]), so packages published later
    /// are found.
    pub async fn resolve(&self, model: &str) -> Result<Option<B256>, BlobError> {
        if let Ok(id) = model.parse::<B256>() {
            return Ok(Some(id));
        }
        if let Some(id) = self.cached(model) {
            return Ok(Some(id));
        }
        if lock(&self.read_at).is_some_and(|at| at.elapsed() < REFRESH_INTERVAL) {
            return Ok(None);
        }
        self.read_index().await?;
        Ok(self.cached(model))
    }

    /// Every package the store holds, as `(name@version, id)`, sorted by name; the index is read
    /// again when the last read is older than [`REFRESH_INTERVAL`].
    pub async fn packages(&self) -> Result<Vec<(String, B256)>, BlobError> {
        if !lock(&self.read_at).is_some_and(|at| at.elapsed() < REFRESH_INTERVAL) {
            self.read_index().await?;
        }
        let mut packages: Vec<(String, B256)> = lock(&self.names)
            .iter()
            .filter(|(name, _)| name.contains('@'))
            .map(|(name, id)| (name.clone(), *id))
            .collect();
        packages.sort();
        Ok(packages)
    }

    /// Reads the store's index: each package by `name@version` and by `name`.
    async fn read_index(&self) -> Result<(), BlobError> {
        let mut names = HashMap::new();
        for id in self.store.packages().await? {
            let (_, manifest) = self.store.manifest(id).await?;
            names.insert(format!("{}@{}", manifest.name, manifest.version), id);
            names.insert(manifest.name, id);
        }
        *lock(&self.names) = names;
        *lock(&self.read_at) = Some(Instant::now());
        Ok(())
    }

    fn cached(&self, model: &str) -> Option<B256> {
        lock(&self.names).get(model).copied()
    }
}
