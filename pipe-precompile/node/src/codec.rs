//! How a block is kept on disk: header, transactions and receipts in their consensus encodings, and the
//! PIPE results the block used, so replay needs no model.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use verigrad_pipe::{Answer, Attestation, PipeCommitment, PipeFailure, Resolution, Signed};

/// A block as stored.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredBlock {
    /// The consensus header (its `extra_data` is the PIPE root).
    pub header: Header,
    /// The recovered sender of each transaction.
    pub senders: Vec<Address>,
    /// Each transaction's EIP-2718 encoding.
    pub transactions: Vec<Bytes>,
    /// Each receipt's EIP-2718 encoding.
    pub receipts: Vec<Bytes>,
    /// The PIPE results the block used.
    pub pipe: Vec<StoredResult>,
    /// The PipeSettlement settled after the block's last transaction (zero: none).
    pub settlement: Address,
}

/// One committed PIPE result.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredResult {
    /// The request id.
    pub id: B256,
    /// Whether the request was answered (else it failed and the call reverted).
    pub answered: bool,
    /// The model's cost units (zero for a failure).
    pub cost_units: u64,
    /// The precompile's return data, or the failure's revert data.
    pub data: Bytes,
    /// For an answer the network gave: the release run (zero for the node's own answer).
    pub release: B256,
    /// For an answer the network gave: the PipeSettlement of its signatures' domain.
    pub settlement: Address,
    /// For an answer the network gave: what each call it served paid.
    pub price: U256,
    /// For an answer the network gave: each signer and its EIP-712 signature, sorted by signer.
    pub signatures: Vec<StoredSignature>,
}

/// One worker's signature over a committed answer.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredSignature {
    /// The worker.
    pub worker: Address,
    /// The hash of the output it signed.
    pub output_hash: B256,
    /// Its 65-byte signature.
    pub signature: Bytes,
}

/// Why stored bytes could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Not a valid encoding.
    #[error("corrupt stored block: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// A stored PIPE result does not decode.
    #[error("corrupt stored PIPE result {id}: {reason}")]
    Result {
        /// The request id.
        id: B256,
        /// What was wrong.
        reason: String,
    },
}

impl StoredResult {
    /// The stored form of a resolution.
    pub fn new(id: B256, resolution: &Resolution) -> Self {
        match resolution {
            Ok(answer) => {
                let attestation = answer.attestation.as_ref();
                Self {
                    id,
                    answered: true,
                    cost_units: answer.cost_units,
                    data: answer.encoded.clone(),
                    release: attestation.map_or(B256::ZERO, |a| a.release),
                    settlement: attestation.map_or(Address::ZERO, |a| a.settlement),
                    price: attestation.map_or(U256::ZERO, |a| a.price),
                    signatures: attestation.map_or_else(Vec::new, |a| {
                        a.signatures
                            .iter()
                            .map(|s| StoredSignature {
                                worker: s.worker,
                                output_hash: s.output_hash,
                                signature: s.signature.clone(),
                            })
                            .collect()
                    }),
                }
            }
            Err(failure) => Self {
                id,
                answered: false,
                cost_units: 0,
                data: failure.revert_data(),
                release: B256::ZERO,
                settlement: Address::ZERO,
                price: U256::ZERO,
                signatures: Vec::new(),
            },
        }
    }

    /// The resolution back.
    pub fn resolution(&self) -> Result<Resolution, CodecError> {
        let corrupt = |reason: String| CodecError::Result { id: self.id, reason };
        if self.answered {
            let attestation = (!self.signatures.is_empty()).then(|| {
                let signatures = self
                    .signatures
                    .iter()
                    .map(|s| Signed {
                        worker: s.worker,
                        output_hash: s.output_hash,
                        signature: s.signature.clone(),
                    })
                    .collect();
                Attestation::new(self.release, self.settlement, self.price, signatures)
            });
            return Answer::decode(&self.data, self.cost_units, attestation)
                .map(Ok)
                .map_err(|e| corrupt(e.to_string()));
        }
        PipeFailure::from_revert_data(&self.data)
            .map(Err)
            .ok_or_else(|| corrupt("revert data is no PIPE error".into()))
    }
}

/// The stored form of a block's PIPE commitment.
pub fn store_commitment(commitment: &PipeCommitment) -> Vec<StoredResult> {
    commitment.results.iter().map(|(id, resolution)| StoredResult::new(*id, resolution)).collect()
}

/// A stored commitment read back, with the settlement the block settled at (zero: none).
pub fn load_commitment(
    results: &[StoredResult],
    settlement: Address,
) -> Result<PipeCommitment, CodecError> {
    let results = results
        .iter()
        .map(|stored| Ok((stored.id, stored.resolution()?)))
        .collect::<Result<_, CodecError>>()?;
    Ok(PipeCommitment { results, settlement: (!settlement.is_zero()).then_some(settlement) })
}

#[cfg(test)]
mod tests {
    use alloy_rlp::{Decodable, Encodable};
    use verigrad_inference::{ModelOutput, MultiDimensionalNumberTensor, Number};

    use super::*;

    fn output() -> ModelOutput {
        let tensor = MultiDimensionalNumberTensor::new("y", vec![Number::new(-42, 3)], vec![1, 1])
            .expect("valid");
        ModelOutput::numbers(vec![tensor])
    }

    fn signed(worker: u8) -> Signed {
        Signed {
            worker: Address::with_last_byte(worker),
            output_hash: B256::with_last_byte(worker),
            signature: Bytes::from(vec![worker; 65]),
        }
    }

    #[test]
    fn results_round_trip() {
        let failures = [
            PipeFailure::UnknownModel("nope".into()),
            PipeFailure::Malformed("shape".into()),
            PipeFailure::Failed("timeout".into()),
        ];
        let attested = Attestation::new(
            B256::with_last_byte(9),
            Address::with_last_byte(7),
            U256::from(10).pow(U256::from(18)),
            vec![signed(2), signed(1)],
        );
        let mut resolutions =
            vec![Ok(Answer::new(output(), 7)), Ok(Answer::attested(output(), 7, Some(attested)))];
        resolutions.extend(failures.into_iter().map(Err));
        for (i, resolution) in resolutions.iter().enumerate() {
            let stored = StoredResult::new(B256::with_last_byte(i as u8), resolution);
            let mut bytes = Vec::new();
            stored.encode(&mut bytes);
            let decoded = StoredResult::decode(&mut bytes.as_slice()).expect("valid");
            assert_eq!(&decoded.resolution().expect("valid"), resolution);
        }
    }

    #[test]
    fn corrupt_results_are_errors_not_panics() {
        let stored = StoredResult {
            id: B256::ZERO,
            answered: true,
            cost_units: 1,
            data: Bytes::from_static(b"junk"),
            release: B256::ZERO,
            settlement: Address::ZERO,
            price: U256::ZERO,
            signatures: Vec::new(),
        };
        assert!(matches!(stored.resolution(), Err(CodecError::Result { .. })));
        let failed = StoredResult { answered: false, ..stored };
        assert!(failed.resolution().is_err());
        assert!(StoredBlock::decode(&mut &b"\xc1\x80"[..]).is_err());
    }
}
