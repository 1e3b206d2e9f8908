//! A store's client: uploads and downloads checked by hash, and model packages published and pulled
//! file by file.

use std::{collections::HashMap, path::Path};

use alloy::transports::http::reqwest::{self, StatusCode};
use alloy_primitives::{B256, keccak256};
use verigrad_inference::{MANIFEST_FILE, Manifest, ModelPackage};

use super::BlobError;

/// One file of a package transfer, for progress output: reported as its bytes arrive (downloads) or
/// once it is through (uploads); the last report of a file has `done == bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// 1-based position.
    pub index: usize,
    /// Files in the transfer.
    pub count: usize,
    /// The file name.
    pub name: String,
    /// Its size (as far as known: a download without a length reports what it has so far).
    pub bytes: usize,
    /// Bytes moved so far.
    pub done: usize,
    /// Whether the other side already had it.
    pub skipped: bool,
}

impl Transfer {
    /// Whether this is the file's last report.
    pub fn finished(&self) -> bool {
        self.done >= self.bytes
    }
}

/// A client of one store node.
#[derive(Debug, Clone)]
pub struct StoreClient {
    http: reqwest::Client,
    base: String,
}

impl StoreClient {
    /// A client of the store at `base` (e.g. `http://127.0.0.1:9100`).
    pub fn new(base: impl Into<String>) -> Self {
        Self { http: reqwest::Client::new(), base: base.into().trim_end_matches('/').to_string() }
    }

    fn remote(&self, path: &str, message: impl std::fmt::Display) -> BlobError {
        BlobError::Remote { url: format!("{}{path}", self.base), message: message.to_string() }
    }

    /// Sends a request and returns the status and body, turning transport failures into errors.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<(StatusCode, Vec<u8>), BlobError> {
        let response = request.send().await.map_err(|e| self.remote(path, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.remote(path, e))?;
        Ok((status, body.to_vec()))
    }

    fn not_found(&self, path: &str, body: &[u8]) -> BlobError {
        let message = String::from_utf8_lossy(body).into_owned();
        BlobError::NotFound { url: format!("{}{path}", self.base), message }
    }

    fn refused(&self, path: &str, status: StatusCode, body: &[u8]) -> BlobError {
        self.remote(path, format!("{status}: {}", String::from_utf8_lossy(body)))
    }

    /// Whether the store has a blob.
    pub async fn has(&self, hash: B256) -> Result<bool, BlobError> {
        let path = format!("/blobs/{hash}");
        let (status, body) =
            self.call(self.http.head(format!("{}{path}", self.base)), &path).await?;
        match status {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            other => Err(self.refused(&path, other, &body)),
        }
    }

    /// Uploads `bytes`; returns their hash.
    pub async fn put(&self, bytes: Vec<u8>) -> Result<B256, BlobError> {
        let hash = keccak256(&bytes);
        let path = format!("/blobs/{hash}");
        let (status, body) =
            self.call(self.http.put(format!("{}{path}", self.base)).body(bytes), &path).await?;
        if status.is_success() { Ok(hash) } else { Err(self.refused(&path, status, &body)) }
    }

    /// Downloads a blob and checks it is the one asked for (a lying store is caught here).
    pub async fn get(&self, hash: B256) -> Result<Vec<u8>, BlobError> {
        self.get_streamed(hash, |_, _| {}).await
    }

    /// [`Self::get`], calling `progress(received, expected)` as the bytes arrive (`expected` is the
    /// announced length, if any).
    async fn get_streamed(
        &self,
        hash: B256,
        mut progress: impl FnMut(usize, Option<usize>),
    ) -> Result<Vec<u8>, BlobError> {
        let path = format!("/blobs/{hash}");
        let request = self.http.get(format!("{}{path}", self.base));
        let mut response = request.send().await.map_err(|e| self.remote(&path, e))?;
        let status = response.status();
        let expected = response.content_length().and_then(|n| usize::try_from(n).ok());
        let mut body = Vec::with_capacity(expected.unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.remote(&path, e))? {
            body.extend_from_slice(&chunk);
            if status == StatusCode::OK {
                progress(body.len(), expected);
            }
        }
        if status == StatusCode::NOT_FOUND {
            return Err(self.not_found(&path, &body));
        }
        if status != StatusCode::OK {
            return Err(self.refused(&path, status, &body));
        }
        let actual = keccak256(&body);
        if actual != hash {
            return Err(BlobError::Mismatch { expected: hash, actual });
        }
        Ok(body)
    }

    /// The ids of the packages the store holds.
    pub async fn packages(&self) -> Result<Vec<B256>, BlobError> {
        let path = "/packages";
        let (status, body) = self.call(self.http.get(format!("{}{path}", self.base)), path).await?;
        if status != StatusCode::OK {
            return Err(self.refused(path, status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| self.remote(path, e))
    }

    /// The manifest of package `id`, as stored (its bytes, and parsed).
    pub async fn manifest(&self, id: B256) -> Result<(Vec<u8>, Manifest), BlobError> {
        let path = format!("/packages/{id}");
        let (status, bytes) =
            self.call(self.http.get(format!("{}{path}", self.base)), &path).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(self.not_found(&path, &bytes));
        }
        if status != StatusCode::OK {
            return Err(self.refused(&path, status, &bytes));
        }
        let manifest = serde_json::from_slice(&bytes).map_err(|e| self.remote(&path, e))?;
        Ok((bytes, manifest))
    }

    /// Publishes a package: each file the store lacks, then the manifest under the package id.
    pub async fn publish(
        &self,
        package: &ModelPackage,
        mut progress: impl FnMut(&Transfer),
    ) -> Result<B256, BlobError> {
        let files: Vec<(&str, &[u8])> = package.files().collect();
        for (i, (name, bytes)) in files.iter().enumerate() {
            let skipped = self.has(keccak256(bytes)).await?;
            if !skipped {
                self.put(bytes.to_vec()).await?;
            }
            progress(&Transfer {
                index: i + 1,
                count: files.len(),
                name: (*name).to_string(),
                bytes: bytes.len(),
                done: bytes.len(),
                skipped,
            });
        }
        let id = package.id();
        let path = format!("/packages/{id}");
        let manifest = package.file(MANIFEST_FILE)?.to_vec();
        let (status, body) =
            self.call(self.http.put(format!("{}{path}", self.base)).body(manifest), &path).await?;
        if status.is_success() { Ok(id) } else { Err(self.refused(&path, status, &body)) }
    }

    /// Pulls package `id` into `dest`, checking every file and the package id.
    pub async fn pull(
        &self,
        id: B256,
        dest: &Path,
        mut progress: impl FnMut(&Transfer),
    ) -> Result<ModelPackage, BlobError> {
        let path = format!("/packages/{id}");
        let (manifest, listed) = self.manifest(id).await?;
        let mut fetched = HashMap::new();
        for (i, (name, hash)) in listed.files.iter().enumerate() {
            let hash: B256 =
                hash.parse().map_err(|_| self.remote(&path, format!("bad hash for {name}")))?;
            let count = listed.files.len();
            let report = |done: usize, expected: Option<usize>| Transfer {
                index: i + 1,
                count,
                name: name.clone(),
                bytes: expected.unwrap_or(done).max(done),
                done,
                skipped: false,
            };
            let bytes = self
                .get_streamed(hash, |done, expected| {
                    // The last chunk is reported below, once the bytes are checked.
                    if expected.is_some_and(|expected| done < expected) {
                        progress(&report(done, expected));
                    }
                })
                .await?;
            progress(&report(bytes.len(), Some(bytes.len())));
            fetched.insert(name.clone(), bytes);
        }
        let package = ModelPackage::assemble(&self.base, manifest, |name, _| {
            fetched.remove(name).ok_or_else(|| {
                verigrad_inference::InferenceError::InvalidPackage(format!(
                    "'{name}' was not fetched"
                ))
            })
        })?;
        if package.id() != id {
            return Err(BlobError::WrongPackage { expected: id, actual: package.id() });
        }
        package.write(dest)?;
        Ok(package)
    }
}
