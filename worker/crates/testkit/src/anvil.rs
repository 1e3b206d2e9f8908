//! anvil on loopback, restartable with its state.

use std::{path::PathBuf, process::Command, time::Duration};

use alloy::{
    providers::{Provider, ProviderBuilder},
    transports::http::reqwest::Url,
};

use crate::{Node, NodeOptions, Process, node::loopback, repo};

/// An anvil process on a fixed port, dumping its state to a file when stopped, so it can be
/// restarted on the same port with the same chain. Killed when dropped.
#[derive(Debug)]
pub struct Anvil {
    process: Process,
    port: u16,
    chain_id: u64,
    block_time: Option<u64>,
    state: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Anvil {
    /// Starts anvil with a chain id of its own (so concurrent forge broadcasts do not share files),
    /// mining a block per transaction.
    pub fn start() -> Self {
        Self::start_with(&NodeOptions::default())
    }

    /// Starts anvil mining a block every `seconds` whether or not transactions wait, so block time
    /// moves on by itself and protocol windows close without anyone sending.
    pub fn start_mining_every(seconds: u64) -> Self {
        Self::start_with(&NodeOptions { block_time: Some(seconds), ..NodeOptions::default() })
    }

    /// Starts anvil with `options`; its log is `anvil.log` in their folder.
    pub fn start_with(options: &NodeOptions) -> Self {
        let (port, chain_id) = options.endpoint();
        let (dir, temp) = options.folder();
        let state = dir.join("anvil-state.json");
        // A state file left by an earlier run belongs to another chain.
        let _ = std::fs::remove_file(&state);
        let mut anvil = Self {
            process: Process::new("anvil", dir.join("anvil.log")),
            port,
            chain_id,
            block_time: options.block_time,
            state,
            _temp: temp,
        };
        anvil.restart();
        anvil
    }

    /// Stops anvil the way an operator would (SIGTERM), which writes its state file.
    pub fn stop(&mut self) {
        self.process.stop_with("TERM");
        assert!(self.state.exists(), "anvil dumped its state");
    }

    /// Starts anvil (again) on its port, from the dumped state if there is one.
    pub fn restart(&mut self) {
        let mut command = Command::new(repo().join(".tools/bin/anvil"));
        command
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--chain-id", &self.chain_id.to_string()])
            .arg("--dump-state")
            .arg(&self.state);
        if self.state.exists() {
            command.arg("--load-state").arg(&self.state);
        }
        if let Some(seconds) = self.block_time {
            command.args(["--block-time", &seconds.to_string()]);
        }
        self.process.spawn(command);
        self.process.wait_listening(self.port, Duration::from_secs(30));
    }

    /// Whether the process runs.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Calls an anvil-only method (time travel, mining).
    pub async fn rpc(&self, method: &'static str, params: serde_json::Value) {
        let provider = ProviderBuilder::new().connect_http(self.url());
        provider
            .raw_request::<_, serde_json::Value>(method.into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
    }
}

impl Node for Anvil {
    fn url(&self) -> Url {
        loopback(self.port)
    }

    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn takes_bursts(&self) -> bool {
        false
    }
}
