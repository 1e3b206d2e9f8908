//! The chain client: a node connection whose reads retry with backoff ([`Rpc`], [`RetryPolicy`]),
//! a transaction sender that never sends a call twice, with local nonces and gas headroom
//! ([`TxSender`], [`GasPolicy`]),
//! an event stream that resumes where it stopped ([`EventStream`]), and the worker's registry
//! account built on them ([`Chain`], [`Account`]).

mod account;
mod error;
mod events;
mod gas;
mod nonce;
mod retry;
mod rpc;
mod sender;

pub(crate) use account::to_u96;
pub use account::{Account, Chain, WorkerStatus};
pub use error::{ChainError, Result, decode_revert};
pub use events::{EventStream, EventsConfig, LogBatch, StreamError};
pub use gas::GasPolicy;
pub use retry::RetryPolicy;
pub use rpc::{Head, Rpc};
pub use sender::{ReceiptPolicy, TxSender};
