//! The PIPE precompile inside revm: direct calls, failures, the phases' backends, and a real consumer
//! contract (forge's artifact of `RiskGate`) using an answer in the same transaction.

mod billing;
mod consumer;
mod engine;
mod precompile;

use std::{path::PathBuf, sync::Arc};

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::SolCall;
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{TxEnv, result::ExecutionResult},
    database::InMemoryDB,
    primitives::{TxKind, hardfork::SpecId},
    state::AccountInfo,
};
use verigrad_inference::{
    ModelInferenceRequest, ModelInput, MultiDimensionalNumberTensor, Number, Runtime,
    runModelInferenceCall,
};
use verigrad_pipe::{InferenceBackend, PipePrecompiles};

pub(crate) const CALLER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

pub(crate) fn runtime() -> Runtime {
    Runtime::load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"))
        .expect("shipped models")
}

/// A chain of one funded account, with PIPE answering from `backend`.
pub(crate) struct Chain {
    db: InMemoryDB,
    backend: Arc<dyn InferenceBackend>,
    nonce: u64,
}

impl Chain {
    pub(crate) fn new(backend: Arc<dyn InferenceBackend>) -> Self {
        let mut db = InMemoryDB::default();
        let funds = U256::from(10).pow(U256::from(24));
        db.insert_account_info(CALLER, AccountInfo { balance: funds, ..Default::default() });
        Self { db, backend, nonce: 0 }
    }

    pub(crate) fn send(&mut self, kind: TxKind, data: Bytes, gas_limit: u64) -> ExecutionResult {
        let tx = TxEnv::builder()
            .caller(CALLER)
            .kind(kind)
            .data(data)
            .gas_limit(gas_limit)
            .nonce(self.nonce)
            .build()
            .expect("valid tx");
        self.nonce += 1;
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .build_mainnet()
            .with_precompiles(PipePrecompiles::new(SpecId::PRAGUE, self.backend.clone()));
        evm.transact_commit(tx).expect("no EVM error")
    }
}

/// The creation code of a forge-built contract (run `forge build` first; `scripts/test` does).
pub(crate) fn creation_code(source: &str, contract: &str) -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../out/{source}/{contract}.json"));
    let artifact = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `forge build` first)", path.display()));
    let json: serde_json::Value = serde_json::from_str(&artifact).expect("artifact JSON");
    alloy_primitives::hex::decode(json["bytecode"]["object"].as_str().expect("bytecode"))
        .expect("hex")
}

pub(crate) fn request(mode: u8, model: &str, tensor: &str, values: &[(i128, i128)]) -> Bytes {
    let numbers = values.iter().map(|(v, d)| Number::new(*v, *d)).collect();
    let tensor = MultiDimensionalNumberTensor::new(tensor, numbers, vec![1, values.len() as u32])
        .expect("tensor");
    runModelInferenceCall {
        request: ModelInferenceRequest {
            mode,
            modelCID: model.to_string(),
            input: ModelInput::numbers(vec![tensor]),
        },
    }
    .abi_encode()
    .into()
}

pub(crate) fn window() -> Vec<(i128, i128)> {
    [12, -8, 5, -15, 9, -3, 11, -6, 140, -210, 95, -180, 260, -120, 75, -300]
        .iter()
        .map(|v| (*v, 4))
        .collect()
}

pub(crate) fn position(collateral_ratio_pct: i128) -> Vec<(i128, i128)> {
    vec![(collateral_ratio_pct, 2), (80, 2), (90, 2), (45, 1), (5, 1), (2, 0), (30, 3), (8, 0)]
}
