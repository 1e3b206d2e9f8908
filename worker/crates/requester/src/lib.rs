//! The requester's side of the task market: [`Requester`] puts an input in a store node, creates the
//! task with its commitment and follows it to a checked result (`worker submit`); [`run_load`] sends
//! many tasks at once and judges the run — how each ended, throughput, whether the escrow still holds
//! what it owes (`worker load`, `scripts/soak`); [`run_surge`] offers one model ten times its
//! capacity and records how the live price admits and refuses it (`worker surge`).
#![warn(unused_crate_dependencies)]

mod load;
mod requester;
mod surge;

pub use load::{ChainGas, LoadPlan, LoadReport, WorkerChange, run_load};
pub use requester::{Requester, TaskOutcome, TaskRequest};
pub use surge::{
    BlockSample, LATENCY_BOUND_BLOCKS, Phase, Quantiles, RETURN_BOUND_BLOCKS, SurgePlan,
    SurgeRecord, SurgeSummary, TaskTimes, Value, WINDOW_BLOCKS, run_surge,
};
