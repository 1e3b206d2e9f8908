//! Auditing VANILLA answers after the fact. One staked worker signs a VANILLA answer and nobody
//! checks it before its block; instead auditors re-run a random sample of the committed answers and
//! dispute the wrong ones. The draw hashes the hash of the block that committed the answer, so a
//! worker cannot know, when it signs, whether its answer will be drawn: the block, and the PIPE root
//! that covers the signature, do not exist yet. Each auditor draws with its own address, so `n`
//! auditors at rate `p` check an answer with probability `1 − (1 − p)ⁿ`. A worker that lies
//! expects to lose that probability times the dispute's slash, per lie.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
};
use serde_json::Value;
use verigrad_contracts::Account;
use verigrad_inference::Runtime;
use verigrad_pipe::Mode;

use crate::dispute::{Committed, DisputeError, disagrees, events_in, parse, signatures, text};

/// Basis points: a rate of 10 000 audits every answer.
const BPS: u16 = 10_000;

/// Whether `auditor`'s draw at `rate_bps` picks request `request_id`, committed in the block whose
/// hash is `block_hash`: `keccak256(block_hash ‖ request_id ‖ auditor) mod 10 000 < rate_bps`.
pub fn drawn(block_hash: B256, request_id: B256, auditor: Address, rate_bps: u16) -> bool {
    let mut seed = [0u8; 84];
    seed[..32].copy_from_slice(block_hash.as_slice());
    seed[32..64].copy_from_slice(request_id.as_slice());
    seed[64..].copy_from_slice(auditor.as_slice());
    let draw = U256::from_be_bytes(keccak256(seed).0) % U256::from(BPS);
    draw < U256::from(rate_bps)
}

/// What re-running a drawn answer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// This auditor's execution agrees with the signed output (by the model's determinism class).
    Agrees,
    /// It contradicts it: the answer is disputable.
    Wrong,
    /// The auditor could not run the request (say, it does not hold the model).
    Unchecked(String),
}

/// A drawn answer and what its re-run found.
#[derive(Debug, Clone)]
pub struct Audited {
    /// The answer, with the request it answered.
    pub committed: Committed,
    /// The verdict.
    pub verdict: Verdict,
}

/// One block's audit.
#[derive(Debug, Clone)]
pub struct BlockAudit {
    /// The block.
    pub block: u64,
    /// Its signed VANILLA answers (one per signer).
    pub answers: usize,
    /// Those the draw picked, each re-run.
    pub audited: Vec<Audited>,
}

/// Audits block `block` of a pipe-node for `account`: draws among its signed VANILLA answers at
/// `rate_bps` and re-runs each drawn one with `runtime`.
pub async fn audit_block(
    account: &Account,
    runtime: &Runtime,
    block: u64,
    rate_bps: u16,
) -> Result<BlockAudit, DisputeError> {
    let provider = account.chain().rpc().provider();
    let results: Value = provider
        .raw_request("pipe_getBlockResults".into(), [format!("{block:#x}")])
        .await
        .map_err(|e| DisputeError::NotFound(format!("pipe_getBlockResults({block}): {e}")))?;
    let hash: B256 = parse(text(&results, "blockHash")?)?;
    let mut audit = BlockAudit { block, answers: 0, audited: Vec::new() };
    let listed = results["results"].as_array().cloned().unwrap_or_default();
    let signed: Vec<(B256, Vec<_>)> = listed
        .iter()
        .map(|entry| Ok((parse(text(entry, "requestId")?)?, signatures(entry)?)))
        .filter(|entry| !matches!(entry, Ok((_, signatures)) if signatures.is_empty()))
        .collect::<Result<_, DisputeError>>()?;
    if signed.is_empty() {
        return Ok(audit);
    }
    let events = events_in(account, block).await?;
    for (request_id, signatures) in signed {
        // A request whose transaction reverted logs no event: its answer reached no contract.
        let Some((call, output)) = events.get(&request_id) else { continue };
        if !matches!(Mode::try_from(call.mode), Ok(Mode::Vanilla)) {
            continue;
        }
        for signature in signatures {
            audit.answers += 1;
            if !drawn(hash, request_id, account.address(), rate_bps) {
                continue;
            }
            let committed = signature.committed(request_id, call.clone(), output.clone());
            let verdict = match disagrees(runtime, &committed) {
                Ok(true) => Verdict::Wrong,
                Ok(false) => Verdict::Agrees,
                Err(error) => Verdict::Unchecked(error.to_string()),
            };
            audit.audited.push(Audited { committed, verdict });
        }
    }
    Ok(audit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draw picks about `rate` of the answers, none at 0 and all at 10 000, and two auditors draw
    /// independently.
    #[test]
    fn the_draw_picks_the_rate_and_differs_by_auditor() {
        let block = keccak256(b"block");
        let (one, two) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let ids: Vec<B256> = (0u32..4_000).map(|i| keccak256(i.to_be_bytes())).collect();
        let count =
            |auditor, rate| ids.iter().filter(|id| drawn(block, **id, auditor, rate)).count();
        assert_eq!(count(one, 0), 0);
        assert_eq!(count(one, BPS), ids.len());
        let tenth = count(one, 1_000);
        assert!((300..500).contains(&tenth), "{tenth} of 4000 drawn at 10 %");
        let both = ids
            .iter()
            .filter(|id| drawn(block, **id, one, 1_000) && drawn(block, **id, two, 1_000))
            .count();
        assert!(both < 80, "{both} drawn by both auditors: the draws are not independent");
    }

    /// A worker cannot choose to be skipped: the same answer in another block is drawn afresh.
    #[test]
    fn the_draw_follows_the_block_hash() {
        let (id, auditor) = (keccak256(b"request"), Address::repeat_byte(7));
        let drawn_in =
            (0u32..1_000).filter(|i| drawn(keccak256(i.to_be_bytes()), id, auditor, 2_500)).count();
        assert!((150..350).contains(&drawn_in), "{drawn_in} of 1000 blocks drew it at 25 %");
    }
}
