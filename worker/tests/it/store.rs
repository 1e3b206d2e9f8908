//! The store role end to end: `worker store` serving on loopback, model packages published and pulled
//! through it with `worker models`, and every way a wrong byte is caught.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use alloy::{primitives::keccak256, transports::http::reqwest};
use verigrad_inference::ModelPackage;

use verigrad_testkit::{text, worker};

/// A `worker store` process on a port the system picks, killed when dropped.
pub(crate) struct StoreNode {
    child: Child,
    pub(crate) url: String,
}

impl StoreNode {
    pub(crate) fn start(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_worker"))
            .args(["store", "--listen", "127.0.0.1:0", "--max-mib", "256", "--dir"])
            .arg(dir)
            .env("VERIGRAD_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .expect("store starts");
        let stderr = child.stderr.take().expect("stderr");
        // The start-up line names the bound address: `… url=http://127.0.0.1:PORT …`.
        let url = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                let start = line.find("http://")?;
                Some(line[start..].split_whitespace().next()?.to_string())
            })
            .expect("the store reports its address");
        Self { child, url }
    }
}

impl Drop for StoreNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn models(store: &StoreNode, args: &[&str]) -> std::process::Output {
    let mut all = vec!["models", "--store", &store.url];
    all.extend_from_slice(args);
    worker(&[], &all)
}

pub(crate) fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)
}

#[tokio::test]
async fn packages_round_trip_through_a_store_node_and_bad_bytes_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let package = ModelPackage::load(shipped("risk")).expect("shipped package");
    let id = package.id().to_string();

    let published = models(&store, &["publish", shipped("risk").to_str().expect("utf-8")]);
    assert!(published.status.success(), "{}", text(&published));
    assert_eq!(String::from_utf8_lossy(&published.stdout).trim(), id);
    // Publishing again uploads nothing new.
    let again = models(&store, &["publish", shipped("risk").to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already there"), "{}", text(&again));

    let listed = models(&store, &["list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), id, "{}", text(&listed));

    let pulled_dir = dir.path().join("pulled");
    let pulled = models(&store, &["pull", &id, "--to", pulled_dir.to_str().expect("utf-8")]);
    assert!(pulled.status.success(), "{}", text(&pulled));
    let copy = ModelPackage::load_expecting(&pulled_dir, package.id()).expect("the same package");
    assert_eq!(copy.files().count(), package.files().count());

    // An unknown package: a clear error, a failing exit status.
    let unknown = models(&store, &["pull", &format!("0x{}", "ab".repeat(32)), "--to", "x"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no package"), "{}", text(&unknown));

    // Bytes under another hash are refused by the store.
    let http = reqwest::Client::new();
    let response = http
        .put(format!("{}/blobs/{}", store.url, keccak256(b"honest")))
        .body(b"forged".to_vec())
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let response =
        http.get(format!("{}/blobs/not-a-hash", store.url)).send().await.expect("answered");
    assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);

    // A blob damaged on the store's disk is never served: the pull fails and says why.
    let weights = package.manifest().files.values().next().expect("a weights file").clone();
    let hex = weights.trim_start_matches("0x");
    std::fs::write(dir.path().join("store/blobs").join(&hex[..2]).join(&hex[2..]), b"rot")
        .expect("damage a blob");
    let damaged =
        models(&store, &["pull", &id, "--to", dir.path().join("again").to_str().expect("utf-8")]);
    assert!(!damaged.status.success());
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("damaged"), "{}", text(&damaged));
}
