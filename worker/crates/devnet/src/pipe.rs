//! PIPE: the example dApps call a model inside their own transactions; each block lists the results
//! it used under its PIPE root.

use alloy::{
    primitives::{U256, aliases::U96},
    providers::Provider,
    rpc::types::TransactionReceipt,
};
use serde_json::Value;
use verigrad_contracts::{
    GasPolicy, ReceiptPolicy, Rpc, TxSender,
    bindings::{
        RiskGate::{self, RiskGateErrors},
        Token,
        VolatilityFeeVault::{self, Number},
    },
};
use verigrad_testkit::{DEPLOYER_KEY, Node, PipeDapps, patient, tokens};

use crate::network::{Network, actor, vgd};

/// A position the risk model scores as safe (collateral ratio 3.0, low volatility).
const SAFE: [(i128, i128); 8] =
    [(300, 2), (5, 2), (20, 2), (75, 1), (40, 1), (0, 0), (1, 3), (1, 0)];
/// A position it refuses.
const RISKY: [(i128, i128); 8] =
    [(105, 2), (90, 2), (95, 2), (30, 1), (1, 1), (3, 0), (50, 3), (10, 0)];
/// Sixteen daily log-returns, 4 decimals.
const RETURNS: [i128; 16] =
    [12, -8, 5, -15, 9, -3, 11, -6, 140, -210, 95, -180, 260, -120, 75, -300];

/// Deploys the example dApps on `node` and sends one accepted position, one refused (by
/// `eth_call`) and one vault deposit; fails unless each does what the story says. With `billing`
/// (the network, on the same chain) the dApps prepay their calls and the staked workers answer and
/// sign them. Returns the dApps (their addresses file is removed when they are dropped).
pub(crate) async fn run(node: &impl Node, billing: Option<&Network>) -> anyhow::Result<PipeDapps> {
    let dapps = PipeDapps::on(node);
    println!(
        "  deployed with forge script: RiskGate {}, VolatilityFeeVault {}",
        dapps.risk_gate, dapps.volatility_fee_vault
    );
    if let Some(network) = billing {
        prepay(network, &dapps).await?;
    }
    let rpc = Rpc::http(node.url(), patient());
    let receipts = ReceiptPolicy { timeout_ms: 60_000, poll_ms: 100 };
    let key = DEPLOYER_KEY.parse()?;
    let sender = TxSender::new(rpc.clone(), key, node.chain_id(), GasPolicy::default(), receipts);

    println!(
        "  RiskGate.openPosition, a well-collateralised position: the risk model answers inside the transaction"
    );
    let open = |features: &[(i128, i128)]| RiskGate::openPositionCall {
        collateral: U96::from(300),
        debt: U96::from(100),
        features: features
            .iter()
            .map(|&(value, decimals)| RiskGate::Number { value, decimals })
            .collect(),
    };
    let receipt = sender.call(dapps.risk_gate, open(&SAFE)).await?;
    signed(show_results(&rpc, &receipt).await?, billing.is_some())?;
    let count = rpc.view(dapps.risk_gate, RiskGate::positionCountCall {}).await?;
    println!("    -> positions opened: {count}");

    println!(
        "  RiskGate.openPosition, a risky position: the same model refuses it (eth_call shows the revert)"
    );
    let mut risky = open(&RISKY);
    risky.collateral = U96::from(105);
    let refusal = match rpc.view(dapps.risk_gate, risky).await {
        Ok(id) => anyhow::bail!("the risky position was opened (id {id})"),
        Err(error) => error.revert().and_then(|r| r.as_error::<RiskGateErrors>()),
    };
    let Some(RiskGateErrors::RiskTooHigh(too_high)) = refusal else {
        anyhow::bail!("the risky position was refused, but not with RiskTooHigh: {refusal:?}");
    };
    println!(
        "    -> reverted RiskTooHigh(risk {}, limit {}) (6 decimals)",
        too_high.risk, too_high.maxRisk
    );

    println!(
        "  VolatilityFeeVault.deposit of 1000 VGD: the fee is priced by the volatility forecast of the same transaction"
    );
    let vault = dapps.volatility_fee_vault;
    sender.call(dapps.token, Token::approveCall { spender: vault, value: U256::MAX }).await?;
    let returns = RETURNS.iter().map(|&value| Number { value, decimals: 4 }).collect();
    let deposit = VolatilityFeeVault::depositCall { amount: tokens(1000), recentReturns: returns };
    let receipt = sender.call(vault, deposit).await?;
    signed(show_results(&rpc, &receipt).await?, billing.is_some())?;
    let fees = rpc.view(vault, VolatilityFeeVault::feesCall {}).await?;
    anyhow::ensure!(!fees.is_zero(), "the vault charged no fee");
    println!("    -> fees held by the vault: {} VGD", vgd(fees));
    if let Some(network) = billing {
        paid(network, &dapps).await?;
    }
    Ok(dapps)
}

/// Each dApp prepays its PIPE calls: 10 VGD into the PipeSettlement, from the requester.
async fn prepay(network: &Network, dapps: &PipeDapps) -> anyhow::Result<()> {
    let settlement = network.chain.settlement()?;
    println!(
        "  the dApps prepay their PIPE calls: 10 VGD each into PipeSettlement {}; the staked workers",
        settlement.address()
    );
    println!(
        "  answer and sign (RiskGate: TEE, three agreeing; the vault: ZKML, one, re-executed by the node)"
    );
    let requester = network.market.account(DEPLOYER_KEY).await;
    for dapp in [dapps.risk_gate, dapps.volatility_fee_vault] {
        settlement.deposit(requester.sender(), dapp, tokens(10)).await?;
    }
    Ok(())
}

/// What the dApps have left of their prepayment, and what the answering workers, the model owner
/// and the treasury earned, all settled in the blocks of the calls.
async fn paid(network: &Network, dapps: &PipeDapps) -> anyhow::Result<()> {
    let settlement = network.chain.settlement()?;
    println!(
        "  paid in the same blocks: what the dApps have left, and what the answering workers earned (claimable)"
    );
    for dapp in [dapps.risk_gate, dapps.volatility_fee_vault] {
        println!("    dApp {dapp}: {} VGD left", vgd(settlement.balance_of(dapp).await?));
    }
    for name in ["worker1", "worker2", "worker3", "model-owner", "treasury"] {
        let claimable = settlement.claimable(actor(name).address).await?;
        println!("    {name}: {} VGD claimable", vgd(claimable));
    }
    Ok(())
}

/// Fails if the network should have answered (`billed`) but no answer was signed.
fn signed(attested: usize, billed: bool) -> anyhow::Result<()> {
    anyhow::ensure!(attested > 0 || !billed, "no staked worker signed the block's PIPE answers");
    Ok(())
}

/// Prints the receipt's block and gas, the PIPE results its block committed to
/// (`pipe_getBlockResults`) and who signed them; fails if the block lists none. Returns how many
/// results staked workers signed.
async fn show_results(rpc: &Rpc, receipt: &TransactionReceipt) -> anyhow::Result<usize> {
    let block = receipt.block_number.unwrap_or_default();
    let results: Value =
        rpc.provider().raw_request("pipe_getBlockResults".into(), [format!("{block:#x}")]).await?;
    let listed = results["results"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(!listed.is_empty(), "block {block} lists no PIPE result: {results}");
    let outputs: Vec<String> = listed
        .iter()
        .map(|result| {
            let tensors: Vec<String> = result["output"]["numbers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| format!("{} {}", text(&t["name"]), join(&t["values"])))
                .collect();
            format!("{}… → {}", short(&result["requestId"]), tensors.join("; "))
        })
        .collect();
    println!(
        "    block {block}, gas {}; PIPE root {}… over {} result(s): {}",
        receipt.gas_used,
        short(&results["pipeRoot"]),
        listed.len(),
        outputs.join(" | ")
    );
    let attested: Vec<&Value> =
        listed.iter().map(|r| &r["attestation"]).filter(|a| a.is_object()).collect();
    for attestation in &attested {
        let signers: Vec<String> = attestation["signatures"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| format!("{}…", short(&s["worker"])))
            .collect();
        let price = text(&attestation["price"]).parse().map(vgd).unwrap_or_default();
        println!(
            "    signed by {} staked worker(s): {}; price {price} VGD",
            signers.len(),
            signers.join(", ")
        );
    }
    Ok(attested.len())
}

/// A JSON string (or the JSON itself).
fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// A hash's first four bytes.
fn short(value: &Value) -> String {
    text(value).chars().take(10).collect()
}

/// A JSON array's items joined by commas.
fn join(values: &Value) -> String {
    values.as_array().into_iter().flatten().map(text).collect::<Vec<_>>().join(",")
}
