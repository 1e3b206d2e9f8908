//! The verigrad off-chain node.
//!
//! What every role needs from the on-chain core: where the contracts are ([`Deployment`], the file
//! `scripts/Deploy.s.sol` writes), their typed [`bindings`], the chain client ([`Rpc`], [`TxSender`],
//! [`EventStream`], [`Account`]), the crash-safe [`WorkerStore`], the worker's [`Config`], and the
//! verification gradient ([`decide`], a bit-exact mirror of `contracts/libraries/VerificationPolicy.sol`)
//! so that a node can quote a task's tier, redundancy and audit probability without a chain call.
//!
//! On top of those, the task market: a task's state and the step it is due for ([`Escrow`], [`due`]),
//! tensors as JSON ([`parse_input`], [`output_json`]), results compared by determinism class
//! ([`agrees`]), the compute and verify roles ([`Worker`]) and the requester's side ([`Requester`]).
//! [`serve`] sells inference over HTTP for x402 payments settled on chain.
#![warn(unused_crate_dependencies)]

pub mod bindings;
pub mod blobs;
mod chain;
mod config;
mod deployment;
mod load;
mod packages;
mod policy;
mod requester;
mod role_set;
mod roles;
pub mod route;
pub mod serve;
mod store;
mod sync;
mod task;

pub use chain::{
    Account, Chain, ChainError, EventStream, EventsConfig, GasPolicy, Head, LogBatch,
    ReceiptPolicy, Result, RetryPolicy, Rpc, StreamError, TxSender, WorkerStatus, decode_revert,
};
pub use config::{Config, ConfigError, RpcConfig, TaskConfig};
pub use deployment::{Deployment, DeploymentError};
pub use load::{LoadPlan, LoadReport, WorkerChange, run_load};
pub use packages::{find_package, load_runtime};
pub use policy::{Decision, PolicyInputs, Tier, decide, exposure_score, value_points};
pub use requester::{Requester, TaskOutcome, TaskRequest};
pub use role_set::{RoleSet, UnknownRole};
pub use roles::{RunOptions, Worker};
pub use store::{PendingResult, StoreError, StoreResult, WorkerStore};
pub use task::{
    AppealStage, Escrow, INPUT_REJECTED, Member, Seat, SeatState, Step, TaskError, TaskState,
    TaskStatus, VoteState, agrees, check_input, due, output_json, parse_input,
};

// Used by the `worker` binary only.
use anyhow as _;
use clap as _;
use tracing_subscriber as _;
