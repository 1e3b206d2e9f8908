//! Model packages on disk: a folder with `manifest.json`, weights as safetensors and optional extras.
//!
//! The package id is keccak-256 of the canonical package bytes: the tag `verigrad-package-v1`, then
//! for every file in name order its name length (u32, big-endian), name, content length (u64,
//! big-endian) and content. The manifest records the hash of every other file, so loading detects a
//! tampered file by itself; [`ModelPackage::load_expecting`] also checks the id a registry pinned.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy_primitives::{B256, Keccak256, keccak256};

use crate::{InferenceError, Manifest, Result};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";
const PACKAGE_TAG: &[u8] = b"verigrad-package-v1";

/// A verified package, held in memory.
#[derive(Debug, Clone)]
pub struct ModelPackage {
    id: B256,
    manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
}

impl ModelPackage {
    /// Builds a package from a manifest and its other files, filling in the manifest's file hashes.
    pub fn build(mut manifest: Manifest, files: BTreeMap<String, Vec<u8>>) -> Result<Self> {
        manifest.files = files
            .iter()
            .map(|(name, bytes)| (name.clone(), keccak256(bytes).to_string()))
            .collect();
        let mut all = files;
        all.insert(MANIFEST_FILE.to_string(), manifest_bytes(&manifest)?);
        Ok(Self { id: package_id(&all), manifest, files: all })
    }

    /// Loads and verifies a package folder: every file the manifest names must be there, unchanged.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let manifest_raw = read(&dir.join(MANIFEST_FILE))?;
        Self::assemble(&dir.display().to_string(), manifest_raw, |name, _| {
            read_listed(&dir.join(name))
        })
    }

    /// Assembles and verifies a package from its manifest bytes and a source of the files it lists
    /// (a folder, a content-addressed store), called with each file's name and recorded hash. `origin`
    /// names the source in errors.
    pub fn assemble(
        origin: &str,
        manifest_raw: Vec<u8>,
        mut fetch: impl FnMut(&str, B256) -> Result<Vec<u8>>,
    ) -> Result<Self> {
        let manifest: Manifest = serde_json::from_slice(&manifest_raw).map_err(|e| {
            InferenceError::InvalidPackage(format!("{origin}/{MANIFEST_FILE}: {e}"))
        })?;
        let mut files = BTreeMap::new();
        for (name, expected) in &manifest.files {
            if name.contains(['/', '\\']) || name == MANIFEST_FILE {
                return Err(InferenceError::InvalidPackage(format!("bad file name '{name}'")));
            }
            let hash: B256 = expected.parse().map_err(|_| {
                InferenceError::InvalidPackage(format!("'{name}' has a bad hash '{expected}'"))
            })?;
            let bytes = fetch(name, hash)?;
            let actual = keccak256(&bytes).to_string();
            if &actual != expected {
                return Err(InferenceError::Tampered {
                    what: format!("{origin}/{name}"),
                    expected: expected.clone(),
                    actual,
                });
            }
            files.insert(name.clone(), bytes);
        }
        files.insert(MANIFEST_FILE.to_string(), manifest_raw);
        Ok(Self { id: package_id(&files), manifest, files })
    }

    /// The package's files by name, the manifest among them.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
    }

    /// Loads a package and checks it is the one with `id` (e.g. a ModelRegistry release).
    pub fn load_expecting(dir: impl AsRef<Path>, id: B256) -> Result<Self> {
        let package = Self::load(&dir)?;
        if package.id != id {
            return Err(InferenceError::Tampered {
                what: format!("package {}", dir.as_ref().display()),
                expected: id.to_string(),
                actual: package.id.to_string(),
            });
        }
        Ok(package)
    }

    /// Writes the package into `dir` (created if needed).
    pub fn write(&self, dir: impl AsRef<Path>) -> Result<PathBuf> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes).map_err(|e| io(&dir.join(name), e))?;
        }
        Ok(dir.to_path_buf())
    }

    /// The package id: keccak-256 of the canonical package bytes.
    pub fn id(&self) -> B256 {
        self.id
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// A file's bytes.
    pub fn file(&self, name: &str) -> Result<&[u8]> {
        self.files.get(name).map(Vec::as_slice).ok_or_else(|| {
            InferenceError::InvalidPackage(format!(
                "package {} has no file '{name}'",
                self.manifest.name
            ))
        })
    }
}

/// The manifest as stored: pretty JSON with a final newline (serde keeps field order fixed).
fn manifest_bytes(manifest: &Manifest) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| InferenceError::InvalidPackage(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// keccak-256 of the canonical package bytes, hashed as they stream by (weights can be large).
fn package_id(files: &BTreeMap<String, Vec<u8>>) -> B256 {
    let mut hasher = Keccak256::new();
    hasher.update(PACKAGE_TAG);
    for (name, bytes) in files {
        hasher.update((name.len() as u32).to_be_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    hasher.finalize()
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

/// Reads a file the manifest lists; a missing one is [`InferenceError::MissingFile`].
fn read_listed(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InferenceError::MissingFile { path: path.to_path_buf() },
        _ => io(path, e),
    })
}

fn io(path: &Path, source: std::io::Error) -> InferenceError {
    InferenceError::Io { path: path.to_path_buf(), source }
}
