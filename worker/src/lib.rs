//! The verigrad off-chain node.
//!
//! What every role needs from the on-chain core comes from `verigrad-contracts` (the bindings, the
//! chain client, one client per contract), re-exported here; on top of it the worker keeps the
//! escrow's events as a resumable [`EventStream`], the crash-safe [`WorkerStore`], the worker's
//! [`Config`], and the verification gradient ([`decide`], a bit-exact mirror of `contracts/libraries/VerificationPolicy.sol`)
//! so that a node can quote a task's tier, redundancy and audit probability without a chain call.
//!
//! On top of those, the task market: the step a task is due for ([`due`]),
//! tensors as JSON ([`parse_input`], [`output_json`]), results compared by determinism class
//! ([`agrees`]), the compute and verify roles ([`Worker`]) and the requester's side ([`Requester`]).
//! [`serve`] sells inference over HTTP for x402 payments settled on chain.
#![warn(unused_crate_dependencies)]

pub mod blobs;
mod config;
mod events;
mod load;
mod packages;
mod policy;
mod requester;
mod roles;
pub mod route;
pub mod serve;
mod store;
mod sync;
mod task;

pub use config::{Config, ConfigError, RpcConfig, TaskConfig};
pub use events::{EventStream, EventsConfig, LogBatch, StreamError};
pub use load::{LoadPlan, LoadReport, WorkerChange, run_load};
pub use packages::{find_package, load_runtime};
pub use policy::{Decision, PolicyInputs, decide, exposure_score, value_points};
pub use requester::{Requester, TaskOutcome, TaskRequest};
pub use roles::{RunOptions, Worker};
pub use store::{PendingResult, StoreError, StoreResult, WorkerStore};
pub use task::{
    INPUT_REJECTED, Step, TaskError, agrees, check_input, due, output_json, parse_input,
};
// The chain client and contract types every user of this crate needs, from their one home.
pub use verigrad_contracts::{
    Account, AppealStage, Chain, ChainError, Deployment, DeploymentError, EscrowClient, GasPolicy,
    Head, Member, ReceiptPolicy, Result, RetryPolicy, RoleSet, Rpc, Seat, SeatState, TaskState,
    TaskStatus, Tier, TxSender, UnknownRole, VoteState, WorkerStatus, bindings,
};

// Used by the `worker` binary only.
use anyhow as _;
use clap as _;
use tracing_subscriber as _;
