//! A worker's account in the registry: `register`, `stake`, `unbond`, `withdraw` and `status`.

use alloy::{
    primitives::{Address, B256, U256, utils::format_units},
    rpc::types::TransactionReceipt,
};
use anyhow::bail;
use clap::Args;
use verigrad_contracts::{RoleSet, WorkerStatus};

use crate::cli::{Context, parse_tokens};

/// `worker register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// Roles, comma-separated: compute, verify, coordinate, store.
    #[arg(long)]
    pub(crate) roles: RoleSet,
    /// Where the worker's API is served.
    #[arg(long, default_value = "")]
    endpoint: String,
    /// A model release id served (repeat, or separate with commas).
    #[arg(long = "model", value_delimiter = ',')]
    pub(crate) models: Vec<B256>,
    /// Initial stake in tokens (e.g. 100 or 2.5).
    #[arg(long, value_parser = parse_tokens)]
    stake: U256,
}

impl RegisterArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let Self { roles, endpoint, models, stake } = self;
        let account = ctx.account().await?;
        let receipt = account.register(roles, endpoint, models, stake).await?;
        println!("registered {} as {roles}, staking {}", account.address(), tokens(stake));
        print_tx(&receipt);
        Ok(())
    }
}

/// `worker stake`.
#[derive(Debug, Args)]
pub(crate) struct StakeArgs {
    /// Tokens to add (e.g. 100 or 2.5).
    #[arg(value_parser = parse_tokens)]
    pub(crate) amount: U256,
}

impl StakeArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let account = ctx.account().await?;
        let receipt = account.add_stake(self.amount).await?;
        println!("staked {} more", tokens(self.amount));
        print_tx(&receipt);
        Ok(())
    }
}

/// `worker unbond`.
#[derive(Debug, Args)]
pub(crate) struct UnbondArgs {
    /// Tokens to unbond, or `all` for the whole active stake.
    #[arg(value_parser = parse_unbond)]
    amount: Unbond,
}

/// How much to unbond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unbond {
    /// All active stake.
    All,
    /// This many token wei.
    Amount(U256),
}

fn parse_unbond(text: &str) -> Result<Unbond, String> {
    if text == "all" { Ok(Unbond::All) } else { parse_tokens(text).map(Unbond::Amount) }
}

impl UnbondArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let account = ctx.account().await?;
        let amount = match self.amount {
            Unbond::All => None,
            Unbond::Amount(amount) => Some(amount),
        };
        let (receipt, until) = account.unbond(amount).await?;
        println!("unbonding; withdrawable from unix time {until}");
        print_tx(&receipt);
        Ok(())
    }
}

/// `worker withdraw`.
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {}

impl WithdrawArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let account = ctx.account().await?;
        let (receipt, amount) = account.withdraw().await?;
        println!("withdrew {}", tokens(amount));
        print_tx(&receipt);
        Ok(())
    }
}

/// `worker status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The worker [default: the key's address].
    #[arg(long)]
    address: Option<Address>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl StatusArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let chain = ctx.chain().await?;
        let address = match self.address {
            Some(address) => address,
            None => match ctx.optional_signer()? {
                Some(signer) => signer.address(),
                None => bail!("status of whom? pass --address or a key (VERIGRAD_KEY)"),
            },
        };
        let status = chain.worker_status(address).await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print_status(&status);
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_unbond_amounts() {
        assert_eq!(parse_unbond("all"), Ok(Unbond::All));
        assert_eq!(parse_unbond("1"), Ok(Unbond::Amount(U256::from(10).pow(U256::from(18)))));
        assert!(parse_unbond("ten").is_err());
    }
}
