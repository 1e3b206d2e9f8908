//! The store's HTTP API:
//!
//! | request | answer |
//! |---|---|
//! | `PUT /blobs/{hash}` (raw bytes) | 201 stored, 200 already there, 422 the bytes hash to something else |
//! | `GET /blobs/{hash}` | 200 the bytes, 404 unknown |
//! | `PUT /packages/{id}` (the manifest) | 201 indexed, 422 files missing or another package id |
//! | `GET /packages/{id}` | 200 the manifest, 404 unknown |
//! | `GET /packages` | 200 the package ids (JSON) |
//! | `GET /health` | 200 |
//!
//! A malformed hash is a 400; a body over the size limit a 413. Errors are JSON `{"error": "…"}`.

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use super::{BlobDir, BlobError};

/// The routes of a store serving `dir`, taking bodies of at most `max_body` bytes.
pub fn router(dir: BlobDir, max_body: usize) -> Router {
    Router::new()
        .route("/blobs/{hash}", get(get_blob).put(put_blob))
        .route("/packages", get(list_packages))
        .route("/packages/{id}", get(get_package).put(put_package))
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(Arc::new(dir))
}

type Store = State<Arc<BlobDir>>;

/// An error answer: a status and a message, sent as `{"error": "…"}`.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        let status = match e {
            BlobError::Mismatch { .. } | BlobError::WrongPackage { .. } | BlobError::Package(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, e.to_string())
    }
}

fn parse(hash: &str) -> Result<B256, ApiError> {
    hash.parse().map_err(|_| {
        ApiError(StatusCode::BAD_REQUEST, format!("'{hash}' is not a 32-byte hex hash"))
    })
}

fn not_found(what: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, what)
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(ApiError::from)
}

async fn put_blob(
    State(dir): Store,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let hash = parse(&hash)?;
    let existed = blocking(move || {
        let existed = dir.contains(&hash);
        dir.put_expecting(hash, &body).map(|()| existed)
    })
    .await?;
    Ok(if existed { StatusCode::OK } else { StatusCode::CREATED })
}

async fn get_blob(State(dir): Store, Path(hash): Path<String>) -> Result<Vec<u8>, ApiError> {
    let hash = parse(&hash)?;
    blocking(move || dir.get(&hash)).await?.ok_or_else(|| not_found(format!("no blob {hash}")))
}

async fn put_package(
    State(dir): Store,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse(&id)?;
    let package = blocking(move || dir.put_package(id, body.to_vec())).await?;
    let manifest = package.manifest();
    let name = format!("{}@{}", manifest.name, manifest.version);
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "name": name }))).into_response())
}

async fn get_package(State(dir): Store, Path(id): Path<String>) -> Result<Vec<u8>, ApiError> {
    let id = parse(&id)?;
    blocking(move || dir.package_manifest(&id))
        .await?
        .ok_or_else(|| not_found(format!("no package {id}")))
}

async fn list_packages(State(dir): Store) -> Result<Json<Vec<B256>>, ApiError> {
    Ok(Json(blocking(move || dir.packages()).await?))
}
