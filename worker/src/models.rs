//! `worker models …` and `worker store`: model packages on a store node and their releases on
//! chain, and the store itself.

use std::{net::SocketAddr, path::PathBuf};

use alloy::primitives::B256;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use verigrad_blobs::{BlobDir, StoreClient, Transfer, router};
use verigrad_inference::ModelPackage;

use crate::{cli::Context, release::ReleaseArgs};

/// `worker models …`.
#[derive(Debug, Args)]
pub(crate) struct ModelsArgs {
    /// What to do.
    #[command(subcommand)]
    action: ModelsAction,
    /// The store node (list, publish, pull).
    #[arg(
        long,
        global = true,
        env = "VERIGRAD_STORE_URL",
        default_value = "http://127.0.0.1:9100"
    )]
    store: String,
}

/// `worker models …`.
#[derive(Debug, Subcommand)]
enum ModelsAction {
    /// What goes to the store node.
    #[command(flatten)]
    Store(PackageAction),
    /// Publish a package as a release in the ModelRegistry, as the key (VERIGRAD_KEY), which owns
    /// the repository: create the repository if needed; print the release id.
    Release(ReleaseArgs),
    /// Serve a release, as the registered worker of the key: its tasks and PIPE requests may come
    /// to this worker, and a running `worker run` loads the package within seconds.
    Serve {
        /// The release id.
        release: B256,
    },
    /// Stop serving a release, as the registered worker of the key.
    Unserve {
        /// The release id.
        release: B256,
    },
}

/// `worker models list|publish|pull`: packages on the store node.
#[derive(Debug, Subcommand)]
enum PackageAction {
    /// The packages the store holds.
    List,
    /// Publish a package folder (its files, then its manifest under the package id).
    Publish {
        /// The package folder (manifest.json and the files it lists).
        dir: PathBuf,
    },
    /// Pull a package by id, checking every file and the id.
    Pull {
        /// The package id.
        id: B256,
        /// The folder to write it into.
        #[arg(long)]
        to: PathBuf,
    },
}

impl ModelsArgs {
    /// Runs the action against the store, or the chain for a release.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.action {
            ModelsAction::Store(action) => run(action, &self.store).await,
            ModelsAction::Release(args) => args.run(ctx).await,
            ModelsAction::Serve { release } => {
                ctx.account().await?.serve_model(release).await?;
                eprintln!("serving {release}; a running `worker run` loads it within seconds");
                Ok(())
            }
            ModelsAction::Unserve { release } => {
                ctx.account().await?.stop_serving(release).await?;
                eprintln!("no longer serving {release}");
                Ok(())
            }
        }
    }
}

/// `worker store`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Where the blobs live.
    #[arg(long, default_value = ".worker/store")]
    dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// Largest blob accepted, in MiB.
    #[arg(long, default_value_t = 1024)]
    max_mib: usize,
}

impl StoreArgs {
    /// Serves the store role until Ctrl-C.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        serve(self.dir, self.listen, self.max_mib).await
    }
}

/// Runs a `models` action against the store at `store`.
async fn run(action: PackageAction, store: &str) -> anyhow::Result<()> {
    let client = StoreClient::new(store);
    match action {
        PackageAction::List => {
            let ids = client.packages().await?;
            if ids.is_empty() {
                println!("{store} holds no packages");
            }
            for id in ids {
                println!("{id}");
            }
        }
        PackageAction::Publish { dir } => {
            let package = ModelPackage::load(&dir)
                .with_context(|| format!("loading the package in {}", dir.display()))?;
            let manifest = package.manifest();
            eprintln!("publishing {}@{} to {store}", manifest.name, manifest.version);
            let mut bar = ProgressBar::on_stderr();
            let id = client.publish(&package, |t| bar.show(t)).await?;
            println!("{id}");
        }
        PackageAction::Pull { id, to } => {
            eprintln!("pulling {id} from {store} into {}", to.display());
            let mut bar = ProgressBar::on_stderr();
            let package = client.pull(id, &to, |t| bar.show(t)).await?;
            let manifest = package.manifest();
            println!("{}@{} {id} in {}", manifest.name, manifest.version, to.display());
        }
    }
    Ok(())
}

/// Transfer progress on stderr: on a terminal, a bar per file redrawn as its bytes move
/// (`[2/3] model.safetensors  [#########-----------]  40.2 MiB / 86.6 MiB`); elsewhere (logs, CI)
/// only each file's final line.
#[derive(Debug)]
struct ProgressBar {
    /// Whether stderr is a terminal (bars) or not (final lines only).
    terminal: bool,
    /// The file and fortieth last drawn, so a redraw happens only when the bar moves.
    drawn: Option<(usize, usize)>,
}

impl ProgressBar {
    const WIDTH: usize = 40;

    fn on_stderr() -> Self {
        Self { terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()), drawn: None }
    }

    fn show(&mut self, transfer: &Transfer) {
        let label = format!("[{}/{}] {:<24}", transfer.index, transfer.count, transfer.name);
        if transfer.finished() {
            let state = if transfer.skipped { "already there" } else { "done" };
            let line = format!("  {label} {:>10}  {state}", size(transfer.bytes));
            if self.drawn.take().is_some() {
                // Over the bar drawn on this line.
                eprintln!("\r{line:<width$}", width = Self::WIDTH + 60);
            } else {
                eprintln!("{line}");
            }
            return;
        }
        if !self.terminal {
            return;
        }
        let filled = transfer.done * Self::WIDTH / transfer.bytes.max(1);
        if self.drawn == Some((transfer.index, filled)) {
            return;
        }
        self.drawn = Some((transfer.index, filled));
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(Self::WIDTH - filled));
        eprint!("\r  {label} [{bar}] {:>10} / {}", size(transfer.done), size(transfer.bytes));
    }
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// Serves the store role until Ctrl-C.
async fn serve(dir: PathBuf, listen: SocketAddr, max_mib: usize) -> anyhow::Result<()> {
    let store = BlobDir::open(&dir)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (another store running?)"))?;
    let bound = listener.local_addr()?;
    tracing::info!(url = %format!("http://{bound}"), dir = %dir.display(), "store serving");
    axum::serve(listener, router(store, max_mib << 20))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
