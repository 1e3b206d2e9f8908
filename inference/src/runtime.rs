//! The set of loaded models, addressed by package id or by name.

use std::{
    collections::BTreeMap,
    path::Path,
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use alloy_primitives::B256;

use crate::{
    Deadline, InferenceError, Manifest, ModelInput, ModelOutput, ModelPackage, Result, model::Model,
};

/// Loaded, verified models, ready to run. Cheap to clone; safe to share across threads.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    models: BTreeMap<B256, Arc<Model>>,
    names: BTreeMap<String, B256>,
}

impl Runtime {
    /// An empty runtime.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every package folder in `dir` (each subfolder with a `manifest.json`). Fails with
    /// [`InferenceError::MissingFile`] when a package's files are not all there, e.g. when the sentence
    /// embedder's weights have not been installed by `scripts/setup`.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir)
            .map_err(|source| InferenceError::Io { path: dir.to_path_buf(), source })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(crate::package::MANIFEST_FILE).is_file())
            .collect();
        paths.sort();
        let mut runtime = Self::new();
        for path in paths {
            runtime.add(&ModelPackage::load(&path)?)?;
        }
        Ok(runtime)
    }

    /// Adds a verified package; returns its id.
    pub fn add(&mut self, package: &ModelPackage) -> Result<B256> {
        let model = Model::from_package(package)?;
        let manifest = model.manifest();
        self.names.insert(manifest.name.clone(), package.id());
        self.names.insert(format!("{}@{}", manifest.name, manifest.version), package.id());
        self.models.insert(package.id(), Arc::new(model));
        Ok(package.id())
    }

    /// Resolves a model reference: a package id (`0x…`, as PIPE's `modelCID`), `name@version`, or `name`
    /// (the last added release of that name).
    pub fn resolve(&self, model: &str) -> Result<B256> {
        let id = match model.parse::<B256>() {
            Ok(id) => Some(id).filter(|id| self.models.contains_key(id)),
            Err(_) => self.names.get(model).copied(),
        };
        id.ok_or_else(|| InferenceError::UnknownModel(model.to_string()))
    }

    /// The manifest of a model.
    pub fn manifest(&self, model: &str) -> Result<&Manifest> {
        Ok(self.models[&self.resolve(model)?].manifest())
    }

    /// Package ids of all loaded models.
    pub fn ids(&self) -> impl Iterator<Item = B256> + '_ {
        self.models.keys().copied()
    }

    /// Runs a model on one input.
    pub fn run(&self, model: &str, input: &ModelInput) -> Result<ModelOutput> {
        self.run_until(model, input, Deadline::NONE)
    }

    /// Runs a model on one input, giving up with [`InferenceError::TimedOut`] at `deadline`.
    pub fn run_until(
        &self,
        model: &str,
        input: &ModelInput,
        deadline: Deadline,
    ) -> Result<ModelOutput> {
        self.models[&self.resolve(model)?].run(input, deadline)
    }
}

/// A runtime that takes new models while it serves: each use reads the models loaded at that
/// moment ([`current`](Self::current)), and [`add`](Self::add) publishes a new set without
/// holding up readers. Clones share the set.
#[derive(Debug, Clone, Default)]
pub struct LiveRuntime {
    shared: Arc<LiveModels>,
}

#[derive(Debug, Default)]
struct LiveModels {
    current: RwLock<Arc<Runtime>>,
    /// Serialises additions, so that two never both copy the same set and one is lost.
    adding: Mutex<()>,
}

impl LiveRuntime {
    /// Serves `runtime`'s models.
    pub fn new(runtime: Runtime) -> Self {
        let shared =
            LiveModels { current: RwLock::new(Arc::new(runtime)), adding: Mutex::default() };
        Self { shared: Arc::new(shared) }
    }

    /// The models loaded now.
    pub fn current(&self) -> Arc<Runtime> {
        self.shared.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether the model `id` is loaded.
    pub fn holds(&self, id: B256) -> bool {
        self.current().models.contains_key(&id)
    }

    /// Loads a verified package (outside any reader's way) and serves it from now on; returns its id.
    pub fn add(&self, package: &ModelPackage) -> Result<B256> {
        let _adding = self.shared.adding.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = Runtime::clone(&self.current());
        let id = next.add(package)?;
        *self.shared.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> ModelPackage {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../models");
        ModelPackage::load(Path::new(dir).join(name)).expect("shipped package")
    }

    #[test]
    fn a_live_runtime_serves_what_is_added_to_every_clone() {
        let (volatility, risk) = (shipped("volatility"), shipped("risk"));
        let mut first = Runtime::new();
        first.add(&volatility).expect("loads");
        let live = LiveRuntime::new(first);
        let reader = live.clone();
        let before = reader.current();
        assert!(!reader.holds(risk.id()));

        assert_eq!(live.add(&risk).expect("loads"), risk.id());
        assert!(reader.holds(risk.id()), "a clone sees the new model");
        assert!(reader.holds(volatility.id()), "and keeps the old ones");
        assert_eq!(reader.current().resolve("verigrad/risk").expect("by name"), risk.id());
        assert!(before.resolve("verigrad/risk").is_err(), "a set taken before stays as it was");
    }
}
