//! The verigrad off-chain node.
//!
//! So far this crate holds what every role needs from the on-chain core: where the contracts are
//! ([`Deployment`], the file `scripts/Deploy.s.sol` writes) and the verification gradient
//! ([`decide`], a bit-exact mirror of `contracts/libraries/VerificationPolicy.sol`) so that a node
//! can quote a task's tier, redundancy and audit probability without a chain call.
#![warn(unused_crate_dependencies)]

mod deployment;
mod policy;

pub use deployment::{Deployment, DeploymentError};
pub use policy::{Decision, PolicyInputs, Tier, decide, exposure_score, value_points};
