//! Model packages a worker runs: found in local folders (the shipped `models/` by default), or
//! pulled by id from a store node and kept in the worker's data directory; and, while a worker runs,
//! each release it starts serving ([`follow_served`]).

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::primitives::{Address, B256};
use tokio::sync::watch;
use verigrad_contracts::Chain;
use verigrad_inference::{
    InferenceError, LiveRuntime, MANIFEST_FILE, Manifest, ModelPackage, Runtime,
};

use verigrad_blobs::{BlobError, StoreClient};
use verigrad_task::TaskError;

/// The package folders under `dirs`: each dir that holds a manifest, else its subfolders that do.
fn package_dirs(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in dirs {
        if dir.join(MANIFEST_FILE).is_file() {
            found.push(dir.clone());
        } else if let Ok(entries) = std::fs::read_dir(dir) {
            let mut subdirs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(MANIFEST_FILE).is_file())
                .collect();
            subdirs.sort();
            found.extend(subdirs);
        }
    }
    found
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Finds a local package by name (`verigrad/risk` or `verigrad/risk@1.0.0`) and returns its id and
/// manifest. Only the matching package is read in full.
pub fn find_package(name: &str, dirs: &[PathBuf]) -> Result<(B256, Manifest), TaskError> {
    for dir in package_dirs(dirs) {
        let Some(manifest) = read_manifest(&dir) else { continue };
        if manifest.name == name || format!("{}@{}", manifest.name, manifest.version) == name {
            let package = ModelPackage::load(&dir)?;
            return Ok((package.id(), package.manifest().clone()));
        }
    }
    Err(TaskError::UnknownModel(format!(
        "{name} (no package of that name under {}; give the release id instead)",
        dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
    )))
}

/// Loads every package under `dirs`, then each `served` id still missing from `cache` (pulled from
/// `store` into it the first time). A served model that cannot be found is logged: its tasks fail.
pub async fn load_runtime(
    dirs: &[PathBuf],
    served: &[B256],
    store: &StoreClient,
    cache: &Path,
) -> Result<Runtime, TaskError> {
    let local = package_dirs(dirs);
    let mut runtime = tokio::task::spawn_blocking(move || {
        let mut runtime = Runtime::new();
        for dir in local {
            let id = runtime.add(&ModelPackage::load(&dir)?)?;
            tracing::info!(%id, dir = %dir.display(), "model loaded");
        }
        Ok::<_, TaskError>(runtime)
    })
    .await
    .map_err(|e| InferenceError::Execution(format!("model loading panicked: {e}")))??;
    for &id in served {
        if runtime.ids().any(|loaded| loaded == id) {
            continue;
        }
        match served_package(id, store, cache).await {
            Ok(package) => _ = runtime.add(&package)?,
            Err(error) => {
                tracing::error!(%id, %error, "served model not found locally nor in the store; its tasks will fail")
            }
        }
    }
    Ok(runtime)
}

/// The package of served model `id`: from `cache`, else pulled from `store` into it.
async fn served_package(
    id: B256,
    store: &StoreClient,
    cache: &Path,
) -> Result<ModelPackage, BlobError> {
    let dir = cache.join(id.to_string());
    if let Ok(package) = ModelPackage::load_expecting(&dir, id) {
        return Ok(package);
    }
    let package = store.pull(id, &dir, |_| {}).await?;
    tracing::info!(%id, dir = %dir.display(), "model pulled from the store");
    Ok(package)
}

/// Keeps `runtime` holding every model `worker` serves in the registry: every `poll`, a release it
/// started serving since is pulled (as [`load_runtime`] does) and served from then on — no restart —
/// until `shutdown`. A model that cannot be had is tried again at each poll (logged once).
pub async fn follow_served(
    runtime: LiveRuntime,
    chain: Chain,
    worker: Address,
    store: StoreClient,
    cache: PathBuf,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut missing = HashSet::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => return,
        }
        let served = match chain.worker_status(worker).await {
            Ok(status) => status.models,
            Err(error) => {
                tracing::debug!(%error, "reading the models served; trying again");
                continue;
            }
        };
        for id in served.into_iter().filter(|&id| !runtime.holds(id)) {
            let first = missing.insert(id);
            if first {
                tracing::info!(%id, "now serving a model not loaded: loading it");
            }
            let package = match served_package(id, &store, &cache).await {
                Ok(package) => package,
                Err(error) if first => {
                    tracing::error!(%id, %error, "served model not found locally nor in the store; trying again");
                    continue;
                }
                Err(error) => {
                    tracing::debug!(%id, %error, "served model still not found");
                    continue;
                }
            };
            let loaded = tokio::task::spawn_blocking({
                let runtime = runtime.clone();
                move || runtime.add(&package)
            })
            .await;
            match loaded {
                Ok(Ok(id)) => {
                    missing.remove(&id);
                    tracing::info!(%id, "model loaded; serving it");
                }
                Ok(Err(error)) => tracing::error!(%id, %error, "served model does not load"),
                Err(error) => tracing::error!(%id, %error, "model loading panicked"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_found_by_name_or_name_and_version() {
        let models = [PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../models"))];
        let (id, manifest) = find_package("verigrad/volatility", &models).expect("found");
        assert_eq!(manifest.name, "verigrad/volatility");
        let (same, _) = find_package("verigrad/volatility@1.0.0", &models).expect("found");
        assert_eq!(id, same);
        for missing in ["verigrad/nope", "verigrad/volatility@9"] {
            let error = find_package(missing, &models).expect_err(missing);
            assert!(matches!(error, TaskError::UnknownModel(_)), "{error}");
        }
    }
}
