//! pipe-node on loopback: the project's own chain, with the PIPE precompile.

use std::{path::PathBuf, process::Command, time::Duration};

use alloy::transports::http::reqwest::Url;

use crate::{Node, NodeOptions, Process, built, node::loopback, repo};

/// A `pipe-node` process with its chain in `pipe-node/` and its log in `pipe-node.log` of its
/// folder, serving the shipped models; restartable on the same chain. Killed when dropped.
#[derive(Debug)]
pub struct PipeNode {
    process: Process,
    bin: PathBuf,
    port: u16,
    chain_id: u64,
    block_time: Option<u64>,
    coordinator: Option<String>,
    data: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl PipeNode {
    /// Starts the `pipe-node` binary the options name with them.
    pub fn start(options: &NodeOptions) -> Self {
        let bin = options.pipe_node.clone().unwrap_or_else(|| built("pipe-node"));
        assert!(
            bin.exists(),
            "{} is not built: cargo build -p verigrad-pipe-node --bin pipe-node",
            bin.display()
        );
        let (port, chain_id) = options.endpoint();
        let (dir, temp) = options.folder();
        let mut node = Self {
            process: Process::new("pipe-node", dir.join("pipe-node.log")),
            bin,
            port,
            chain_id,
            block_time: options.block_time,
            coordinator: options.coordinator.clone(),
            data: dir.join("pipe-node"),
            _temp: temp,
        };
        node.restart();
        node
    }

    /// Stops the node cleanly (SIGINT, as Ctrl-C), which closes its database.
    pub fn stop(&mut self) {
        self.process.stop_with("INT");
    }

    /// Starts the node (again) on its port and chain.
    pub fn restart(&mut self) {
        let mut command = Command::new(&self.bin);
        command
            .args(["--port", &self.port.to_string(), "--chain-id", &self.chain_id.to_string()])
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--models")
            .arg(repo().join("models"))
            // Where it finds `<chain id>.json`, the deployment whose staked workers may answer.
            .arg("--deployments")
            .arg(repo().join("deployments"));
        if let Some(coordinator) = &self.coordinator {
            command.args(["--coordinator", coordinator]);
        }
        if let Some(seconds) = self.block_time {
            command.args(["--block-time", &seconds.to_string()]);
        }
        self.process.spawn(command);
        // Loading the models (the 90 MB embedder among them) takes seconds in a debug build.
        self.process.wait_listening(self.port, Duration::from_secs(120));
    }

    /// Whether the process runs.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }
}

impl Node for PipeNode {
    fn url(&self) -> Url {
        loopback(self.port)
    }

    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn takes_bursts(&self) -> bool {
        self.block_time.is_some()
    }
}
