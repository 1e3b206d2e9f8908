//! x402: payment-gated inference against real `worker serve` processes and anvil.

mod coordinated;
mod crosschecked;
mod flow;
mod prices;
mod refusals;
mod restart;
mod twinned;
