//! The coordinator's open door: it lists the models its workers serve and routes a paid inference
//! to one of them, whose endpoint (`worker run --listen`) takes the x402 payment and settles it on
//! the chain.

use alloy::{signers::local::PrivateKeySigner, transports::http::reqwest};
use serde_json::Value;
use verigrad_testkit::{DEPLOYER_KEY, x402::volatility_input};

use crate::network::{Network, vgd};

/// Lists the coordinator's models and pays for one volatility inference through it; fails unless the
/// payment settles.
pub(crate) async fn run(network: &Network) -> anyhow::Result<()> {
    let coordinator = &network.coordinator;
    println!("\n== paid inference through the coordinator ({coordinator}, x402)");
    let client = reqwest::Client::new();
    let listed: Value = client.get(format!("{coordinator}/v1/models")).send().await?.json().await?;
    for model in listed["data"].as_array().into_iter().flatten() {
        let price = model["price"].as_str().unwrap_or("0").parse().unwrap_or_default();
        println!(
            "  GET /v1/models: {:<28} {} VGD a run, {} worker(s)",
            model["name"].as_str().unwrap_or("?"),
            vgd(price),
            model["workers"]
        );
    }
    let url = format!("{coordinator}/v1/models/verigrad/volatility/infer");
    let payer: PrivateKeySigner = DEPLOYER_KEY.parse()?;
    let paid = verigrad_x402::pay(&client, &url, Some(&volatility_input()), &payer).await?;
    anyhow::ensure!(paid.status == 200, "HTTP {}: {}", paid.status, paid.body);
    let (Some(offer), Some(settled)) = (&paid.paid, &paid.settlement) else {
        anyhow::bail!("the coordinator's route answered without asking for payment: {}", paid.body);
    };
    anyhow::ensure!(settled.success, "the payment did not settle: {:?}", settled.error_reason);
    let value = paid.body["numbers"][0]["values"][0].as_str().unwrap_or("?");
    println!(
        "  POST {url}\n    402 -> paid {} VGD to worker {} (settled in {}); volatility = {value}",
        vgd(offer.amount),
        offer.pay_to,
        settled.transaction
    );
    println!("  the official client does the same: node clients/node/x402-infer.mjs {url}");
    Ok(())
}
