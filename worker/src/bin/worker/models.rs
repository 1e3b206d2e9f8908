//! `worker models …` and `worker store`: model packages on a store node, and the store itself.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use verigrad_inference::ModelPackage;
use verigrad_worker::blobs::{BlobDir, StoreClient, Transfer, router};

use crate::cli::ModelsAction;

/// Runs a `models` action against the store at `store`.
pub(crate) async fn run(action: ModelsAction, store: &str) -> anyhow::Result<()> {
    let client = StoreClient::new(store);
    match action {
        ModelsAction::List => {
            let ids = client.packages().await?;
            if ids.is_empty() {
                println!("{store} holds no packages");
            }
            for id in ids {
                println!("{id}");
            }
        }
        ModelsAction::Publish { dir } => {
            let package = ModelPackage::load(&dir)
                .with_context(|| format!("loading the package in {}", dir.display()))?;
            let manifest = package.manifest();
            eprintln!("publishing {}@{} to {store}", manifest.name, manifest.version);
            let id = client.publish(&package, progress).await?;
            println!("{id}");
        }
        ModelsAction::Pull { id, to } => {
            eprintln!("pulling {id} from {store} into {}", to.display());
            let package = client.pull(id, &to, progress).await?;
            let manifest = package.manifest();
            println!("{}@{} {id} in {}", manifest.name, manifest.version, to.display());
        }
    }
    Ok(())
}

/// One line per file: `[2/3] model.safetensors  90.9 MB  sent`.
fn progress(transfer: &Transfer) {
    let state = if transfer.skipped { "already there" } else { "done" };
    eprintln!(
        "  [{}/{}] {:<24} {:>10}  {state}",
        transfer.index,
        transfer.count,
        transfer.name,
        size(transfer.bytes)
    );
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// Serves the store role until Ctrl-C.
pub(crate) async fn serve(dir: PathBuf, listen: SocketAddr, max_mib: usize) -> anyhow::Result<()> {
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
