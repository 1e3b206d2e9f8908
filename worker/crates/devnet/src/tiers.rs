//! The demo's story: one task per tier, then a faulty worker caught and slashed, balances before and
//! after, and the escrow's books.

use std::time::Duration;

use crate::{
    inputs,
    network::{Network, actor, vgd},
};

/// How many REDUNDANT tasks to try for the faulty worker to be drawn (three of four compute
/// workers sit on each).
const ATTEMPTS: usize = 6;

/// Runs the three tiers and the faulty worker; fails if the faulty worker is never slashed or the
/// escrow's balance differs from what it owes.
pub(crate) async fn run(network: &mut Network) -> anyhow::Result<()> {
    let (volatility, risk) = (network.market.volatility, network.market.risk);
    println!("\n== before");
    network.balances().await?;
    let tiers = [
        (
            "LIGHT: one worker, an optimistic challenge window, a random audit",
            volatility,
            inputs::VOLATILITY,
            "light",
        ),
        (
            "REDUNDANT: three workers commit and reveal; they must agree bit for bit (EXACT model)",
            volatility,
            inputs::VOLATILITY,
            "redundant",
        ),
        (
            "DEEP: three workers agree within epsilon (TOLERANCE model), then a verifier committee re-executes",
            risk,
            inputs::RISK,
            "deep",
        ),
    ];
    for (title, model, input, floor) in tiers {
        network.submit(title, model, input, floor).await?;
    }

    println!(
        "\n== a faulty worker joins: faulty5 registers for compute and runs with --faulty (wrong outputs)"
    );
    network.register(&[("faulty5", "compute")]).await;
    network.run_worker("faulty5", &["--faulty"]);
    let faulty = actor("faulty5").address;
    let mut slashed = false;
    for attempt in 1..=ATTEMPTS {
        let title = format!(
            "REDUNDANT task {attempt} with faulty5 in the pool (3 of 4 compute workers are drawn)"
        );
        network.submit(&title, volatility, inputs::VOLATILITY, "redundant").await?;
        let faults = network.chain.worker_status(faulty).await?.faults;
        if faults > 0 {
            println!(
                "    -> faulty5 was drawn, disagreed with the quorum, and was slashed (faults: {faults})"
            );
            slashed = true;
            break;
        }
        println!("    -> faulty5 was not drawn this time");
    }
    // Let the workers claim what the last task paid them.
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("\n== after");
    network.balances().await?;
    let (held, owed) = network.escrow_books().await?;
    println!("\nescrow holds {} VGD; liabilities {} VGD (must be equal)", vgd(held), vgd(owed));
    anyhow::ensure!(slashed, "faulty5 was not slashed in {ATTEMPTS} REDUNDANT tasks");
    anyhow::ensure!(held == owed, "the escrow holds {held} wei but owes {owed} wei");
    Ok(())
}
