//! x402: payment-gated inference against real `worker serve` processes and anvil.

mod flow;
mod refusals;
mod restart;
mod setup;
