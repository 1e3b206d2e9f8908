//! The binaries the network runs, built by cargo and found where cargo says it put them.

use std::{
    io::BufRead,
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::Context as _;
use verigrad_testkit::repo;

/// The `worker` and `pipe-node` binaries to run.
#[derive(Debug)]
pub(crate) struct Binaries {
    /// `worker`.
    pub(crate) worker: PathBuf,
    /// `pipe-node`.
    pub(crate) pipe_node: PathBuf,
}

impl Binaries {
    /// Builds `worker` and `pipe-node` optimised if `release`, else in this program's profile.
    pub(crate) fn build(release: bool) -> anyhow::Result<Self> {
        let own_release = !cfg!(debug_assertions);
        let profile = |release| if release { "release" } else { "dev" };
        println!(
            "== building the worker ({} profile) and pipe-node ({}) with cargo; the first build takes minutes",
            profile(release),
            profile(release || own_release)
        );
        let pipe_node = build(release || own_release, "verigrad-pipe-node", "pipe-node")?;
        let worker = build(release, "verigrad-worker", "worker")?;
        Ok(Self { worker, pipe_node })
    }
}

/// Builds binary `bin` of `package` and returns its path, read from cargo's JSON messages (so a
/// `CARGO_TARGET_DIR` or a configured target folder is found too).
fn build(release: bool, package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    // `cargo run` tells the program it runs which cargo that is.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(repo())
        .args(["build", "--locked", "--quiet", "--message-format=json-render-diagnostics"])
        .args(["--package", package, "--bin", bin])
        .stdout(Stdio::piped());
    if release {
        command.arg("--release");
    }
    let mut child = command.spawn().context("running cargo")?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut executable = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let message: serde_json::Value = serde_json::from_str(&line?)?;
        if message["reason"] == "compiler-artifact" && message["target"]["name"] == bin {
            executable = message["executable"].as_str().map(PathBuf::from);
        }
    }
    anyhow::ensure!(child.wait()?.success(), "cargo could not build {bin}");
    executable.with_context(|| format!("cargo built no {bin} executable"))
}
