//! `worker submit`: one task from input to printed result.

use std::time::Duration;

use alloy::primitives::{B256, U256};
use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use verigrad_blobs::StoreClient;
use verigrad_contracts::{Account, EnumName, Tier};
use verigrad_requester::{Requester, TaskOutcome, TaskRequest};
use verigrad_roles::{TaskConfig, find_package};
use verigrad_task::{check_input, output_json, parse_input};

use crate::{
    account::tokens,
    cli::{Context, TaskArgs, parse_enum, parse_tokens},
};

/// `worker submit`.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The model: a release id (0x…), or a package name found under --models.
    #[arg(long)]
    pub(crate) model: String,
    /// The input: a JSON file, or inline JSON (`{"numbers":[{"name":…,"shape":[…],"values":[…]}]}`).
    #[arg(long)]
    pub(crate) input: String,
    /// Value at risk on the answer, in tokens: raises redundancy and audits.
    #[arg(long, value_parser = parse_tokens, default_value = "0")]
    pub(crate) value: U256,
    /// The lowest verification tier accepted: light (one worker, challenge window, random audit),
    /// redundant (k workers, commit–reveal) or deep (redundant plus a committee review).
    #[arg(long, value_parser = parse_enum::<Tier>, default_value = "light")]
    pub(crate) floor: Tier,
    /// Seconds until the result (LIGHT) or commit (REDUNDANT, DEEP) deadline.
    #[arg(long, default_value_t = 300)]
    pub(crate) deadline: u64,
    /// Most to pay, in tokens [default: the escrow's quote].
    #[arg(long, value_parser = parse_tokens)]
    pub(crate) max_fee: Option<U256>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) tasks: TaskArgs,
}

impl SubmitArgs {
    /// Creates the task and follows it to its result.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (tasks, request) = self.prepare(ctx)?;
        let account = ctx.account().await?;
        run(account, &self, &tasks, request).await
    }

    /// The task settings with these flags applied, and the task the flags describe — checked
    /// before connecting: a bad model name or input needs no chain to be refused.
    pub(crate) fn prepare(&self, ctx: &Context) -> anyhow::Result<(TaskConfig, TaskRequest)> {
        let mut tasks = ctx.config.tasks.clone();
        self.tasks.apply(&mut tasks);
        let request = request(self, &tasks)?;
        Ok((tasks, request))
    }
}

/// A requester acting as `account`, with the settings' store and poll interval.
pub(crate) fn requester(account: Account, config: &TaskConfig) -> Requester {
    let poll = Duration::from_millis(config.poll_ms);
    Requester::new(account, StoreClient::new(config.store_url.clone()), poll)
}

/// The task the flags describe: the model resolved, the input parsed.
pub(crate) fn request(args: &SubmitArgs, config: &TaskConfig) -> anyhow::Result<TaskRequest> {
    let (model, manifest) = match args.model.parse::<B256>() {
        Ok(id) => (id, None),
        Err(_) => {
            let (id, manifest) = find_package(&args.model, &config.models)?;
            (id, Some(manifest))
        }
    };
    let text = if args.input.trim_start().starts_with('{') {
        args.input.clone()
    } else {
        std::fs::read_to_string(&args.input)
            .with_context(|| format!("reading the input file {}", args.input))?
    };
    let input = parse_input(&text)?;
    if let Some(manifest) = &manifest {
        check_input(&input, manifest)?;
    }
    Ok(TaskRequest {
        model,
        input,
        value: args.value,
        floor: args.floor,
        deadline_secs: args.deadline,
        max_fee: args.max_fee,
    })
}

/// Submits the task, follows it to settlement and prints the outcome.
async fn run(
    account: Account,
    args: &SubmitArgs,
    config: &TaskConfig,
    request: TaskRequest,
) -> anyhow::Result<()> {
    let requester = requester(account, config);
    let (task, input_hash) = requester.create(&request).await?;
    eprintln!("task {task} created (input {input_hash}); waiting for its result");
    let outcome = requester.follow(task, input_hash).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome_json(&outcome))?);
    } else {
        print_outcome(&outcome);
    }
    Ok(())
}

fn outcome_json(o: &TaskOutcome) -> serde_json::Value {
    json!({
        "task": o.task,
        "inputHash": o.input_hash,
        "tier": o.tier.name(),
        "redundancy": o.redundancy,
        "fee": o.fee,
        "premium": o.premium,
        "outputHash": o.output_hash,
        "inputRejected": o.input_rejected,
        "output": o.output.as_ref().map(output_json),
        "refunded": o.refunded,
    })
}

/// One line per output tensor: `volatility [1, 1] = 0.01571655` (long tensors shortened).
fn print_tensors(output: &serde_json::Value) {
    const SHOWN: usize = 6;
    for tensor in output["numbers"].as_array().into_iter().flatten() {
        let values: Vec<String> = tensor["values"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect();
        let more = values.len().saturating_sub(SHOWN);
        let mut shown = values.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
        if more > 0 {
            shown.push_str(&format!(", … ({more} more)"));
        }
        println!(
            "           {} {} = {shown}",
            tensor["name"].as_str().unwrap_or_default(),
            tensor["shape"]
        );
    }
    for tensor in output["strings"].as_array().into_iter().flatten() {
        println!(
            "           {} = {}",
            tensor["name"].as_str().unwrap_or_default(),
            tensor["values"]
        );
    }
}

fn print_outcome(o: &TaskOutcome) {
    println!("task       {}", o.task);
    println!("tier       {} (k = {})", o.tier.name(), o.redundancy);
    match (&o.output_hash, &o.output) {
        (Some(hash), Some(output)) => {
            println!("fee        {}", tokens(o.fee));
            if !o.premium.is_zero() {
                println!("premium    {} (the load premium, paid at creation)", tokens(o.premium));
            }
            println!("output     {hash}");
            print_tensors(&output_json(output));
        }
        _ if o.input_rejected => {
            println!("the network rejected the input: it cannot be run; the fee is refunded")
        }
        _ => println!("no result was accepted; the fee is refunded"),
    }
    println!("refunded   {}", tokens(o.refunded));
}
