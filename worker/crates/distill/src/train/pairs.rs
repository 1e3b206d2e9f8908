//! Labelled pairs of facts for the slot-pair model: a kept memory and a newer fact about the same
//! person, and what the newer one does to the memory. Drawn from the families of [`super::corpus`],
//! both clauses of a pair from the same [`Split`], so held-out pairs are made only of templates
//! training never saw.

use verigrad_inference::training::data::Rng;

use super::corpus::{FACTS, Family, Split, fact, noise, slot_key, value};
use crate::{Slot, fill::pick};

/// What a newer fact does to a kept memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The same single-valued slot with the same value: a restatement.
    Reinforce,
    /// The same single-valued slot with another value: the memory becomes history.
    Supersede,
    /// Anything else: both are kept.
    Unrelated,
}

impl Relation {
    /// Whether the two facts fill one single-valued slot (what the model predicts).
    pub fn same_slot(self) -> bool {
        self != Self::Unrelated
    }
}

/// A labelled pair of clauses, as the user wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The clause behind the kept memory.
    pub old: String,
    /// The newer clause.
    pub new: String,
    /// What the newer one does to the memory.
    pub relation: Relation,
}

/// `n` pairs from `seed` and `split`'s templates: two in five fill one slot (three in eight of those
/// with the same value), one in five two different slots (an employer and a job title), one in four a
/// slot and a many-valued fact or a passing remark (half of the facts from the slot's own category,
/// sharing its value where the template has it: "I call Paris home" and "my mother lives in Paris"),
/// and the rest two facts or remarks that fill no slot (two hobbies, two pets).
pub fn pairs(seed: u64, n: usize, split: Split) -> Vec<Pair> {
    let mut rng = Rng::new(seed);
    let slotted: Vec<(Slot, &Family)> = FACTS.iter().filter_map(|f| f.1.map(|s| (s, f))).collect();
    let unslotted: Vec<&Family> = FACTS.iter().filter(|f| f.1.is_none()).collect();
    (0..n)
        .map(|i| {
            let rng = &mut rng;
            match i % 20 {
                0..8 => {
                    let (slot, family) = *pick(rng, &slotted);
                    let key = slot_key(slot);
                    let first = value(rng, key, None);
                    let same = rng.uniform() < 0.375;
                    let second = if same { first.clone() } else { value(rng, key, Some(&first)) };
                    Pair {
                        old: fact(rng, family, split, Some((key, &first))),
                        new: fact(rng, family, split, Some((key, &second))),
                        relation: if same { Relation::Reinforce } else { Relation::Supersede },
                    }
                }
                8..12 => {
                    let a = *pick(rng, &slotted);
                    let b = loop {
                        let b = *pick(rng, &slotted);
                        if b.0 != a.0 {
                            break b;
                        }
                    };
                    unrelated(slotted_fact(rng, a, split).0, slotted_fact(rng, b, split).0, rng)
                }
                12..17 => {
                    let (slot, family) = *pick(rng, &slotted);
                    let (clause, key, v) = slotted_fact(rng, (slot, family), split);
                    let other = if rng.uniform() < 1.0 / 3.0 {
                        noise(rng, split)
                    } else {
                        let kin: Vec<&Family> =
                            unslotted.iter().copied().filter(|f| f.0 == family.0).collect();
                        let pool =
                            if kin.is_empty() || rng.uniform() < 0.5 { &unslotted } else { &kin };
                        let family = *pick(rng, pool);
                        fact(rng, family, split, Some((key, &v)))
                    };
                    unrelated(clause, other, rng)
                }
                _ => {
                    let clause = |rng: &mut Rng| {
                        if rng.uniform() < 0.25 {
                            noise(rng, split)
                        } else {
                            let family = *pick(rng, &unslotted);
                            fact(rng, family, split, None)
                        }
                    };
                    let (a, b) = (clause(rng), clause(rng));
                    unrelated(a, b, rng)
                }
            }
        })
        .collect()
}

/// A fact of a slot family, the key of its value and the value.
fn slotted_fact(
    rng: &mut Rng,
    (slot, family): (Slot, &Family),
    split: Split,
) -> (String, &'static str, String) {
    let key = slot_key(slot);
    let v = value(rng, key, None);
    (fact(rng, family, split, Some((key, &v))), key, v)
}

/// An unrelated pair in a random order.
fn unrelated(a: String, b: String, rng: &mut Rng) -> Pair {
    let (old, new) = if rng.next_u64().is_multiple_of(2) { (a, b) } else { (b, a) };
    Pair { old, new, relation: Relation::Unrelated }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_seeded_and_mixed() {
        let a = pairs(3, 200, Split::Train);
        assert_eq!(a, pairs(3, 200, Split::Train));
        let count = |r: Relation| a.iter().filter(|p| p.relation == r).count();
        assert_eq!(count(Relation::Reinforce) + count(Relation::Supersede), 80);
        assert!(count(Relation::Reinforce) > 10 && count(Relation::Supersede) > 30);
        assert!(a.iter().all(|p| !p.old.contains('{') && !p.new.contains('{')));
    }
}
