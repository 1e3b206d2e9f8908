//! MemSync served by store nodes: every call signed by the namespace's owner or a delegate
//! ([`auth`]).
#![warn(unused_crate_dependencies)]

pub mod auth;
pub mod wire;
