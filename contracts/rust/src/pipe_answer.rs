//! A worker's signed PIPE answer: the EIP-712 statement "running release R on request Q gave the
//! output whose hash is H", in the domain of the chain's PipeSettlement contract, which verifies it
//! on chain when the answer is disputed.

use alloy::{
    primitives::{Address, B256, Signature},
    signers::{SignerSync, local::PrivateKeySigner},
    sol,
    sol_types::{Eip712Domain, SolStruct, eip712_domain},
};

sol! {
    /// What a worker signs for each PIPE request it answers.
    #[derive(Debug, PartialEq, Eq)]
    struct PipeAnswer {
        /// `keccak256(abi.encode(mode, modelCID, input))`: the request's id.
        bytes32 requestId;
        /// The release (package id) run.
        bytes32 releaseId;
        /// keccak-256 of the output's canonical encoding.
        bytes32 outputHash;
    }
}

/// Why a signed answer does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerSignatureError {
    /// Not 65 bytes of a valid secp256k1 signature.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// It recovers to another address than the one claimed.
    #[error("signature recovers to {recovered}, not the claimed signer {claimed}")]
    WrongSigner {
        /// Who the answer said signed.
        claimed: Address,
        /// Who did.
        recovered: Address,
    },
}

/// The EIP-712 domain of PIPE answers on `chain_id`, verified by the PipeSettlement at `settlement`.
pub fn pipe_domain(chain_id: u64, settlement: Address) -> Eip712Domain {
    eip712_domain! {
        name: "verigrad PIPE",
        version: "1",
        chain_id: chain_id,
        verifying_contract: settlement,
    }
}

impl PipeAnswer {
    /// The digest a worker signs.
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.eip712_signing_hash(domain)
    }

    /// Signs the answer with `signer` (65 bytes, `r ‖ s ‖ v`).
    pub fn sign(
        &self,
        domain: &Eip712Domain,
        signer: &PrivateKeySigner,
    ) -> Result<Vec<u8>, AnswerSignatureError> {
        let signature = signer
            .sign_hash_sync(&self.digest(domain))
            .map_err(|e| AnswerSignatureError::Malformed(e.to_string()))?;
        Ok(signature.as_bytes().to_vec())
    }

    /// Checks that `signature` over the answer is `claimed`'s.
    pub fn verify(
        &self,
        domain: &Eip712Domain,
        claimed: Address,
        signature: &[u8],
    ) -> Result<(), AnswerSignatureError> {
        let signature = Signature::try_from(signature)
            .map_err(|e| AnswerSignatureError::Malformed(e.to_string()))?;
        let recovered = signature
            .recover_address_from_prehash(&self.digest(domain))
            .map_err(|e| AnswerSignatureError::Malformed(e.to_string()))?;
        if recovered != claimed {
            return Err(AnswerSignatureError::WrongSigner { claimed, recovered });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256, keccak256};

    use super::*;

    fn answer() -> PipeAnswer {
        PipeAnswer {
            requestId: b256!("20f206d6f1de74379b859f0e19ee17fe09ea9ea4fcf38d7facbee39f0c0a7f6e"),
            releaseId: keccak256("verigrad/risk"),
            outputHash: keccak256("output"),
        }
    }

    #[test]
    fn a_signature_verifies_for_its_signer_only() {
        let domain = pipe_domain(31338, address!("00000000000000000000000000000000000000aa"));
        let signer = PrivateKeySigner::random();
        let signature = answer().sign(&domain, &signer).expect("signs");
        assert_eq!(answer().verify(&domain, signer.address(), &signature), Ok(()));

        let other = PrivateKeySigner::random().address();
        assert!(matches!(
            answer().verify(&domain, other, &signature),
            Err(AnswerSignatureError::WrongSigner { .. })
        ));
        let changed = PipeAnswer { outputHash: keccak256("other output"), ..answer() };
        assert!(changed.verify(&domain, signer.address(), &signature).is_err());
        let elsewhere = pipe_domain(1, address!("00000000000000000000000000000000000000aa"));
        assert!(answer().verify(&elsewhere, signer.address(), &signature).is_err());
        assert!(matches!(
            answer().verify(&domain, signer.address(), &signature[..64]),
            Err(AnswerSignatureError::Malformed(_))
        ));
    }

    /// The vector `test/pipe/PipeAnswers.t.sol` pins: the same digest, and anvil's first development
    /// key signs it to the same bytes (RFC 6979), so an answer signed here verifies on chain.
    #[test]
    fn the_digest_and_signature_match_the_solidity_vector() {
        let domain = pipe_domain(31338, address!("00000000000000000000000000000000005e771E"));
        assert_eq!(
            answer().digest(&domain),
            b256!("485182772224246108de4809690357cd287a79e5005d54108e93d6e9de15abfc")
        );
        let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let signer: PrivateKeySigner = key.parse().expect("dev key");
        let signature = answer().sign(&domain, &signer).expect("signs");
        assert_eq!(
            alloy::primitives::hex::encode(signature),
            "ea87066bd7b25c84e5eafcd987c195ac885afa226b31ac7fa3cd7a0057bd3d721a6c2739feaa80955fe65ab3f0690f99af77dc7546fcb4b7b3023097ef0eb2331b"
        );
    }
}
