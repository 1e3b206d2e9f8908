//! End-to-end tests of the worker's chain client and binary against a real anvil (and a pipe-node)
//! with the contracts deployed by `forge script` (loopback only).

mod account;
mod events;
mod hub;
mod memory;
mod pipe;
mod pipe_twin;
mod proxy;
mod release;
mod route;
mod sender;
mod serving;
mod store;
mod tasks;
mod twins;
mod x402;
