//! `worker memory …`: MemSync. `serve` runs a store node's memory API; the other commands are the
//! namespace owner's: create a namespace, remember, search, forget, and see where it stands.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy::primitives::{Address, B256, U256};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_contracts::namespace_id;
use verigrad_memory::StoreConfig;
use verigrad_memsync::{
    MemoryClient, NodeOptions, serve,
    wire::{CreateRequest, Message, SearchRequest},
};
use verigrad_x402::{ApiOptions, api::RateLimit};

use crate::{
    cli::Context,
    serve::{SettlementArgs, announce, shutdown},
};

/// `worker memory …`.
#[derive(Debug, Args)]
pub(crate) struct MemoryArgs {
    /// What to do.
    #[command(subcommand)]
    action: MemoryAction,
}

#[derive(Debug, Subcommand)]
enum MemoryAction {
    /// Serve MemSync as a store node: the memory API, paid by x402, for the namespaces this key's
    /// node replicates; follows the registry to catch up with the other replicas.
    Serve(Box<ServeArgs>),
    /// Create a namespace owned by the key, replicated by store nodes (at least two).
    Create {
        /// The namespace's label (up to 32 bytes).
        #[arg(long, default_value = "default")]
        label: String,
        /// The store nodes holding it, comma-separated addresses.
        #[arg(long, value_delimiter = ',', required = true)]
        replicas: Vec<Address>,
    },
    /// Keep what matters of messages (`user: …`, `assistant: …`, or plain text as the user's),
    /// check the node's new root against its leaves, and commit it on chain.
    Remember {
        #[command(flatten)]
        target: Target,
        /// The agent the memories belong to.
        #[arg(long, default_value = "agent")]
        agent: String,
        /// The conversation thread.
        #[arg(long, default_value = "")]
        thread: String,
        /// The messages, oldest first.
        #[arg(required = true)]
        messages: Vec<String>,
    },
    /// Search the namespace by meaning.
    Search {
        #[command(flatten)]
        target: Target,
        /// What to look for.
        query: String,
        /// How many memories.
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Erase a memory, commit the new root, and prove the memory absent from it.
    Forget {
        #[command(flatten)]
        target: Target,
        /// The memory's id.
        id: B256,
    },
    /// The node's state of the namespace against the chain's.
    Status {
        #[command(flatten)]
        target: Target,
    },
}

/// Which node and namespace an owner's command acts on.
#[derive(Debug, Args)]
struct Target {
    /// The store node's MemSync URL.
    #[arg(long, default_value = "http://127.0.0.1:9300")]
    node: String,
    /// The namespace's label, under the key's address.
    #[arg(long, default_value = "default")]
    label: String,
    /// Do not pay (a node started with --free).
    #[arg(long)]
    free: bool,
}

/// `worker memory serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9300")]
    listen: SocketAddr,
    /// The model packages: MiniLM and the importance model.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// The memory database and nonce ledger (and, with the in-process facilitator, its ledger).
    #[command(flatten)]
    settlement: SettlementArgs,
    /// What one call costs, token wei.
    #[arg(long, default_value_t = U256::from(1_000_000_000_000_000u64))]
    price: U256,
    /// The most memories a namespace keeps; the lowest-scored are evicted past it.
    #[arg(long, default_value_t = StoreConfig::default().capacity)]
    capacity: u32,
    /// Serve without payment (local development and benchmarks).
    #[arg(long)]
    free: bool,
    /// Verify and settle with the facilitator at this URL instead of in this process.
    #[arg(long, env = "VERIGRAD_FACILITATOR_URL")]
    facilitator: Option<String>,
    /// Milliseconds between reads of the registry for moved roots.
    #[arg(long, default_value_t = 1000)]
    sync_ms: u64,
}

impl MemoryArgs {
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.action {
            MemoryAction::Serve(args) => serve_memory(ctx, *args).await,
            MemoryAction::Create { label, replicas } => create(ctx, &label, replicas).await,
            MemoryAction::Remember { target, agent, thread, messages } => {
                let client = client(ctx, &target).await?;
                let request = CreateRequest {
                    messages: messages.iter().map(|m| parse_message(m)).collect(),
                    agent_id: agent,
                    thread_id: thread,
                    source: "cli".into(),
                    metadata: None,
                    expires_at: None,
                };
                let answer = client.remember(&request).await?;
                let kept = &answer.body;
                println!(
                    "kept {} new, reinforced {}, superseded {}, skipped {} clauses",
                    kept.memories_created,
                    kept.memories_reinforced,
                    kept.memories_superseded,
                    kept.clauses_skipped
                );
                for memory in &kept.memories {
                    println!("  {} [{}] {}", memory.id, memory.categories.join(","), memory.text);
                }
                let state = client.commit(&kept.memories, &[]).await?;
                println!(
                    "committed seq {} root {} ({} memories)",
                    state.seq, state.root, state.count
                );
                Ok(())
            }
            MemoryAction::Search { target, query, limit } => {
                let client = client(ctx, &target).await?;
                let request = SearchRequest {
                    query,
                    limit,
                    categories: None,
                    agent_id: None,
                    thread_id: None,
                    include_history: true,
                    proofs: false,
                };
                let answer = client.search(&request).await?;
                for found in answer.body.memories {
                    let record = &found.record;
                    let history = if record.valid_to.is_some() { " (history)" } else { "" };
                    let distance = found.vector_distance.unwrap_or_default();
                    println!("{distance:.3} {} {}{history}", record.id, record.text);
                }
                Ok(())
            }
            MemoryAction::Forget { target, id } => {
                let client = client(ctx, &target).await?;
                client.delete(id).await?;
                let state = client.commit(&[], &[id]).await?;
                let registry = ctx.chain().await?.memory()?;
                let seq = client.prove_absent(&registry, id).await?;
                println!(
                    "erased {id}; committed seq {} root {}; absent at the chain's seq {seq}",
                    state.seq, state.root
                );
                Ok(())
            }
            MemoryAction::Status { target } => {
                let state = client(ctx, &target).await?.state().await?;
                println!("{}", serde_json::to_string_pretty(&state)?);
                Ok(())
            }
        }
    }
}

/// `user: text`, `assistant: text`, `system: text`, or plain text as the user's.
fn parse_message(text: &str) -> Message {
    for role in ["user", "assistant", "system"] {
        if let Some(rest) = text.strip_prefix(role).and_then(|r| r.strip_prefix(':')) {
            return Message { role: role.into(), content: rest.trim().into() };
        }
    }
    Message { role: "user".into(), content: text.into() }
}

fn label(label: &str) -> anyhow::Result<B256> {
    anyhow::ensure!(label.len() <= 32, "a label is at most 32 bytes, not {}", label.len());
    Ok(B256::right_padding_from(label.as_bytes()))
}

async fn client(ctx: &Context, target: &Target) -> anyhow::Result<MemoryClient> {
    let owner = ctx.signer("it signs for the namespace and pays")?;
    let registry = ctx.chain().await?.memory()?;
    let namespace = namespace_id(owner.address(), label(&target.label)?);
    let payer = (!target.free).then(|| owner.clone());
    Ok(MemoryClient::new(&target.node, owner, payer, registry.domain(), namespace))
}

async fn create(ctx: &Context, name: &str, replicas: Vec<Address>) -> anyhow::Result<()> {
    let account = ctx.account().await?;
    let registry = account.chain().memory()?;
    let namespace = registry
        .create_namespace(account.sender(), label(name)?, &replicas)
        .await
        .with_context(|| format!("creating namespace '{name}'"))?;
    println!("{namespace}");
    Ok(())
}

async fn serve_memory(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let key =
        ctx.signer("it is the store node's operator key: attestations, replica requests, relays")?;
    let config = &ctx.config;
    let settlement = args.settlement.options(config);
    let options = NodeOptions {
        listen: args.listen,
        data_dir: settlement.data_dir.clone(),
        models: args.models,
        store: StoreConfig { capacity: args.capacity, ..StoreConfig::default() },
        price: args.price,
        api: ApiOptions {
            facilitator: args.facilitator,
            pay_to: None,
            free: args.free,
            rate: RateLimit::default(),
            max_timeout_seconds: 300,
            price_refresh: Duration::from_secs(2),
            settlement,
        },
        sync_every: Duration::from_millis(args.sync_ms.max(100)),
    };
    serve(ctx.chain().await?, key, options, announce, shutdown()).await?;
    Ok(())
}
