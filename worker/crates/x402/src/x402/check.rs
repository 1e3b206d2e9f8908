//! The checks of an `exact` EVM payment that need no chain: scheme, network, asset, signature,
//! payee, time window and amount — in the official facilitator's order, so the first failure gives
//! the same reason.

use alloy::primitives::{Address, U256};

use super::{Payment, PaymentRequirements, Reason, SCHEME, recover, signing_hash};

/// An authorization must stay valid this long past verification: time to execute and to settle.
pub const SETTLE_MARGIN_SECS: u64 = 6;

/// Checks `payment` against `requirements` on chain `chain_id` at unix time `now`; returns the payer.
pub fn check(
    payment: &Payment,
    requirements: &PaymentRequirements,
    chain_id: u64,
    now: u64,
) -> Result<Address, Reason> {
    if payment.scheme != SCHEME || requirements.scheme != SCHEME {
        return Err(Reason::UnsupportedScheme);
    }
    if payment.network != requirements.network {
        return Err(Reason::NetworkMismatch);
    }
    if payment.asset.is_some_and(|asset| asset != requirements.asset) {
        return Err(Reason::InvalidPaymentRequirements);
    }
    let domain = requirements.extra.as_ref().ok_or(Reason::InvalidPaymentRequirements)?;
    let auth = &payment.exact.authorization;
    let hash = signing_hash(domain, chain_id, requirements.asset, auth);
    if recover(hash, &payment.exact.signature)? != auth.from {
        return Err(Reason::InvalidSignature);
    }
    if auth.to != requirements.pay_to {
        return Err(Reason::RecipientMismatch);
    }
    if auth.valid_before < U256::from(now + SETTLE_MARGIN_SECS) {
        return Err(Reason::Expired);
    }
    // The Token wants `block.timestamp > validAfter`; the next block may carry `now` itself.
    if auth.valid_after >= U256::from(now) {
        return Err(Reason::NotYetValid);
    }
    if auth.value != requirements.amount {
        return Err(Reason::ValueMismatch);
    }
    Ok(auth.from)
}

#[cfg(test)]
mod tests {
    use alloy::signers::local::PrivateKeySigner;

    use super::*;
    use crate::x402::{Authorization, DomainInfo, authorize, encode_header, sign};

    const NOW: u64 = 1_700_000_000;
    const CHAIN: u64 = 31337;

    fn requirements() -> PaymentRequirements {
        PaymentRequirements {
            scheme: SCHEME.into(),
            network: crate::x402::network(CHAIN),
            amount: U256::from(5000),
            asset: Address::repeat_byte(0xAA),
            pay_to: Address::repeat_byte(0xBB),
            max_timeout_seconds: 60,
            extra: Some(DomainInfo { name: "Verigrad".into(), version: "1".into() }),
        }
    }

    fn payer() -> PrivateKeySigner {
        // anvil's development key 3: a public test key.
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6".parse().expect("key")
    }

    /// A v2 payment of `signed` for `accepted`.
    fn payment(accepted: &PaymentRequirements, signed: &crate::x402::ExactEvmPayload) -> Payment {
        let json = serde_json::json!({ "x402Version": 2, "accepted": accepted, "payload": signed });
        Payment::from_header(&encode_header(&json)).expect("well formed")
    }

    /// Re-signs the honest authorization after `change`.
    fn tampered(change: impl FnOnce(&mut Authorization)) -> Payment {
        let good = authorize(&payer(), &requirements(), CHAIN, NOW).expect("signs");
        let mut auth = good.authorization;
        change(&mut auth);
        payment(&requirements(), &sign(&payer(), &requirements(), CHAIN, auth).expect("signs"))
    }

    #[test]
    fn each_bad_payment_gets_its_reason() {
        let offer = requirements();
        let honest = payment(&offer, &authorize(&payer(), &offer, CHAIN, NOW).expect("signs"));
        assert_eq!(check(&honest, &offer, CHAIN, NOW), Ok(payer().address()));

        let mut forged = honest.clone();
        forged.exact.authorization.value += U256::from(1);
        let mut other_network = honest.clone();
        other_network.network = "eip155:1".into();
        let mut other_asset = honest.clone();
        other_asset.asset = Some(Address::repeat_byte(0xCC));
        let mut other_scheme = honest.clone();
        other_scheme.scheme = "upto".into();
        let wrong_key: PrivateKeySigner = PrivateKeySigner::random();
        let mut impostor = honest.clone();
        impostor.exact =
            sign(&wrong_key, &offer, CHAIN, honest.exact.authorization).expect("signs");

        let cases = [
            ("changed after signing", forged, Reason::InvalidSignature),
            ("signed by someone else", impostor, Reason::InvalidSignature),
            ("other network", other_network, Reason::NetworkMismatch),
            ("other asset", other_asset, Reason::InvalidPaymentRequirements),
            ("other scheme", other_scheme, Reason::UnsupportedScheme),
            (
                "pays someone else",
                tampered(|a| a.to = Address::repeat_byte(1)),
                Reason::RecipientMismatch,
            ),
            ("short", tampered(|a| a.value -= U256::from(1)), Reason::ValueMismatch),
            ("over", tampered(|a| a.value += U256::from(1)), Reason::ValueMismatch),
            ("expired", tampered(|a| a.valid_before = U256::from(NOW - 1)), Reason::Expired),
            (
                "expires too soon",
                tampered(|a| a.valid_before = U256::from(NOW + 2)),
                Reason::Expired,
            ),
            (
                "not yet valid",
                tampered(|a| a.valid_after = U256::from(NOW + 30)),
                Reason::NotYetValid,
            ),
        ];
        for (name, payment, reason) in cases {
            assert_eq!(check(&payment, &offer, CHAIN, NOW), Err(reason), "{name}");
        }
    }
}
