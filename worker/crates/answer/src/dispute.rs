//! Disputing a signed PIPE answer: find it in its block with the request it answered, check it by
//! running the model, put the request in the store (its keccak is the request id, so the task's
//! input is bound to the signed request), and open a dispute, whose DEEP task the escrow's committee
//! decides; then resolve it.

use std::collections::HashMap;

use alloy::{
    primitives::{Address, B256, Bytes, keccak256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolType, SolValue, sol_data},
};
use serde_json::Value;
use verigrad_blobs::{BlobError, StoreClient};
use verigrad_contracts::{
    Account, ChainError, DeterminismClass, ModelRegistry, PipeDisputes, Ruling, TaskEscrow, Tier,
    to_u96,
};
use verigrad_inference::{
    ModelInferenceRequest, ModelOutput, Runtime, agrees, runModelInferenceCall,
};
use verigrad_pipe::{ADDRESS, INFERENCE_EVENT_TOPIC, PipeRequest, compute};

/// How many times a dispute is sent again at the quote the live price moved to.
const REQUOTES: usize = 3;

/// Why a dispute cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// The chain refused or failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] BlobError),
    /// The node has no signed answer to the request.
    #[error("{0}")]
    NotFound(String),
    /// Running the model agreed with the answer: a dispute would lose its bond.
    #[error(
        "the answer of {signer} to request {request} agrees with this node's execution; a dispute would lose its bond (--force disputes anyway)"
    )]
    Agrees {
        /// The request.
        request: B256,
        /// The signer.
        signer: Address,
    },
    /// This node cannot run the model.
    #[error("cannot re-execute the request: {0}")]
    Execution(String),
}

/// A signed answer as its block committed it, with the request it answered.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The request id.
    pub request_id: B256,
    /// The request, as the contract made it.
    pub call: ModelInferenceRequest,
    /// `abi.encode(mode, modelCID, input)`: the bytes whose keccak is the request id.
    pub request: Bytes,
    /// The release that answered.
    pub release: B256,
    /// The signer disputed.
    pub signer: Address,
    /// The output hash it signed.
    pub output_hash: B256,
    /// Its signature.
    pub signature: Bytes,
    /// The output the block committed.
    pub output: ModelOutput,
}

/// Reads the answer to `request_id` signed by `signer` (the first signer if `None`) from pipe-node:
/// the attestation from `pipe_getResult`, the request and output from its block's
/// `ModelInferenceEvent`.
pub async fn committed(
    account: &Account,
    request_id: B256,
    signer: Option<Address>,
) -> Result<Committed, DisputeError> {
    let provider = account.chain().rpc().provider();
    let result: Value = provider
        .raw_request("pipe_getResult".into(), (request_id,))
        .await
        .map_err(|e| DisputeError::NotFound(format!("pipe_getResult: {e}")))?;
    if result.is_null() {
        return Err(DisputeError::NotFound(format!(
            "no block on this chain committed {request_id}"
        )));
    }
    let block = u64::from_str_radix(text(&result, "blockNumber")?.trim_start_matches("0x"), 16)
        .map_err(|e| DisputeError::NotFound(format!("block number: {e}")))?;
    let events = events_in(account, block).await?;
    let listed = signatures(&result)?;
    if listed.is_empty() {
        return Err(DisputeError::NotFound(format!(
            "no worker signed the answer to {request_id} (the node answered it itself, or it failed)"
        )));
    }
    let signed = listed
        .iter()
        .find(|s| signer.is_none_or(|signer| s.signer == signer))
        .cloned()
        .ok_or_else(|| {
            DisputeError::NotFound(format!("{signer:?} did not sign the answer to {request_id}"))
        })?;
    let (call, output) = events.get(&request_id).cloned().ok_or_else(|| {
        DisputeError::NotFound(format!(
            "block {block} logs no inference event of request {request_id} (its transaction reverted?)"
        ))
    })?;
    Ok(signed.committed(request_id, call, output))
}

/// One signature of a committed result, as `pipe_getResult` and `pipe_getBlockResults` list it.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub(crate) release: B256,
    pub(crate) signer: Address,
    pub(crate) output_hash: B256,
    pub(crate) signature: Bytes,
}

impl Signature {
    /// The committed answer this signature vouches for.
    pub(crate) fn committed(
        self,
        request_id: B256,
        call: ModelInferenceRequest,
        output: ModelOutput,
    ) -> Committed {
        Committed {
            request_id,
            request: request_bytes(&call).into(),
            call,
            release: self.release,
            signer: self.signer,
            output_hash: self.output_hash,
            signature: self.signature,
            output,
        }
    }
}

/// The signatures of a result entry (none if the node answered it itself).
pub(crate) fn signatures(result: &Value) -> Result<Vec<Signature>, DisputeError> {
    let attestation = &result["attestation"];
    let Some(listed) = attestation["signatures"].as_array() else {
        return Ok(Vec::new());
    };
    let release = parse(text(attestation, "release")?)?;
    listed
        .iter()
        .map(|s| {
            Ok(Signature {
                release,
                signer: parse(text(s, "worker")?)?,
                output_hash: parse(text(s, "outputHash")?)?,
                signature: parse(text(s, "signature")?)?,
            })
        })
        .collect()
}

/// The string field `name` of `value`.
pub(crate) fn text<'a>(value: &'a Value, name: &str) -> Result<&'a str, DisputeError> {
    value[name].as_str().ok_or_else(|| DisputeError::NotFound(format!("the result has no {name}")))
}

/// `text` parsed as a `T`.
pub(crate) fn parse<T: std::str::FromStr>(text: &str) -> Result<T, DisputeError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| DisputeError::NotFound(format!("{text}: {e}")))
}

/// `abi.encode(mode, modelCID, input)`, whose keccak is the request id.
fn request_bytes(call: &ModelInferenceRequest) -> Vec<u8> {
    <(sol_data::Uint<8>, sol_data::String, verigrad_inference::ModelInput) as SolType>::abi_encode_params(&(
        call.mode,
        call.modelCID.clone(),
        call.input.clone(),
    ))
}

/// The request and output of each `ModelInferenceEvent` in `block`, by request id. An event whose
/// id is not the keccak of its request is not the precompile's and is skipped.
pub(crate) async fn events_in(
    account: &Account,
    block: u64,
) -> Result<HashMap<B256, (ModelInferenceRequest, ModelOutput)>, DisputeError> {
    type Event = (sol_data::String, ModelInferenceRequest, ModelOutput);
    let filter = Filter::new()
        .address(ADDRESS)
        .event_signature(*INFERENCE_EVENT_TOPIC)
        .from_block(block)
        .to_block(block);
    let mut events = HashMap::new();
    for log in account.chain().rpc().logs(&filter).await? {
        let Ok((id, request, output)) = Event::abi_decode_params(&log.data().data) else {
            continue;
        };
        let hash = keccak256(request_bytes(&request));
        if id == hash.to_string() {
            events.insert(hash, (request, output));
        }
    }
    Ok(events)
}

/// Whether `runtime`'s own execution of the committed request disagrees with the signed output.
pub fn disagrees(runtime: &Runtime, committed: &Committed) -> Result<bool, DisputeError> {
    let calldata = runModelInferenceCall { request: committed.call.clone() }.abi_encode();
    let request =
        PipeRequest::decode(&calldata).map_err(|e| DisputeError::Execution(e.to_string()))?;
    let manifest =
        runtime.manifest(&request.model).map_err(|e| DisputeError::Execution(e.to_string()))?;
    let mine = compute(runtime, &request).map_err(|e| DisputeError::Execution(e.to_string()))?;
    if committed.output.commitment() == committed.output_hash {
        return Ok(!agrees(manifest.determinism, &mine.output, &committed.output));
    }
    Ok(mine.output.commitment() != committed.output_hash)
}

/// Opens a dispute of `committed` from `account`: puts the request in `store`, pays the bond and
/// the DEEP task's fee. Returns the dispute id and its task.
pub async fn open(
    account: &Account,
    store: &StoreClient,
    committed: &Committed,
) -> Result<(alloy::primitives::U256, alloy::primitives::U256), DisputeError> {
    let stored = store.put(committed.request.to_vec()).await?;
    debug_assert_eq!(stored, committed.request_id);
    let deployment = *account.chain().deployment();
    let disputes = deployment.pipe_disputes;
    if disputes.is_zero() {
        return Err(ChainError::NotDeployed("pipeDisputes").into());
    }
    let rpc = account.chain().rpc();
    let bond = rpc.view(disputes, PipeDisputes::disputeBondCall {}).await?;
    let slash = rpc.view(disputes, PipeDisputes::slashAmountCall {}).await?;
    let quote = TaskEscrow::quoteCall {
        modelId: committed.release,
        value: slash + bond,
        floor: Tier::DEEP,
        worker: Address::ZERO,
    };
    let mut call = PipeDisputes::disputeCall {
        requestId: committed.request_id,
        releaseId: committed.release,
        outputHash: committed.output_hash,
        signature: committed.signature.clone(),
        maxFee: rpc.view(deployment.task_escrow, quote).await?.fee,
    };
    // The live price moves with every task the escrow admits: a quote it outran is refused with the
    // new one (`FeeBelowQuote`), which the dispute is sent again at.
    let mut requotes = 0;
    let receipt = loop {
        let total =
            alloy::primitives::U256::from(bond) + alloy::primitives::U256::from(call.maxFee);
        account.approve(disputes, total).await?;
        match account.sender().call(disputes, call.clone()).await {
            Ok(receipt) => break receipt,
            Err(error) => match error.refused_quote() {
                Some(quote) if requotes < REQUOTES => {
                    call.maxFee = to_u96(quote)?;
                    requotes += 1;
                }
                _ => return Err(error.into()),
            },
        }
    };
    let opened = receipt
        .decoded_log::<PipeDisputes::DisputeOpened>()
        .ok_or_else(|| DisputeError::NotFound("the receipt logs no DisputeOpened".into()))?;
    Ok((opened.disputeId, opened.taskId))
}

/// Resolves dispute `id` once its task is final: for a TOLERANCE release with both outputs opened
/// (the signed one as its block committed it, the task's from `store`). Returns the ruling.
pub async fn resolve(
    account: &Account,
    store: &StoreClient,
    id: alloy::primitives::U256,
) -> Result<Ruling, DisputeError> {
    let deployment = *account.chain().deployment();
    let rpc = account.chain().rpc();
    let dispute =
        rpc.view(deployment.pipe_disputes, PipeDisputes::disputeOfCall { disputeId: id }).await?;
    let release = rpc
        .view(
            deployment.model_registry,
            ModelRegistry::releaseCall { releaseId: dispute.releaseId },
        )
        .await?;
    let empty = ModelOutput::numbers(Vec::new());
    let (signed, result) = if release.determinism == DeterminismClass::TOLERANCE {
        let committed = committed(account, dispute.requestId, Some(dispute.signer)).await?;
        let hash = rpc
            .view(deployment.task_escrow, TaskEscrow::resultOfCall { taskId: dispute.taskId })
            .await?;
        let result = <ModelOutput as SolValue>::abi_decode(&store.get(hash).await?)
            .map_err(|e| DisputeError::NotFound(format!("the task's output: {e}")))?;
        (committed.output, result)
    } else {
        (empty.clone(), empty)
    };
    let call = PipeDisputes::resolveCall {
        disputeId: id,
        signedOutput: bound(&signed),
        resultOutput: bound(&result),
    };
    let receipt = account.sender().call(deployment.pipe_disputes, call).await?;
    receipt
        .decoded_log::<PipeDisputes::DisputeResolved>()
        .map(|resolved| resolved.ruling)
        .ok_or_else(|| DisputeError::NotFound("the receipt logs no DisputeResolved".into()))
}

/// An output as the contract binding types it (the same ABI).
fn bound(output: &ModelOutput) -> PipeDisputes::ModelOutput {
    <PipeDisputes::ModelOutput as SolValue>::abi_decode(&output.abi_encode())
        .expect("the same ABI type")
}
