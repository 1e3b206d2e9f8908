//! Recency among alike memories, at query time. The write path supersedes a changed fact when it
//! recognises the change; when it does not ("User is keto now" after "User has been vegetarian for
//! years"), both stay current and the older may be nearer the question. A question about a fact asks
//! for its latest value, so an older memory that shares a category with a newer current one, and is
//! no more than [`NEWER_ALIKE_MARGIN`] nearer the query, ranks just behind it. Only the order among
//! candidates changes: nothing is hidden.
//!
//! When the write path did recognise the change, the order is certain: a superseded memory never
//! ranks above the memory that replaced it, followed to the end of the chain ([`after_successor`]):
//! the replacement is the fact's current value, and the old one follows it as its history.

/// How much nearer (cosine distance) an older memory must be than a newer current one of a shared
/// category to keep its place ahead of it. Chosen on the MemSync evaluation (performance.md).
pub const NEWER_ALIKE_MARGIN: f32 = 0.1;

/// A ranked candidate, as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a, C> {
    /// Its distance to the query, lower first (penalties included).
    pub distance: f32,
    /// Its categories.
    pub categories: &'a [C],
    /// When it became valid (creation order serves).
    pub since: u64,
    /// Whether it is current.
    pub current: bool,
}

/// The distance a superseded memory ranks by: its own (history penalty included), or just behind
/// the distance its successor ranks by when that is farther, so that it never ranks above the memory
/// that replaced it. Applied from the end of a chain of replacements backwards, each memory of the
/// chain ranks behind every later one.
pub fn after_successor(distance: f32, successor: f32) -> f32 {
    distance.max(just_behind(successor))
}

/// The smallest step behind a distance that still orders after it.
pub(crate) fn just_behind(distance: f32) -> f32 {
    distance + f32::EPSILON.max(distance.abs() * 1e-6)
}

/// The candidates' distances with the rule applied: each older candidate that shares a category
/// with newer current ones within `margin` moves to just behind them.
pub fn prefer_newer<C: PartialEq>(candidates: &[Candidate<'_, C>], margin: f32) -> Vec<f32> {
    candidates
        .iter()
        .map(|older| {
            candidates
                .iter()
                .filter(|newer| {
                    newer.current
                        && newer.since > older.since
                        && newer.distance <= older.distance + margin
                        && newer.categories.iter().any(|c| older.categories.contains(c))
                })
                .map(|newer| just_behind(newer.distance))
                .fold(older.distance, f32::max)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(distance: f32, categories: &[&'static str], since: u64) -> (f32, Vec<&'static str>, u64) {
        (distance, categories.to_vec(), since)
    }

    fn adjusted(items: &[(f32, Vec<&'static str>, u64)]) -> Vec<f32> {
        let candidates: Vec<_> = items
            .iter()
            .map(|(distance, categories, since)| Candidate {
                distance: *distance,
                categories,
                since: *since,
                current: true,
            })
            .collect();
        prefer_newer(&candidates, NEWER_ALIKE_MARGIN)
    }

    #[test]
    fn an_older_alike_memory_ranks_just_behind_the_newer_one() {
        let items = [at(0.30, &["diet"], 1), at(0.35, &["diet"], 2), at(0.32, &["work"], 3)];
        let d = adjusted(&items);
        assert!(d[0] > d[1], "the vegetarian memory now follows the keto one: {d:?}");
        assert!(d[0] < d[1] + 1e-3, "just behind: {d:?}");
        assert_eq!((d[1], d[2]), (0.35, 0.32), "the others keep their distances");
    }

    #[test]
    fn a_superseded_memory_ranks_behind_its_successor() {
        let cases = [
            ("nearer than its successor: just behind it", 0.30, 0.55, 0.55, false),
            ("farther already: keeps its distance", 0.70, 0.55, 0.70, true),
        ];
        for (name, old, successor, at_least, exact) in cases {
            let ranked = after_successor(old, successor);
            assert!(ranked > successor, "{name}: {ranked}");
            assert!(ranked >= at_least && ranked < at_least + 1e-3, "{name}: {ranked}");
            assert_eq!(ranked == old, exact, "{name}");
        }
        // A chain: vegetarian → vegan → keto, the oldest nearest the question.
        let (keto, vegan, vegetarian) = (0.6, 0.4, 0.2);
        let vegan = after_successor(vegan, keto);
        let vegetarian = after_successor(vegetarian, vegan);
        assert!(keto < vegan && vegan < vegetarian, "{keto} {vegan} {vegetarian}");
    }

    #[test]
    fn far_apart_other_topics_and_newer_history_change_nothing() {
        let items = [at(0.20, &["diet"], 1), at(0.35, &["diet"], 2), at(0.25, &["home"], 3)];
        assert_eq!(adjusted(&items), vec![0.20, 0.35, 0.25], "0.15 apart is beyond the margin");
        let history = [
            Candidate { distance: 0.3, categories: &["diet"][..], since: 1, current: true },
            Candidate { distance: 0.32, categories: &["diet"][..], since: 2, current: false },
        ];
        assert_eq!(prefer_newer(&history, NEWER_ALIKE_MARGIN), vec![0.3, 0.32]);
    }
}
