//! A content-addressed directory: blobs named by their keccak-256, checked when written and when read,
//! and model packages indexed by their package id.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::{B256, keccak256};
use verigrad_inference::ModelPackage;

use super::BlobError;

/// The store's directory: `blobs/<2 hex>/<62 hex>` and `packages/<package id>` (holding the hash of
/// the package's manifest blob).
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    /// Opens (or creates) a store in `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        for sub in ["blobs", "packages", "tmp"] {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(|e| BlobError::io(&dir, e))?;
        }
        Ok(Self { root })
    }

    fn blob_path(&self, hash: &B256) -> PathBuf {
        let hex = alloy_primitives::hex::encode(hash);
        self.root.join("blobs").join(&hex[..2]).join(&hex[2..])
    }

    fn package_path(&self, id: &B256) -> PathBuf {
        self.root.join("packages").join(id.to_string())
    }

    /// Whether the blob is present.
    pub fn contains(&self, hash: &B256) -> bool {
        self.blob_path(hash).is_file()
    }

    /// Stores `bytes` under their hash (a no-op if present) and returns the hash.
    pub fn put(&self, bytes: &[u8]) -> Result<B256, BlobError> {
        let hash = keccak256(bytes);
        if !self.contains(&hash) {
            self.write_atomically(&self.blob_path(&hash), bytes)?;
        }
        Ok(hash)
    }

    /// Stores `bytes` if they hash to `expected`.
    pub fn put_expecting(&self, expected: B256, bytes: &[u8]) -> Result<(), BlobError> {
        let actual = keccak256(bytes);
        if actual != expected {
            return Err(BlobError::Mismatch { expected, actual });
        }
        self.put(bytes).map(drop)
    }

    /// A blob's bytes, checked against its name (a damaged file is an error, never served).
    pub fn get(&self, hash: &B256) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.blob_path(hash);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BlobError::io(&path, e)),
        };
        let actual = keccak256(&bytes);
        if actual != *hash {
            return Err(BlobError::Corrupt { hash: *hash, actual });
        }
        Ok(Some(bytes))
    }

    /// Records package `id` from its manifest, once every file it lists is stored and the assembled
    /// package really has that id.
    pub fn put_package(&self, id: B256, manifest: Vec<u8>) -> Result<ModelPackage, BlobError> {
        let package =
            ModelPackage::assemble(&format!("store package {id}"), manifest, |name, hash| {
                self.get(&hash)
                    .map_err(|e| verigrad_inference::InferenceError::InvalidPackage(e.to_string()))?
                    .ok_or_else(|| {
                        verigrad_inference::InferenceError::InvalidPackage(format!(
                            "file '{name}' ({hash}) is not in the store: upload it first"
                        ))
                    })
            })?;
        if package.id() != id {
            return Err(BlobError::WrongPackage { expected: id, actual: package.id() });
        }
        let manifest_hash = self.put(package.file(verigrad_inference::MANIFEST_FILE)?)?;
        self.write_atomically(&self.package_path(&id), manifest_hash.to_string().as_bytes())?;
        Ok(package)
    }

    /// The manifest of package `id`, if stored.
    pub fn package_manifest(&self, id: &B256) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.package_path(id);
        let reference = match std::fs::read_to_string(&path) {
            Ok(reference) => reference,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BlobError::io(&path, e)),
        };
        let hash: B256 = reference
            .trim()
            .parse()
            .map_err(|_| BlobError::Corrupt { hash: *id, actual: B256::ZERO })?;
        self.get(&hash)
    }

    /// The stored packages' ids.
    pub fn packages(&self) -> Result<Vec<B256>, BlobError> {
        let dir = self.root.join("packages");
        let entries = std::fs::read_dir(&dir).map_err(|e| BlobError::io(&dir, e))?;
        let mut ids: Vec<B256> =
            entries.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).collect();
        ids.sort();
        Ok(ids)
    }

    /// Writes through a temporary file and a rename, so a crash never leaves a partial blob under a
    /// valid name.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<(), BlobError> {
        let parent = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(parent).map_err(|e| BlobError::io(parent, e))?;
        let tmp_dir = self.root.join("tmp");
        let mut file =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| BlobError::io(&tmp_dir, e))?;
        file.write_all(bytes)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| BlobError::io(path, e))?;
        file.persist(path).map_err(|e| BlobError::io(path, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobDir::open(dir.path()).expect("opens");
        (dir, store)
    }

    #[test]
    fn blobs_are_named_by_their_hash_and_checked_both_ways() {
        let (_dir, store) = store();
        let hash = store.put(b"hello").expect("stored");
        assert_eq!(hash, keccak256(b"hello"));
        assert_eq!(store.get(&hash).expect("read"), Some(b"hello".to_vec()));
        assert_eq!(store.put(b"hello").expect("idempotent"), hash);
        assert!(matches!(
            store.put_expecting(hash, b"other"),
            Err(BlobError::Mismatch { expected, .. }) if expected == hash
        ));
        assert_eq!(store.get(&keccak256(b"absent")).expect("read"), None);

        // Bit rot on disk is detected, never served.
        std::fs::write(store.blob_path(&hash), b"hellO").expect("damage");
        assert!(matches!(store.get(&hash), Err(BlobError::Corrupt { .. })));
    }

    #[test]
    fn a_package_is_indexed_only_when_complete_and_its_id_matches() {
        let (_dir, store) = store();
        let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../models/risk");
        let package = ModelPackage::load(&models).expect("shipped package");
        let manifest = package.file(verigrad_inference::MANIFEST_FILE).expect("manifest").to_vec();

        // The weights are missing: refused.
        assert!(store.put_package(package.id(), manifest.clone()).is_err());
        for (_, bytes) in package.files() {
            store.put(bytes).expect("stored");
        }
        // A wrong id: refused.
        assert!(matches!(
            store.put_package(B256::ZERO, manifest.clone()),
            Err(BlobError::WrongPackage { .. })
        ));
        store.put_package(package.id(), manifest.clone()).expect("indexed");
        assert_eq!(store.packages().expect("list"), vec![package.id()]);
        assert_eq!(store.package_manifest(&package.id()).expect("read"), Some(manifest));
    }
}
