//! EIP-3009 authorizations under EIP-712: the payer signs, the facilitator recovers.

use alloy::{
    primitives::{Address, B256, Signature, U256},
    signers::{SignerSync, local::PrivateKeySigner},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};

use super::{Authorization, DomainInfo, ExactEvmPayload, PaymentRequirements, Reason};

sol! {
    /// The EIP-3009 message (the Token's `TRANSFER_WITH_AUTHORIZATION_TYPEHASH`).
    struct TransferWithAuthorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
    }
}

/// The EIP-712 hash the payer signs: the asset's domain on `chain_id`, over `auth`.
pub fn signing_hash(
    domain: &DomainInfo,
    chain_id: u64,
    asset: Address,
    auth: &Authorization,
) -> B256 {
    let domain = Eip712Domain::new(
        Some(domain.name.clone().into()),
        Some(domain.version.clone().into()),
        Some(U256::from(chain_id)),
        Some(asset),
        None,
    );
    let message = TransferWithAuthorization {
        from: auth.from,
        to: auth.to,
        value: auth.value,
        validAfter: auth.valid_after,
        validBefore: auth.valid_before,
        nonce: auth.nonce,
    };
    message.eip712_signing_hash(&domain)
}

/// The signer of `hash`, refusing what the Token refuses: anything but 65 bytes, and high-s
/// (malleable) signatures.
pub fn recover(hash: B256, signature: &[u8]) -> Result<Address, Reason> {
    let signature = Signature::from_raw(signature).map_err(|_| Reason::InvalidSignature)?;
    if signature.normalize_s().is_some() {
        return Err(Reason::InvalidSignature);
    }
    signature.recover_address_from_prehash(&hash).map_err(|_| Reason::InvalidSignature)
}

/// Signs an authorization paying `requirements` from `signer`, valid from now (`now` unix seconds)
/// for the requirements' timeout, with a fresh random nonce.
pub fn authorize(
    signer: &PrivateKeySigner,
    requirements: &PaymentRequirements,
    chain_id: u64,
    now: u64,
) -> Result<ExactEvmPayload, Reason> {
    let authorization = Authorization {
        from: signer.address(),
        to: requirements.pay_to,
        value: requirements.amount,
        valid_after: U256::ZERO,
        valid_before: U256::from(now + requirements.max_timeout_seconds),
        nonce: B256::random(),
    };
    sign(signer, requirements, chain_id, authorization)
}

/// Signs `authorization` under the domain `requirements` name.
pub fn sign(
    signer: &PrivateKeySigner,
    requirements: &PaymentRequirements,
    chain_id: u64,
    authorization: Authorization,
) -> Result<ExactEvmPayload, Reason> {
    let domain = requirements.extra.as_ref().ok_or(Reason::InvalidPaymentRequirements)?;
    let hash = signing_hash(domain, chain_id, requirements.asset, &authorization);
    let signature = signer.sign_hash_sync(&hash).map_err(|_| Reason::InvalidSignature)?;
    Ok(ExactEvmPayload { signature: signature.as_bytes().into(), authorization })
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256, keccak256};

    use super::*;

    /// The message type hash equals the Token's `TRANSFER_WITH_AUTHORIZATION_TYPEHASH`.
    #[test]
    fn type_hash_matches_the_token() {
        let expected = keccak256(
            "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)",
        );
        let message = TransferWithAuthorization {
            from: Address::ZERO,
            to: Address::ZERO,
            value: U256::ZERO,
            validAfter: U256::ZERO,
            validBefore: U256::ZERO,
            nonce: B256::ZERO,
        };
        assert_eq!(message.eip712_type_hash(), expected);
    }

    #[test]
    fn signatures_recover_to_the_payer_only() {
        // anvil's development key 2: a public test key.
        let signer: PrivateKeySigner =
            "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
                .parse()
                .expect("key");
        let requirements = PaymentRequirements {
            scheme: "exact".into(),
            network: "eip155:31337".into(),
            amount: U256::from(1000),
            asset: address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            pay_to: Address::repeat_byte(7),
            max_timeout_seconds: 60,
            extra: Some(DomainInfo { name: "Verigrad".into(), version: "1".into() }),
        };
        let paid = authorize(&signer, &requirements, 31337, 1_700_000_000).expect("signs");
        let domain = requirements.extra.as_ref().expect("domain");
        let hash = signing_hash(domain, 31337, requirements.asset, &paid.authorization);
        assert_eq!(recover(hash, &paid.signature), Ok(signer.address()));

        let other_chain = signing_hash(domain, 1, requirements.asset, &paid.authorization);
        assert_ne!(recover(other_chain, &paid.signature), Ok(signer.address()));
        assert_eq!(recover(hash, &paid.signature[..64]), Err(Reason::InvalidSignature));
        let fixed = b256!("0x0000000000000000000000000000000000000000000000000000000000000001");
        assert_ne!(recover(fixed, &paid.signature), Ok(signer.address()));
    }
}
