//! Typed access to the verigrad contracts, for everything in Rust that talks to them.
//!
//! - **Bindings** ([`bindings`]), generated from Forge's artifacts of the core and the PIPE example
//!   dApps: every call, event and custom error, and the Solidity enums as Rust enums ([`Tier`],
//!   [`TaskStatus`], [`SeatState`], …) with their variants read from the Solidity declarations;
//!   [`EnumName`] names them for CLIs and reports.
//! - **Reverts** are kept as bytes ([`Revert`]) and decoded on demand into the called contract's error
//!   enum ([`Revert::as_error`]) or any core contract's ([`ContractError`]); a node's error answers are
//!   sorted once, into [`ChainError`].
//! - **The connection**: reads that retry with backoff, one at a time or batched ([`Rpc`],
//!   [`RetryPolicy`]), and a sender that never sends a call twice, with local nonces and gas headroom
//!   ([`TxSender`], [`GasPolicy`]).
//! - **One client per contract** — [`EscrowClient`] (with batched reads and batch transactions),
//!   [`WorkerRegistryClient`], [`ModelRegistryClient`] (with the base and the live price),
//!   [`TokenClient`], [`SettlementClient`] (PIPE billing) and [`MemoryRegistryClient`] (MemSync's
//!   namespaces and roots) — reached through a deployment's [`Chain`]; an [`Account`] for a key: a
//!   worker's registry commands, a model owner's releases ([`Account::publish_release`]).
//! - **Prices that follow load** ([`LoadPricing`], [`Load`]): the model registry's pricing rule
//!   (EIP-4844's `fake_exponential` over a per-release excess), mirrored bit for bit for off-chain
//!   quotes.
//! - **Signed PIPE answers** ([`PipeAnswer`]): what a worker signs for each PIPE request it answers,
//!   in the EIP-712 domain of the chain's PipeSettlement ([`pipe_domain`]).
//! - **MemSync's signed messages** ([`RootUpdate`], [`ServedRoot`]): an owner's root update and a
//!   store node's attestation, in the memory registry's domain ([`memory_domain`]).
#![warn(unused_crate_dependencies)]

mod account;
pub mod bindings;
mod chain;
mod deployment;
mod enums;
mod error;
mod escrow;
mod gas;
mod memory;
mod models;
mod nonce;
mod pipe_answer;
mod pricing;
mod registry;
mod release;
mod retry;
mod revert;
mod roles;
mod rpc;
mod sender;
mod settlement;
mod token;
mod twins;

pub use account::{Account, to_u96};
pub use bindings::{
    ContractError, IPipeDisputes,
    IPipeDisputes::Ruling,
    ITaskEscrow,
    ITaskEscrow::{AppealStage, Fault, ReviewReason, SeatState, VoteState},
    MemoryRegistry, ModelRegistry,
    ModelRegistry::{DeterminismClass, RiskClass},
    PipeDisputes, PipeSettlement, TaskEscrow,
    TaskEscrow::{TaskStatus, Tier},
    Token, WorkerRegistry,
};
pub use chain::{Chain, WorkerStatus};
pub use deployment::{Deployment, DeploymentError};
pub use enums::EnumName;
pub use error::{ChainError, Result};
pub use escrow::{APPEAL_SEATS, BatchSent, EscrowCall, EscrowClient, Member, Seat, TaskState};
pub use gas::GasPolicy;
pub use memory::{
    MemoryRegistryClient, RootUpdate, ServedRoot, Slashed, memory_domain, namespace_id,
};
pub use models::ModelRegistryClient;
pub use pipe_answer::{AnswerSignatureError, PipeAnswer, pipe_domain};
pub use pricing::{Load, LoadPricing};
pub use registry::{WorkerRegistryClient, draw_anchor};
pub use release::{NewRelease, Published, repository_id};
pub use retry::RetryPolicy;
pub use revert::Revert;
pub use roles::{RoleSet, UnknownRole};
pub use rpc::{BlockGas, Head, Rpc};
pub use sender::{ReceiptPolicy, TxSender, Urgency};
pub use settlement::SettlementClient;
pub use token::TokenClient;
pub use twins::{
    PROFILE_KEY, TwinRegistryClient, TwinReputationClient, TwinTerms, drift_commitment,
};
