//! The subcommands: configuration assembled, chain connected, one action, a report on stdout.

use std::str::FromStr;

use alloy::{
    primitives::{U256, utils::format_units},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use anyhow::{Context, bail};
use verigrad_contracts::{Account, Chain, Deployment, Rpc, WorkerStatus};
use verigrad_roles::Config;

use crate::cli::{Cli, Command, Unbond};

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = match &cli.global.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    cli.global.apply(&mut config);
    let key = cli.global.key.as_deref();
    match cli.command {
        Command::Register { roles, endpoint, models, stake } => {
            let account = account(&config, key).await?;
            let receipt = account.register(roles, endpoint, models, stake).await?;
            println!("registered {} as {roles}, staking {}", account.address(), tokens(stake));
            print_tx(&receipt);
        }
        Command::Stake { amount } => {
            let account = account(&config, key).await?;
            let receipt = account.add_stake(amount).await?;
            println!("staked {} more", tokens(amount));
            print_tx(&receipt);
        }
        Command::Unbond { amount } => {
            let account = account(&config, key).await?;
            let amount = match amount {
                Unbond::All => None,
                Unbond::Amount(amount) => Some(amount),
            };
            let (receipt, until) = account.unbond(amount).await?;
            println!("unbonding; withdrawable from unix time {until}");
            print_tx(&receipt);
        }
        Command::Withdraw => {
            let account = account(&config, key).await?;
            let (receipt, amount) = account.withdraw().await?;
            println!("withdrew {}", tokens(amount));
            print_tx(&receipt);
        }
        Command::Status { address, json } => {
            let chain = chain(&config).await?;
            let address = match (address, key) {
                (Some(address), _) => address,
                (None, Some(key)) => signer(key)?.address(),
                (None, None) => bail!("status of whom? pass --address or a key (VERIGRAD_KEY)"),
            };
            let status = chain.worker_status(address).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&status);
            }
        }
        Command::Models { action, store } => crate::models::run(action, &store).await?,
        Command::Store { dir, listen, max_mib } => {
            crate::models::serve(dir, listen, max_mib).await?
        }
        Command::Serve(args) => crate::serve::run_serve(&config, key, *args).await?,
        Command::Facilitator { listen, settlement } => {
            crate::serve::run_facilitator(&config, key, listen, settlement).await?
        }
        Command::Pay { url, body } => crate::serve::run_pay(key, &url, body.as_deref()).await?,
        Command::Coordinate {
            listen,
            store,
            max_in_flight,
            max_pending,
            refresh_secs,
            settlement,
        } => {
            let chain = chain(&config).await?;
            let facilitator = match key {
                Some(key) => Some(verigrad_x402::facilitator_routes(
                    &chain,
                    signer(key)?,
                    &settlement.options(&config),
                )?),
                None => None,
            };
            let limits = crate::coordinate::Limits { max_in_flight, max_pending, refresh_secs };
            crate::coordinate::serve(chain, listen, &store, limits, facilitator).await?
        }
        Command::Run(args) => {
            let mut tasks = config.tasks.clone();
            args.apply(&mut tasks);
            let account = account(&config, key).await?;
            crate::run::run(account, &args, tasks).await?
        }
        Command::Load(args) => {
            let mut tasks = config.tasks.clone();
            args.task.tasks.apply(&mut tasks);
            let request = crate::submit::request(&args.task, &tasks)?;
            let account = account(&config, key).await?;
            crate::load::run(account, args, &tasks, request).await?
        }
        Command::Submit(args) => {
            let mut tasks = config.tasks.clone();
            args.tasks.apply(&mut tasks);
            // Checked before connecting: a bad model name or input needs no chain to be refused.
            let request = crate::submit::request(&args, &tasks)?;
            let account = account(&config, key).await?;
            crate::submit::run(account, &args, &tasks, request).await?
        }
    }
    Ok(())
}

/// Connects to the node and the deployment the configuration names.
pub(crate) async fn chain(config: &Config) -> anyhow::Result<Chain> {
    let url = Url::parse(&config.rpc.url).with_context(|| format!("rpc url {}", config.rpc.url))?;
    let rpc = Rpc::http(url, config.rpc.retry);
    let deployment = match &config.deployment {
        Some(path) => Deployment::load(path)?,
        None => Deployment::for_chain("deployments", rpc.chain_id().await?)?,
    };
    Ok(Chain::connect(rpc, deployment).await?)
}

/// The signing account.
async fn account(config: &Config, key: Option<&str>) -> anyhow::Result<Account> {
    let signer = signer(key.context("no key: set VERIGRAD_KEY (or --key)")?)?;
    Ok(Account::new(chain(config).await?, signer, config.gas, config.rpc.receipts))
}

pub(crate) fn signer(key: &str) -> anyhow::Result<PrivateKeySigner> {
    // The key itself is never echoed in the error.
    PrivateKeySigner::from_str(key.trim())
        .map_err(|_| anyhow::anyhow!("the key is not a hex private key"))
}

/// Token wei as VGD, without trailing zeros (`2.5 VGD`).
pub(crate) fn tokens(wei: U256) -> String {
    format!("{} VGD", decimal(wei))
}

/// An 18-decimal amount as a plain decimal number.
fn decimal(wei: U256) -> String {
    match format_units(wei, 18) {
        Ok(text) => text.trim_end_matches('0').trim_end_matches('.').to_owned(),
        Err(_) => format!("{wei} wei"),
    }
}

fn print_tx(receipt: &TransactionReceipt) {
    println!(
        "  tx {} in block {} (gas {})",
        receipt.transaction_hash,
        receipt.block_number.unwrap_or_default(),
        receipt.gas_used
    );
}

fn print_status(s: &WorkerStatus) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    println!("worker       {}", s.address);
    println!("registered   {}", yes_no(s.registered));
    println!("roles        {}", if s.roles.is_empty() { "-".into() } else { s.roles.to_string() });
    println!(
        "stake        {} (roles need {}; {} locked by open seats)",
        tokens(s.stake),
        tokens(s.required_stake),
        tokens(s.locked)
    );
    if s.unbonding.is_zero() {
        println!("unbonding    -");
    } else {
        let when = if s.unbonding_until <= s.now {
            "withdrawable now".to_string()
        } else {
            format!("withdrawable in {} s", s.unbonding_until - s.now)
        };
        println!("unbonding    {} ({when})", tokens(s.unbonding));
    }
    println!(
        "jailed       {}",
        if s.jailed { format!("until unix time {}", s.jailed_until) } else { "no".into() }
    );
    println!("record       {} tasks done, {} faults", s.tasks_done, s.faults);
    println!("endpoint     {}", if s.endpoint.is_empty() { "-" } else { &s.endpoint });
    println!("models       {} (reputation on each)", s.models.len());
    for (model, reputation) in s.models.iter().zip(&s.reputation_bps) {
        println!("  {model}  {}.{:02} %", reputation / 100, reputation % 100);
    }
    println!("wallet       {}, {} ETH", tokens(s.token_balance), decimal(s.eth_balance));
}
