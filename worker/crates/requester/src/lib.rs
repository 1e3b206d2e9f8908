//! The requester's side of the task market: [`Requester`] puts an input in a store node, creates the
//! task with its commitment and follows it to a checked result (`worker submit`); [`run_load`] sends
//! many tasks at once and judges the run — how each ended, throughput, whether the escrow still holds
//! what it owes (`worker load`, `scripts/soak`).
#![warn(unused_crate_dependencies)]

mod load;
mod requester;

pub use load::{LoadPlan, LoadReport, WorkerChange, run_load};
pub use requester::{Requester, TaskOutcome, TaskRequest};
