//! MemSync served by store nodes: an agent's memories in a namespace its owner holds on chain.
//!
//! - [`auth`]: every call signed by the namespace's owner or a delegate (EIP-712), once.
//! - [`wire`]: the request bodies in MemSync's shape and their limits.
//! - [`node`]: what a call does — the decision layer ([`verigrad_distill`]) over the store
//!   ([`verigrad_memory`]), the node's attestations of committed roots.
//! - [`routes`]: the HTTP API, paid by x402.
//! - [`sync`]: replicas catching up from each other, trusting only the chain's root.
//! - [`client`]: the owner's side: sign, pay, check the leaves, commit the root, prove absence.
//! - [`serve`]: a store node's MemSync from a chain and a key.
#![warn(unused_crate_dependencies)]

pub mod auth;
pub mod client;
mod error;
pub mod node;
pub mod routes;
mod serve;
pub mod sync;
mod view;
pub mod wire;

pub use client::{ClientError, MemoryClient};
pub use error::MemsyncError;
pub use node::{MemoryNode, Served};
pub use serve::{NodeOptions, serve};

/// Seconds since the Unix epoch by this machine's clock.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
