//! What the worker's end-to-end tests and benches share, so that neither includes the other's files:
//! anvil on a free port (restartable with its state), the core deployed by `forge script`, the
//! `worker` binary's processes; in [`market`] a task market with a store node and `worker run`
//! processes, and in [`x402`] a market to pay in with `worker serve` processes.
//!
//! Everything here panics on failure: it is test code, and a panic names the step that failed.
#![warn(unused_crate_dependencies)]

mod harness;
pub mod market;
pub mod x402;

pub use harness::{
    Anvil, DEPLOYER_KEY, Deployed, WORKER_KEY, address, free_port, patient, repo, text,
    token_balance, tokens, worker, worker_bin,
};
