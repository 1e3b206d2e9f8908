//! What the worker's end-to-end tests, its benches and the demo share, so that none includes
//! another's files: a local chain — anvil (restartable with its state) or pipe-node — on loopback,
//! the core and the PIPE example dApps deployed by `forge script`, child processes that do not
//! outlive their owner; in [`market`] a task market with a store node and `worker run` processes,
//! and in [`x402`] a market to pay in with `worker serve` processes.
//!
//! Everything here panics on failure: it is test code, and a panic names the step that failed.
#![warn(unused_crate_dependencies)]

mod anvil;
mod deploy;
mod harness;
pub mod market;
mod node;
mod pipe_node;
mod process;
pub mod x402;

pub use anvil::Anvil;
pub use deploy::{Deployed, PipeDapps};
pub use harness::{
    DEPLOYER_KEY, WORKER_KEY, address, built, free_port, patient, repo, text, token_balance,
    tokens, worker, worker_bin,
};
pub use node::{ChainKind, LocalChain, Node, NodeOptions};
pub use pipe_node::PipeNode;
pub use process::Process;
