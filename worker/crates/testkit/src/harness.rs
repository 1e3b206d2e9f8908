//! What every test needs: the development keys, token amounts, the repository, the binaries of
//! this build, and running the `worker` binary.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use verigrad_contracts::{RetryPolicy, Rpc, bindings::Token};

/// anvil's development key 0: the deployer, holding the token supply. A public test key: it holds
/// nothing outside a local chain.
pub const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// anvil's development key 1: a worker. A public test key.
pub const WORKER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// One token (18 decimals).
pub fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10).pow(U256::from(18))
}

/// The repository's root: forge runs there, and the shipped models and tools live under it.
pub fn repo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    // Without the `..`s where the path is printed (or shown in the process list).
    root.canonicalize().unwrap_or(root)
}

/// The binary `name` of the build running this program: next to it, or next to the `deps/` folder
/// of a test or bench. Cargo builds a package's binaries before its integration tests and benches
/// (`cargo test --workspace` every package's); `CARGO_BIN_EXE_<name>` would name them too, but cargo
/// sets that only while compiling the package that has the binary.
pub fn built(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the program's path");
    let mut dir = exe.parent().expect("a folder").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The `worker` binary of this build.
pub fn worker_bin() -> PathBuf {
    built("worker")
}

/// A loopback port nothing listens on (just now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// A retry policy patient enough to span an anvil restart in these tests.
pub fn patient() -> RetryPolicy {
    RetryPolicy { attempts: 40, initial_backoff_ms: 50, max_backoff_ms: 400 }
}

/// `holder`'s token balance.
pub async fn token_balance(rpc: &Rpc, token: Address, holder: Address) -> U256 {
    rpc.view(token, Token::balanceOfCall { account: holder }).await.expect("balanceOf")
}

/// The address of a key.
pub fn address(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}

/// Runs the `worker` binary with `env` and `args`; returns its output.
pub fn worker(env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(worker_bin())
        .args(args)
        .env_clear()
        .env("VERIGRAD_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("worker runs")
}

/// A process's stdout and stderr, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
