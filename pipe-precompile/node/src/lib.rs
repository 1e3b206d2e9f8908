//! `pipe-node`: a single-node local EVM chain whose blocks are built by PIPE's pre-execution engine, so a
//! contract can call a model at `0x…F4` and use the answer in the same transaction.
//!
//! It speaks enough Ethereum JSON-RPC for `cast`, `forge script --broadcast`, alloy and viem, prefunds
//! anvil's development accounts, keeps the chain and the committed PIPE results in an embedded database
//! (redb), and can replay the chain from genesis with inference switched off ([`replay`]). Its PIPE
//! answers come from the staked worker network, signed by each worker ([`network`]), or from its own
//! runtime.

pub mod block;
pub mod call;
pub mod chain;
pub mod codec;
pub mod genesis;
pub mod network;
pub mod node;
pub mod replay;
pub mod rpc;
pub mod server;
pub mod settle;
pub mod state;
pub mod store;
pub mod twins;
pub mod tx;
pub mod txpool;
pub mod view;

pub use node::{Node, NodeConfig};
pub use replay::{ReplayChecks, ReplayReport, replay};
