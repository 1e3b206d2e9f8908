//! The namespace tree: leaves sorted ascending, pairs hashed as `keccak256(min ‖ max)` (OpenZeppelin's
//! commutative hash, so `MerkleProof.verify` checks our proofs), an odd last node carried up unhashed,
//! and the zero hash for no leaves.

use alloy_primitives::{B256, keccak256};

/// OpenZeppelin's `Hashes.commutativeKeccak256`: the pair in ascending order, so a proof needs no
/// left/right flags.
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// The root over `leaves` in any order; [`B256::ZERO`] for none.
pub fn root(leaves: &[B256]) -> B256 {
    let mut level = sorted(leaves);
    if level.is_empty() {
        return B256::ZERO;
    }
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

/// The siblings that lead from `leaf` to the root over `leaves` (any order), or `None` if `leaf` is
/// not among them. A node without a sibling (odd, carried up) adds nothing to the proof.
pub fn proof(leaves: &[B256], leaf: B256) -> Option<Vec<B256>> {
    let mut level = sorted(leaves);
    let mut index = level.binary_search(&leaf).ok()?;
    let mut siblings = Vec::new();
    while level.len() > 1 {
        if let Some(sibling) = level.get(index ^ 1) {
            siblings.push(*sibling);
        }
        level = next_level(&level);
        index /= 2;
    }
    Some(siblings)
}

/// Whether `proof` leads from `leaf` to `root` (OpenZeppelin's `MerkleProof.verify`).
pub fn verify(root: B256, leaf: B256, proof: &[B256]) -> bool {
    proof.iter().fold(leaf, |node, sibling| hash_pair(node, *sibling)) == root
}

fn sorted(leaves: &[B256]) -> Vec<B256> {
    let mut level = leaves.to_vec();
    level.sort_unstable();
    level
}

fn next_level(level: &[B256]) -> Vec<B256> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => hash_pair(*a, *b),
            [odd] => *odd,
            _ => unreachable!("chunks(2) yields one or two"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn leaves(seeds: &[u64]) -> Vec<B256> {
        seeds.iter().map(|s| keccak256(s.to_be_bytes())).collect()
    }

    #[test]
    fn small_trees() {
        assert_eq!(root(&[]), B256::ZERO);
        let [a, b, c] = leaves(&[1, 2, 3])[..] else { unreachable!() };
        assert_eq!(root(&[a]), a);
        assert_eq!(proof(&[a], a), Some(vec![]));
        assert_eq!(root(&[a, b]), hash_pair(a, b));
        assert_eq!(root(&[b, a]), root(&[a, b]), "order given does not matter");
        let mut s = [a, b, c];
        s.sort();
        assert_eq!(root(&[c, a, b]), hash_pair(hash_pair(s[0], s[1]), s[2]), "odd carried up");
        assert_eq!(proof(&[a, b, c], s[2]), Some(vec![hash_pair(s[0], s[1])]));
        assert_eq!(proof(&[a, b], c), None);
    }

    proptest! {
        #[test]
        fn every_proof_verifies(seeds in prop::collection::btree_set(any::<u64>(), 1..40)) {
            let seeds: Vec<u64> = seeds.into_iter().collect();
            let leaves = leaves(&seeds);
            let root = root(&leaves);
            for leaf in &leaves {
                let proof = proof(&leaves, *leaf).expect("present");
                prop_assert!(verify(root, *leaf, &proof));
                // A changed leaf does not verify with the same proof.
                let changed = keccak256(leaf);
                prop_assert!(!verify(root, changed, &proof));
            }
        }

        #[test]
        fn foreign_siblings_fail(
            seeds in prop::collection::btree_set(any::<u64>(), 2..30),
            other in prop::collection::btree_set(any::<u64>(), 2..30),
        ) {
            let mine = leaves(&seeds.iter().copied().collect::<Vec<_>>());
            let theirs: Vec<B256> =
                other.iter().map(|s| keccak256([s.to_be_bytes(), [0xff; 8]].concat())).collect();
            let root = root(&mine);
            let their_proof = proof(&theirs, theirs[0]).expect("present");
            let mut my_proof = proof(&mine, mine[0]).expect("present");
            prop_assert!(!verify(root, theirs[0], &their_proof), "their leaf, their proof");
            if let (Some(sibling), Some(foreign)) = (my_proof.first_mut(), their_proof.first()) {
                *sibling = *foreign;
                prop_assert!(!verify(root, mine[0], &my_proof), "a sibling from another tree");
            }
        }

        /// Absence after a delete: the remaining leaves hash to the new root and do not hold the
        /// deleted one, and the old leaf's proof no longer verifies.
        #[test]
        fn absence_by_leaf_list(seeds in prop::collection::btree_set(any::<u64>(), 2..30), pick in any::<prop::sample::Index>()) {
            let all = leaves(&seeds.into_iter().collect::<Vec<_>>());
            let gone = all[pick.index(all.len())];
            let old_proof = proof(&all, gone).expect("present");
            let rest: Vec<B256> = all.iter().copied().filter(|l| *l != gone).collect();
            let new_root = root(&rest);
            prop_assert!(!rest.contains(&gone));
            prop_assert!(!verify(new_root, gone, &old_proof));
            prop_assert_ne!(new_root, root(&all));
        }
    }
}
