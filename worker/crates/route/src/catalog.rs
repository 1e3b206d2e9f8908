//! Model references as clients write them — a package id, `name@version` or `name` — resolved to
//! release ids through the store node's package index. A name is a repository: it stands for every
//! release published under it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use alloy::primitives::B256;

use verigrad_blobs::{BlobError, StoreClient};
use verigrad_inference::Determinism;
use verigrad_task::lock;

/// How often an unknown name may send the catalog back to the store: reading the index costs a
/// request per package, and requests for names nobody published must not cost that each time.
const REFRESH_INTERVAL: Duration = Duration::from_secs(2);

/// The store's packages by name, read on demand.
#[derive(Debug, Default)]
struct Index {
    /// Each package by `name@version`.
    versions: HashMap<String, B256>,
    /// Each repository's packages by `name`, in the store's order.
    repositories: HashMap<String, Vec<B256>>,
    /// How each package's outputs are compared.
    determinism: HashMap<B256, Determinism>,
}

/// Names of the packages a store holds, read on demand.
#[derive(Debug)]
pub struct Catalog {
    store: StoreClient,
    index: Mutex<Index>,
    /// When the store's index was last read.
    read_at: Mutex<Option<Instant>>,
}

impl Catalog {
    /// A catalog of the packages in `store`.
    pub fn new(store: StoreClient) -> Self {
        Self { store, index: Mutex::default(), read_at: Mutex::default() }
    }

    /// The releases `model` refers to: a package id is itself, `name@version` one package, `name`
    /// every package of that repository; none if no package answers to it. A name not known yet
    /// re-reads the store's index (at most every [`REFRESH_INTERVAL`]), so packages published later
    /// are found.
    pub async fn resolve(&self, model: &str) -> Result<Vec<B256>, BlobError> {
        if let Ok(id) = model.parse::<B256>() {
            return Ok(vec![id]);
        }
        let cached = self.cached(model);
        if !cached.is_empty()
            || lock(&self.read_at).is_some_and(|at| at.elapsed() < REFRESH_INTERVAL)
        {
            return Ok(cached);
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
        let mut packages: Vec<(String, B256)> =
            lock(&self.index).versions.iter().map(|(name, id)| (name.clone(), *id)).collect();
        packages.sort();
        Ok(packages)
    }

    /// Reads the store's index: each package by `name@version` and under its repository's `name`.
    async fn read_index(&self) -> Result<(), BlobError> {
        let mut index = Index::default();
        for id in self.store.packages().await? {
            let (_, manifest) = self.store.manifest(id).await?;
            index.versions.insert(format!("{}@{}", manifest.name, manifest.version), id);
            index.determinism.insert(id, manifest.determinism);
            index.repositories.entry(manifest.name).or_default().push(id);
        }
        *lock(&self.index) = index;
        *lock(&self.read_at) = Some(Instant::now());
        Ok(())
    }

    /// How the outputs of package `id` are compared (its manifest's determinism class), read from
    /// the store if the index has not seen it.
    pub async fn determinism(&self, id: B256) -> Result<Determinism, BlobError> {
        if let Some(&determinism) = lock(&self.index).determinism.get(&id) {
            return Ok(determinism);
        }
        let (_, manifest) = self.store.manifest(id).await?;
        lock(&self.index).determinism.insert(id, manifest.determinism);
        Ok(manifest.determinism)
    }

    fn cached(&self, model: &str) -> Vec<B256> {
        let index = lock(&self.index);
        match index.versions.get(model) {
            Some(id) => vec![*id],
            None => index.repositories.get(model).cloned().unwrap_or_default(),
        }
    }
}
