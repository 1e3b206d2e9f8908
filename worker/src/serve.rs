//! `worker serve`, `worker facilitator` and `worker pay`: paid inference over HTTP with x402.

use std::{io::Write, net::SocketAddr, path::PathBuf, time::Duration};

use alloy::{primitives::Address, signers::local::PrivateKeySigner, transports::http::reqwest};
use anyhow::Context as _;
use clap::Args;
use verigrad_roles::Config;
use verigrad_x402::{
    ApiOptions, ServeOptions, SettlementOptions, api::RateLimit, facilitate, pay, serve,
};

use crate::cli::Context;

/// `worker serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// The folder of model packages to serve.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    #[command(flatten)]
    settlement: SettlementArgs,
    /// Verify and settle with the facilitator at this URL instead of in this process.
    #[arg(long, env = "VERIGRAD_FACILITATOR_URL")]
    facilitator: Option<String>,
    /// Who is paid [default: the key's address].
    #[arg(long)]
    pay_to: Option<Address>,
    /// Serve without payment (local development and benchmarks).
    #[arg(long)]
    free: bool,
    /// Paid requests per second and payer, sustained.
    #[arg(long = "rate.per-second", default_value_t = RateLimit::default().per_second)]
    rate_per_second: f64,
    /// Paid requests a payer may send at once.
    #[arg(long = "rate.burst", default_value_t = RateLimit::default().burst)]
    rate_burst: f64,
    /// Seconds an authorization must stay valid (the 402's maxTimeoutSeconds).
    #[arg(long, default_value_t = 300)]
    max_timeout: u64,
    /// Seconds between reads of the live prices from the ModelRegistry (they move block by block
    /// with load; a quote the price rose past stays honoured for 30 s).
    #[arg(long, default_value_t = 2)]
    price_refresh: u64,
}

/// Where a facilitator keeps its settlement ledger.
#[derive(Debug, Args)]
pub(crate) struct SettlementArgs {
    /// Data directory (the settlement ledger, x402.redb).
    #[arg(long, default_value = ".worker")]
    data_dir: PathBuf,
}

impl SettlementArgs {
    pub(crate) fn options(&self, config: &Config) -> SettlementOptions {
        SettlementOptions {
            data_dir: self.data_dir.clone(),
            gas: config.gas,
            receipts: config.rpc.receipts,
        }
    }
}

/// Prints where the service listens (the first line of stdout, which tests and scripts read).
pub(crate) fn announce(addr: SocketAddr) {
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

impl ServeArgs {
    /// Serves the API until Ctrl-C or SIGTERM.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let signer = ctx.signer("it settles payments and is paid")?;
        run_serve(ctx, signer, self).await
    }
}

async fn run_serve(ctx: &Context, signer: PrivateKeySigner, args: ServeArgs) -> anyhow::Result<()> {
    let config = &ctx.config;
    let options = ServeOptions {
        listen: args.listen,
        models: args.models,
        api: ApiOptions {
            facilitator: args.facilitator,
            pay_to: args.pay_to,
            free: args.free,
            rate: RateLimit { per_second: args.rate_per_second, burst: args.rate_burst },
            max_timeout_seconds: args.max_timeout,
            price_refresh: Duration::from_secs(args.price_refresh.max(1)),
            settlement: args.settlement.options(config),
        },
    };
    serve(ctx.chain().await?, signer, options, announce, shutdown()).await?;
    Ok(())
}

/// `worker facilitator`.
#[derive(Debug, Args)]
pub(crate) struct FacilitatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9002")]
    listen: SocketAddr,
    #[command(flatten)]
    settlement: SettlementArgs,
}

impl FacilitatorArgs {
    /// Serves only `/verify`, `/settle`, `/supported` until Ctrl-C or SIGTERM.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let signer = ctx.signer("it sends the settlements")?;
        let options = self.settlement.options(&ctx.config);
        let chain = ctx.chain().await?;
        facilitate(chain, signer, self.listen, options, announce, shutdown()).await?;
        Ok(())
    }
}

/// `worker pay`.
#[derive(Debug, Args)]
pub(crate) struct PayArgs {
    /// The URL.
    url: String,
    /// A JSON body to POST (without it, GET).
    #[arg(long)]
    body: Option<String>,
}

impl PayArgs {
    /// One paid request; prints the output and the settlement.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let signer = ctx.signer("the payer")?;
        run_pay(&signer, &self.url, self.body.as_deref()).await
    }
}

async fn run_pay(signer: &PrivateKeySigner, url: &str, body: Option<&str>) -> anyhow::Result<()> {
    let body = body.map(serde_json::from_str).transpose().context("--body is not JSON")?;
    let answer = pay(&reqwest::Client::new(), url, body.as_ref(), signer).await?;
    println!("{}", serde_json::to_string_pretty(&answer.body)?);
    if let Some(paid) = &answer.paid {
        eprintln!(
            "paid {} wei of {} to {} on {}",
            paid.amount, paid.asset, paid.pay_to, paid.network
        );
    }
    match &answer.settlement {
        Some(s) if s.success => eprintln!("settled in tx {} on {}", s.transaction, s.network),
        Some(s) => eprintln!("settlement failed: {:?}", s.error_reason),
        None => {}
    }
    anyhow::ensure!(answer.status < 400, "HTTP {}: {}", answer.status, answer.body);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn serve_listens_on_loopback_port_9000_by_default() {
        let cli = Cli::try_parse_from(["worker", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.listen, "127.0.0.1:9000".parse().expect("address"));
        assert_eq!((args.facilitator, args.free, args.max_timeout), (None, false, 300));
        let cli = Cli::try_parse_from(["worker", "facilitator"]).expect("parses");
        let Command::Facilitator(args) = cli.command else { panic!("facilitator") };
        assert_eq!(args.listen, "127.0.0.1:9002".parse().expect("address"));
    }
}
