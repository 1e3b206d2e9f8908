//! The coordinate role's router: requests for a model go to the worker with the lowest expected cost
//! — by queue depth, measured latency, price and reputation — and are shed when every worker, or the
//! coordinator itself, is at its limit. A request may require a verification tier: the escrow's
//! decision for each worker says who may answer alone and when k workers must agree. PIPE requests
//! from pipe-node go to as many workers as their quorum needs.
#![warn(unused_crate_dependencies)]

mod admission;
mod assurance;
mod catalog;
mod crosscheck;
mod gateway;
mod pipe;
mod score;
mod table;
mod twin_memory;

pub use admission::{Admission, Occupancy, Permit, Shed};
pub use assurance::{CrossCheck, Plan, Quoted, Refusal, Required, choose, plan};
pub use catalog::Catalog;
pub use crosscheck::{Reseller, agree, majority};
pub use gateway::{Gateway, ROUTE_RECEIPT, SERVED_BY, router};
pub use score::{Candidate, Load, Route, RoutePolicy, Sort};
pub use table::{Dispatch, RoutingTable, WorkerRow};
pub use twin_memory::TwinMemory;
