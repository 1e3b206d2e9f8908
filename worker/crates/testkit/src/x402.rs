//! A market to pay in: anvil with the core deployed, the shipped models released in the
//! ModelRegistry at known prices, a funded payer, and `worker serve` processes on loopback.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
    transports::http::reqwest,
};
use serde_json::Value;
use verigrad_contracts::{DeterminismClass, Rpc, bindings::Token};
use verigrad_inference::ModelPackage;
use verigrad_x402::x402::{self, PaymentRequired, decode_header};

use crate::{
    Anvil, DEPLOYER_KEY, Deployed, Node, WORKER_KEY, address, market::release, repo, tokens,
};

/// anvil's development key 2: pays for inference. A public test key.
pub const PAYER_KEY: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
/// anvil's development key 4: holds no tokens. A public test key.
pub const BROKE_KEY: &str = "0x47e179ec197488593b187f8a8eb2d9ee2f2c8bd7196f9b1df58a7f1a7ded9c4f";

/// One volatility inference costs 0.01 VGD; the embedder 0.02 VGD.
pub fn price_of_volatility() -> U256 {
    tokens(1) / U256::from(100)
}

/// The package id of a shipped model.
pub fn package_id(name: &str) -> B256 {
    ModelPackage::load(repo().join("models").join(name)).expect("package (run scripts/setup)").id()
}

/// A volatility input: 16 log-returns.
pub fn volatility_input() -> Value {
    let returns: Vec<Value> = (0..16).map(|i| format!("0.0{}", i % 7 + 1).into()).collect();
    serde_json::json!({ "numbers": [{ "name": "returns", "shape": [1, 16], "values": returns }] })
}

/// The chain, its deployment and the released models.
#[derive(Debug)]
pub struct Market {
    /// The chain.
    pub anvil: Anvil,
    /// The core contracts on it.
    pub deployed: Deployed,
    /// A patient RPC to it, for reads.
    pub rpc: Rpc,
}

impl Market {
    /// Deploys, releases volatility, risk and the embedder, and funds the payer with 100 VGD.
    pub async fn open() -> Self {
        let anvil = Anvil::start();
        let deployed = Deployed::on(&anvil);
        let owner = deployed.account(anvil.url(), DEPLOYER_KEY).await;
        let prices = [
            ("volatility", price_of_volatility()),
            ("risk", price_of_volatility()),
            ("minilm", price_of_volatility() * U256::from(2)),
        ];
        for (name, price) in prices {
            let release = release(name, package_id(name), DeterminismClass::EXACT, 0, price);
            owner.publish_release(&release).await.expect("release");
        }
        deployed.fund(&anvil, address(PAYER_KEY), tokens(100)).await;
        let rpc = Rpc::http(anvil.url(), crate::patient());
        Self { anvil, deployed, rpc }
    }

    /// The network token.
    pub fn token(&self) -> Address {
        self.deployed.deployment.token
    }

    /// `who`'s token balance.
    pub async fn balance(&self, who: Address) -> U256 {
        crate::token_balance(&self.rpc, self.token(), who).await
    }

    /// Whether `payer`'s authorization `nonce` was used on chain.
    pub async fn used(&self, payer: Address, nonce: B256) -> bool {
        let call = Token::authorizationStateCall { authorizer: payer, nonce };
        self.rpc.view(self.token(), call).await.expect("authorizationState")
    }

    /// The worker's environment: node, deployment, and the worker's key (it settles and is paid).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VERIGRAD_RPC_URL", self.anvil.url().to_string()),
            ("VERIGRAD_DEPLOYMENT", self.deployed.file.to_string_lossy().into_owned()),
            ("VERIGRAD_KEY", WORKER_KEY.to_string()),
            ("VERIGRAD_LOG", "warn".to_string()),
        ]
    }
}

/// A `worker serve` (or `worker facilitator`) process; killed (SIGKILL, like a crash) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens (`http://127.0.0.1:<port>`).
    pub url: String,
    log: PathBuf,
}

impl Server {
    /// Starts `worker <args>` with `env` on a port of its choosing and waits until it listens.
    pub fn start(env: &[(&'static str, String)], args: &[&str], log: PathBuf) -> Self {
        let stderr = std::fs::File::create(&log).expect("log");
        let mut child = Command::new(crate::worker_bin())
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .current_dir(repo())
            .spawn()
            .expect("worker runs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("stdout");
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!(
                "worker {args:?} did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Self { url: url.to_string(), child, log }
    }

    /// `worker serve` for `market`, with its ledger in `data_dir`, plus `extra` flags.
    pub fn serve(market: &Market, data_dir: &Path, extra: &[&str]) -> Self {
        std::fs::create_dir_all(data_dir).expect("data dir");
        let data = data_dir.to_string_lossy().into_owned();
        let mut args = vec!["serve", "--models", "models", "--data-dir", &data];
        args.extend_from_slice(extra);
        Self::start(&market.env(), &args, data_dir.join("serve.log"))
    }

    /// What the process logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status, x402 headers and JSON body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, x402's among them.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (null if it is not JSON).
    pub body: Value,
}

impl Answer {
    /// The decoded `PAYMENT-REQUIRED` header, which must equal the body.
    pub fn required(&self) -> PaymentRequired {
        let header = self.headers.get(x402::PAYMENT_REQUIRED).expect("PAYMENT-REQUIRED header");
        let required: PaymentRequired =
            decode_header(header.to_str().expect("ascii")).expect("base64 JSON");
        assert_eq!(
            serde_json::to_value(&required).expect("json"),
            self.body,
            "header and body agree"
        );
        required
    }

    /// The reason a payment was refused.
    pub fn reason(&self) -> String {
        self.required().error.unwrap_or_default()
    }
}

/// POSTs `body` to `url` with `headers`.
pub async fn post(url: &str, body: &Value, headers: &[(&str, String)]) -> Answer {
    let mut request = reqwest::Client::new().post(url).json(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

/// GETs `url` as JSON.
pub async fn get(url: &str) -> Value {
    let response = reqwest::get(url).await.expect("request");
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    serde_json::from_slice(&response.bytes().await.expect("body")).expect("JSON")
}

/// The payer's signer.
pub fn payer() -> PrivateKeySigner {
    PAYER_KEY.parse().expect("key")
}

/// The requirements `worker serve` would quote for one volatility inference paid to `pay_to`.
pub fn offer(market: &Market, pay_to: Address) -> x402::PaymentRequirements {
    x402::PaymentRequirements {
        scheme: x402::SCHEME.into(),
        network: x402::network(market.anvil.chain_id()),
        amount: price_of_volatility(),
        asset: market.token(),
        pay_to,
        max_timeout_seconds: 300,
        extra: Some(verigrad_x402::facilitator::token_domain()),
    }
}
