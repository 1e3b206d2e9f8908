//! Who may call: every MemSync request carries the EIP-712 signature of its namespace's owner (or a
//! delegate the owner registered on chain) over the method, the path, the body's hash, the sequence
//! number the caller expects, a nonce and a deadline. The signature travels in one header,
//! [`AUTH_HEADER`], as base64 JSON ([`RequestAuth`]).
//!
//! This module checks what the request itself proves: the signature is the signer's, over this request,
//! not expired and not too far ahead, and its nonce unspent ([`NonceLedger`]). Whether the signer may act
//! on the namespace is the chain's to say (the `MemoryRegistry`), checked by the caller of [`verify`].

use std::path::Path;

use alloy::{
    primitives::{Address, B256, Bytes, Signature, keccak256},
    signers::{SignerSync, local::PrivateKeySigner},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// The header that carries a request's [`RequestAuth`], base64 JSON.
pub const AUTH_HEADER: &str = "x-memsync-auth";
/// The longest a signed request may stay valid: a deadline further ahead is refused, so the nonce
/// ledger only has to remember this long.
pub const MAX_VALIDITY_SECS: u64 = 600;

sol! {
    /// What a namespace's owner signs to make one MemSync call.
    struct MemoryRequest {
        bytes32 namespace;
        string method;
        string path;
        bytes32 bodyHash;
        uint64 seq;
        uint64 nonce;
        uint64 deadline;
    }
}

/// A request's authorisation as it travels in [`AUTH_HEADER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAuth {
    /// The namespace acted on.
    pub namespace: B256,
    /// Who signed (the owner or a delegate).
    pub signer: Address,
    /// The namespace's sequence number the caller expects (a write on another is refused as stale).
    pub seq: u64,
    /// Unique per signer and namespace while the deadline lasts.
    pub nonce: u64,
    /// Unix seconds after which the request is refused.
    pub deadline: u64,
    /// 65 bytes, r ‖ s ‖ v, low s.
    pub signature: Bytes,
}

/// The request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: &'a str,
    /// The path and query as sent, e.g. `/v1/memories/search`.
    pub path: &'a str,
    /// The body's bytes (empty for none).
    pub body: &'a [u8],
}

/// Why a request's authorisation is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No [`AUTH_HEADER`].
    #[error("the {AUTH_HEADER} header is required: the namespace owner's EIP-712 signature")]
    Missing,
    /// The header does not decode.
    #[error("malformed {AUTH_HEADER} header: {0}")]
    Malformed(String),
    /// The deadline has passed.
    #[error("the request expired at {deadline} (now {now})")]
    Expired {
        /// The signed deadline.
        deadline: u64,
        /// The node's clock.
        now: u64,
    },
    /// The deadline is further ahead than [`MAX_VALIDITY_SECS`].
    #[error("the deadline {deadline} is more than {MAX_VALIDITY_SECS} s ahead (now {now})")]
    TooFarAhead {
        /// The signed deadline.
        deadline: u64,
        /// The node's clock.
        now: u64,
    },
    /// The signature is not a valid 65-byte low-s signature over this request.
    #[error("bad signature")]
    BadSignature,
    /// The signature is valid, but by someone else than the header names (or over another request).
    #[error("the signature is {recovered}'s over this request, not {claimed}'s")]
    WrongSigner {
        /// The header's signer.
        claimed: Address,
        /// Who signed what this request is.
        recovered: Address,
    },
    /// The nonce was already spent by this signer in this namespace.
    #[error("replayed request: nonce {0} was already used")]
    Replayed(u64),
    /// The nonce ledger failed.
    #[error("nonce ledger: {0}")]
    Ledger(#[from] redb::Error),
}

impl RequestAuth {
    /// Signs `call` on `namespace` at sequence number `seq` as `signer`, valid until `deadline`.
    pub fn sign(
        signer: &PrivateKeySigner,
        domain: &Eip712Domain,
        namespace: B256,
        seq: u64,
        nonce: u64,
        deadline: u64,
        call: Call<'_>,
    ) -> Result<Self, alloy::signers::Error> {
        let mut auth = Self {
            namespace,
            signer: signer.address(),
            seq,
            nonce,
            deadline,
            signature: Bytes::new(),
        };
        let signature = signer.sign_hash_sync(&auth.signing_hash(domain, call))?;
        auth.signature = Bytes::from(signature.as_bytes().to_vec());
        Ok(auth)
    }

    /// The EIP-712 hash signed for `call`.
    pub fn signing_hash(&self, domain: &Eip712Domain, call: Call<'_>) -> B256 {
        MemoryRequest {
            namespace: self.namespace,
            method: call.method.to_ascii_uppercase(),
            path: call.path.to_string(),
            bodyHash: keccak256(call.body),
            seq: self.seq,
            nonce: self.nonce,
            deadline: self.deadline,
        }
        .eip712_signing_hash(domain)
    }

    /// The header value: base64 of the JSON.
    pub fn to_header(&self) -> String {
        STANDARD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a header value.
    pub fn from_header(value: &str) -> Result<Self, AuthError> {
        let json =
            STANDARD.decode(value.trim()).map_err(|e| AuthError::Malformed(e.to_string()))?;
        serde_json::from_slice(&json).map_err(|e| AuthError::Malformed(e.to_string()))
    }
}

/// Checks that `auth` is its signer's signature over `call`, live at `now`. It does not spend the
/// nonce ([`NonceLedger::spend`]) nor ask the chain whether the signer may act on the namespace.
pub fn verify(
    auth: &RequestAuth,
    domain: &Eip712Domain,
    call: Call<'_>,
    now: u64,
) -> Result<(), AuthError> {
    if auth.deadline < now {
        return Err(AuthError::Expired { deadline: auth.deadline, now });
    }
    if auth.deadline > now + MAX_VALIDITY_SECS {
        return Err(AuthError::TooFarAhead { deadline: auth.deadline, now });
    }
    let signature = Signature::from_raw(&auth.signature).map_err(|_| AuthError::BadSignature)?;
    // A high-s signature is the malleable twin of a low-s one: refused, so one request has one form.
    if signature.normalize_s().is_some() {
        return Err(AuthError::BadSignature);
    }
    let recovered = signature
        .recover_address_from_prehash(&auth.signing_hash(domain, call))
        .map_err(|_| AuthError::BadSignature)?;
    if recovered != auth.signer {
        return Err(AuthError::WrongSigner { claimed: auth.signer, recovered });
    }
    Ok(())
}

/// (namespace ‖ signer ‖ nonce) → deadline.
const SPENT: TableDefinition<'_, &[u8], u64> = TableDefinition::new("spent_nonces");

/// The nonces spent, kept on disk until their deadline passes, so a request is served at most once —
/// across restarts too.
#[derive(Debug)]
pub struct NonceLedger {
    db: Database,
}

impl NonceLedger {
    /// Opens (or creates) the ledger file at `path`.
    pub fn open(path: &Path) -> Result<Self, AuthError> {
        let db = Database::create(path).map_err(redb::Error::from)?;
        Ok(Self { db })
    }

    /// Spends `auth`'s nonce, refusing one already spent; forgets nonces whose deadline passed before
    /// `now` (a request that old is refused as expired anyway).
    pub fn spend(&self, auth: &RequestAuth, now: u64) -> Result<(), AuthError> {
        let key =
            [auth.namespace.as_slice(), auth.signer.as_slice(), &auth.nonce.to_be_bytes()].concat();
        let tx = self.db.begin_write().map_err(redb::Error::from)?;
        {
            let mut table = tx.open_table(SPENT).map_err(redb::Error::from)?;
            if table.get(key.as_slice()).map_err(redb::Error::from)?.is_some() {
                return Err(AuthError::Replayed(auth.nonce));
            }
            table.insert(key.as_slice(), auth.deadline).map_err(redb::Error::from)?;
            table.retain(|_, deadline| deadline >= now).map_err(redb::Error::from)?;
        }
        tx.commit().map_err(redb::Error::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::U256;
    use verigrad_contracts::memory_domain as domain;

    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn call(body: &[u8]) -> Call<'_> {
        Call { method: "POST", path: "/v1/memories", body }
    }

    fn signed(signer: &PrivateKeySigner, nonce: u64, deadline: u64) -> RequestAuth {
        let domain = domain(31337, Address::repeat_byte(7));
        RequestAuth::sign(signer, &domain, B256::repeat_byte(1), 3, nonce, deadline, call(b"{}"))
            .expect("signs")
    }

    #[test]
    fn a_signed_request_verifies_and_survives_the_header() {
        let signer = PrivateKeySigner::random();
        let auth = signed(&signer, 1, NOW + 60);
        let back = RequestAuth::from_header(&auth.to_header()).expect("decodes");
        assert_eq!(back, auth);
        verify(&back, &domain(31337, Address::repeat_byte(7)), call(b"{}"), NOW).expect("valid");
    }

    #[test]
    fn another_body_path_chain_or_registry_is_another_request() {
        let signer = PrivateKeySigner::random();
        let auth = signed(&signer, 1, NOW + 60);
        let home = domain(31337, Address::repeat_byte(7));
        let elsewhere = [
            (home.clone(), call(br#"{"x":1}"#)),
            (home.clone(), Call { method: "DELETE", path: "/v1/memories", body: b"{}" }),
            (home, Call { method: "POST", path: "/v1/memories/search", body: b"{}" }),
            (domain(1, Address::repeat_byte(7)), call(b"{}")),
            (domain(31337, Address::repeat_byte(8)), call(b"{}")),
        ];
        for (domain, call) in elsewhere {
            let error = verify(&auth, &domain, call, NOW).expect_err("refused");
            assert!(
                matches!(error, AuthError::WrongSigner { claimed, .. } if claimed == signer.address())
            );
        }
    }

    #[test]
    fn expired_far_ahead_and_malformed_signatures_are_refused() {
        let signer = PrivateKeySigner::random();
        let home = domain(31337, Address::repeat_byte(7));
        let late = signed(&signer, 1, NOW - 1);
        assert!(matches!(verify(&late, &home, call(b"{}"), NOW), Err(AuthError::Expired { .. })));
        let ahead = signed(&signer, 1, NOW + MAX_VALIDITY_SECS + 1);
        assert!(matches!(
            verify(&ahead, &home, call(b"{}"), NOW),
            Err(AuthError::TooFarAhead { .. })
        ));
        let mut short = signed(&signer, 1, NOW + 60);
        short.signature = Bytes::from(vec![1; 64]);
        assert!(matches!(verify(&short, &home, call(b"{}"), NOW), Err(AuthError::BadSignature)));
        assert!(matches!(RequestAuth::from_header("not base64!"), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn the_high_s_twin_of_a_signature_is_refused() {
        let signer = PrivateKeySigner::random();
        let home = domain(31337, Address::repeat_byte(7));
        let mut auth = signed(&signer, 1, NOW + 60);
        let low = Signature::from_raw(&auth.signature).expect("65 bytes");
        let n = U256::from_be_slice(&alloy::primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let high = Signature::new(low.r(), n - low.s(), !low.v());
        auth.signature = Bytes::from(high.as_bytes().to_vec());
        assert!(matches!(verify(&auth, &home, call(b"{}"), NOW), Err(AuthError::BadSignature)));
    }

    #[test]
    fn a_nonce_is_spent_once_even_across_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nonces.redb");
        let signer = PrivateKeySigner::random();
        let auth = signed(&signer, 9, NOW + 60);
        NonceLedger::open(&path).expect("opens").spend(&auth, NOW).expect("first");
        let ledger = NonceLedger::open(&path).expect("reopens");
        assert!(matches!(ledger.spend(&auth, NOW), Err(AuthError::Replayed(9))));
        // Another signer's nonce 9 is its own.
        ledger
            .spend(&signed(&PrivateKeySigner::random(), 9, NOW + 60), NOW)
            .expect("another signer");
    }
}
