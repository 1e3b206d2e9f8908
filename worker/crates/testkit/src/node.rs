//! A local chain for a test or the demo — anvil or pipe-node — and how to start one.

use std::path::PathBuf;

use alloy::transports::http::reqwest::Url;

use crate::{Anvil, PipeNode, free_port};

/// A chain's JSON-RPC endpoint and id: what deploying to it and connecting to it need.
pub trait Node {
    /// The JSON-RPC endpoint.
    fn url(&self) -> Url;
    /// The chain id.
    fn chain_id(&self) -> u64;
    /// Whether it mines a burst of transactions over more than one block's gas: pipe-node on a clock
    /// does; anvil leaves those past the first full block unmined, and a node mining on demand may
    /// too, so deploys to them go one transaction at a time.
    fn takes_bursts(&self) -> bool;
}

/// The JSON-RPC endpoint on loopback `port`.
pub(crate) fn loopback(port: u16) -> Url {
    format!("http://127.0.0.1:{port}").parse().expect("a URL")
}

/// Where and how a local chain runs. The defaults suit a test: a free port, a chain id of its
/// own, a block per transaction, a temporary directory.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// The loopback port [default: a free one].
    pub port: Option<u16>,
    /// The chain id [default: one per port, so that concurrent forge broadcasts, whose records go
    /// by chain id, do not share files].
    pub chain_id: Option<u64>,
    /// Seconds between blocks, mined whether or not transactions wait, so that block time moves on
    /// by itself and protocol windows close without anyone sending [default: a block per
    /// transaction].
    pub block_time: Option<u64>,
    /// The folder of its log (and pipe-node's chain) [default: a temporary one].
    pub dir: Option<PathBuf>,
    /// The `pipe-node` binary [default: this build's, see [`built`](crate::built)].
    pub pipe_node: Option<PathBuf>,
    /// The coordinator pipe-node asks for the staked workers' PIPE answers [default: pipe-node's].
    pub coordinator: Option<String>,
}

impl NodeOptions {
    /// The port and chain id these options give.
    pub(crate) fn endpoint(&self) -> (u16, u64) {
        let port = self.port.unwrap_or_else(free_port);
        (port, self.chain_id.unwrap_or(40_000 + u64::from(port)))
    }

    /// The folder these options name, or a new temporary one (the guard keeps it while held).
    pub(crate) fn folder(&self) -> (PathBuf, Option<tempfile::TempDir>) {
        match &self.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).expect("node folder");
                (dir.clone(), None)
            }
            None => {
                let temp = tempfile::tempdir().expect("temp dir");
                (temp.path().to_path_buf(), Some(temp))
            }
        }
    }
}

/// Which local chain to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChainKind {
    /// Foundry's anvil.
    #[default]
    Anvil,
    /// The project's pipe-node: the same JSON-RPC, with the PIPE precompile.
    PipeNode,
}

/// A running local chain of either kind; stopped when dropped.
#[derive(Debug)]
pub enum LocalChain {
    /// anvil.
    Anvil(Anvil),
    /// pipe-node.
    PipeNode(PipeNode),
}

impl LocalChain {
    /// Starts a chain of `kind` with `options`.
    pub fn start(kind: ChainKind, options: &NodeOptions) -> Self {
        match kind {
            ChainKind::Anvil => Self::Anvil(Anvil::start_with(options)),
            ChainKind::PipeNode => Self::PipeNode(PipeNode::start(options)),
        }
    }

    /// Its name, for people (`anvil`, `pipe-node`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Anvil(_) => "anvil",
            Self::PipeNode(_) => "pipe-node",
        }
    }

    /// Stops the node the way an operator would, keeping its chain for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        match self {
            Self::Anvil(anvil) => anvil.stop(),
            Self::PipeNode(node) => node.stop(),
        }
    }

    /// Starts the node again on the same port with the chain it kept.
    pub fn restart(&mut self) {
        match self {
            Self::Anvil(anvil) => anvil.restart(),
            Self::PipeNode(node) => node.restart(),
        }
    }

    /// Whether the node's process is still running.
    pub fn is_running(&mut self) -> bool {
        match self {
            Self::Anvil(anvil) => anvil.is_running(),
            Self::PipeNode(node) => node.is_running(),
        }
    }
}

impl Node for LocalChain {
    fn url(&self) -> Url {
        match self {
            Self::Anvil(anvil) => anvil.url(),
            Self::PipeNode(node) => node.url(),
        }
    }

    fn chain_id(&self) -> u64 {
        match self {
            Self::Anvil(anvil) => anvil.chain_id(),
            Self::PipeNode(node) => node.chain_id(),
        }
    }

    fn takes_bursts(&self) -> bool {
        match self {
            Self::Anvil(anvil) => anvil.takes_bursts(),
            Self::PipeNode(node) => node.takes_bursts(),
        }
    }
}
