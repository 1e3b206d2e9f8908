//! PIPE answered by the network.
//!
//! pipe-node records the requests a transaction makes while pre-executing it as it arrives and asks
//! the coordinator for signed answers ([`AnswersRequest`]); the coordinator sends each to staked
//! compute workers serving the release ([`AnswerRequest`]), whose endpoint ([`router`],
//! [`Answering`]) runs it and signs `PipeAnswer(request id, release id, output hash)` with the
//! worker's registered key in the EIP-712 domain of the chain's PipeSettlement ([`SignedAnswer`]).
//! The node keeps the answers whose signatures recover and whose signers are staked for the release,
//! and commits the result once enough of them agree ([`attest`], [`Quorum`]). A signed answer that
//! a node's own execution contradicts is disputed on chain ([`committed`], [`disagrees`], [`open`],
//! [`resolve`]); auditors re-run a random sample of the committed VANILLA answers ([`audit_block`],
//! [`drawn`]) and dispute the wrong ones.
#![warn(unused_crate_dependencies)]

mod audit;
mod dispute;
mod quorum;
mod service;
mod wire;

pub use audit::{Audited, BlockAudit, Verdict, audit_block, drawn};
pub use dispute::{Committed, DisputeError, committed, disagrees, open, resolve};
pub use quorum::{Quorum, attest};
pub use service::{Answering, Refusal, router};
pub use wire::{AnswerRequest, AnswersReply, AnswersRequest, SignedAnswer, TwinPart, WireError};
