//! `--devnet`: the network kept running, with one status line redrawn in place.

use std::{io::Write as _, time::Duration};

use verigrad_contracts::{Rpc, bindings::TaskEscrow};
use verigrad_testkit::{LocalChain, Node, market::WorkerProcess, patient};

use crate::network::{Network, vgd};

/// Prints the status line every 2 s on a terminal (redrawn in place), every 10 s elsewhere (a line
/// each), until the future is dropped (Ctrl-C). `pipe` is PIPE's own node, if it has one.
pub(crate) async fn run(network: &mut Network, pipe: Option<&LocalChain>) -> anyhow::Result<()> {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let every = Duration::from_secs(if terminal { 2 } else { 10 });
    let pipe = pipe.map(|node| Rpc::http(node.url(), patient()));
    loop {
        tokio::time::sleep(every).await;
        let line = line(network, pipe.as_ref()).await?;
        if terminal {
            print!("\r{line} ");
            std::io::stdout().flush()?;
        } else {
            println!("{line}");
        }
    }
}

/// `14:03:07  pipe-node block 412  tasks 9  processes up 6/6  escrow 0.35 VGD (owes 0.35)`.
async fn line(network: &mut Network, pipe: Option<&Rpc>) -> anyhow::Result<String> {
    let rpc = network.chain.rpc();
    let block = rpc.block_number().await?;
    let escrow = network.chain.deployment().task_escrow;
    let tasks = rpc.view(escrow, TaskEscrow::taskCountCall {}).await?;
    let (held, owed) = network.escrow_books().await?;
    // The workers, the coordinator and the chain's node.
    let total = network.processes.len() + 1;
    let up = network.processes.values_mut().map(WorkerProcess::is_running).filter(|&up| up).count()
        + usize::from(network.market.chain.is_running());
    let mut line = format!(
        "{}  {} block {block}  tasks {tasks}  processes up {up}/{total}  escrow {} VGD (owes {})",
        clock(),
        network.market.chain.name(),
        vgd(held),
        vgd(owed)
    );
    if let Some(pipe) = pipe {
        line.push_str(&format!("  pipe-node block {}", pipe.block_number().await?));
    }
    Ok(line)
}

/// The wall-clock time of day, UTC (`14:03:07`).
pub(crate) fn clock() -> String {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seconds = now.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
}
