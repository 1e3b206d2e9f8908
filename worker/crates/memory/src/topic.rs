//! Recency by the question's topic, at query time. The write path supersedes a changed fact only
//! when it recognises the change, and on wordings it never saw it misses about half ("User went
//! pescatarian recently" after "User eats a keto diet"): both stay current, and the older one may be
//! much nearer the question. A question about a single-valued fact ("What diet does the user follow
//! now?") is generic — no value, few words — so it sits clearly nearer one topic's one-line
//! description than any other's. When it does, the hits placed in that topic are its values, and
//! the newest one is the answer: the group moves to the topic's place in the ranking, newest first,
//! by recency alone. A replacement is newer than what it replaced, so history still follows its
//! successor within the topic; a value superseded by a memory the topic does not count (a mistake
//! of the write path) may come before that memory here, where the question asks for the topic.
//!
//! Only the order among candidates changes: nothing is hidden, and the old values follow the new
//! one, where a question about the past still finds them. That is why weaker evidence than the write
//! path's supersede decision suffices: a memory counts as the topic's when the topic's description
//! is its nearest (the core), or nearly its nearest and it shares a category with the core's most
//! typical member (values worded far from the description, "User accepted an offer from Initech
//! recently").

use serde::{Deserialize, Serialize};

use crate::{Candidate, index::dot, recency::just_behind};

/// The single-valued topics a search resolves by recency: one unit-length embedding of a
/// description per topic (e.g. "the user's diet, such as paleo, halal …"), how confidently a query
/// must be placed in one, and how loosely a memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topics {
    /// The descriptions' embeddings, unit length.
    pub anchors: Vec<Vec<f32>>,
    /// The least cosine of a query to its topic's description.
    pub floor: f32,
    /// How much nearer (cosine) a query must be to its topic's description than to any other.
    pub margin: f32,
    /// How much farther (cosine) than its nearest description a memory that shares a category with
    /// the topic's most typical core member may be from the topic's description and still count as
    /// one of its values.
    pub member_margin: f32,
    /// The fewest nearest memories a question about a topic considers: its new value may be worded
    /// far from the question, beyond the few hits asked for.
    pub candidates: usize,
}

impl Topics {
    /// The topic a query asks about, if it is placed confidently: its nearest description at a
    /// cosine of at least `floor`, `margin` ahead of the next.
    pub fn of_query(&self, query: &[f32]) -> Option<usize> {
        let mut cosines: Vec<(usize, f32)> =
            self.anchors.iter().map(|a| dot(a, query)).enumerate().collect();
        cosines.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (&(topic, best), next) = (cosines.first()?, cosines.get(1).map_or(-1.0, |c| c.1));
        (best >= self.floor && best - next >= self.margin).then_some(topic)
    }

    /// How many nearest memories a search for `k` hits should consider for `query`: at least
    /// `candidates` when the query is about a topic.
    pub fn pool(&self, query: &[f32], k: usize) -> usize {
        if self.of_query(query).is_some() { k.max(self.candidates) } else { k }
    }

    /// `ranked` (the candidates' distances as ranked so far, in the order of `candidates`, whose
    /// unit-length embeddings are `embeddings`) with the values of the query's topic regrouped: the
    /// newest at the topic's place (the best distance of a memory within `member_margin` of the
    /// topic, whatever its category), then the others, newest first, each just behind the one
    /// before, current or superseded alike. The others keep their distances; a query placed in no
    /// topic changes nothing.
    pub fn newest_first<C: PartialEq>(
        &self,
        query: &[f32],
        candidates: &[Candidate<'_, C>],
        embeddings: &[&[f32]],
        ranked: &[f32],
    ) -> Vec<f32> {
        let mut out = ranked.to_vec();
        let Some(topic) = self.of_query(query) else { return out };
        // How much farther each candidate is from the topic's description than from its nearest.
        let behind: Vec<f32> = embeddings
            .iter()
            .map(|e| {
                let cosines: Vec<f32> = self.anchors.iter().map(|a| dot(a, e)).collect();
                cosines.iter().copied().fold(f32::NEG_INFINITY, f32::max) - cosines[topic]
            })
            .collect();
        // The categories of the core's most typical member, the one nearest the description: a
        // union over the core would let in whatever an unrelated core member (a pet near the
        // partner's description) is filed under.
        let typical = (0..candidates.len()).filter(|&i| behind[i] <= 0.0).max_by(|&a, &b| {
            let near = |i: usize| dot(&self.anchors[topic], embeddings[i]);
            near(a).total_cmp(&near(b))
        });
        let core: &[C] = typical.map_or(&[], |i| candidates[i].categories);
        let mut group: Vec<usize> = (0..candidates.len())
            .filter(|&i| {
                behind[i] <= 0.0
                    || (behind[i] <= self.member_margin
                        && candidates[i].categories.iter().any(|c| core.contains(c)))
            })
            .collect();
        if group.is_empty() {
            return out;
        }
        // The topic's place: its best-ranked loosely placed memory, of any category.
        let front = (0..candidates.len())
            .filter(|&i| behind[i] <= self.member_margin)
            .map(|i| ranked[i])
            .fold(f32::INFINITY, f32::min);
        // Newest first, current or not: a replacement is newer than what it replaced, so among
        // the topic's values history still follows its successor; a value superseded by a memory
        // outside the topic was most likely superseded by mistake ("User works at Initech now" by
        // "User is with Ines now"), and is still the topic's latest.
        // Within one second (a session's facts share their timestamp), the current value first.
        group.sort_by(|&a, &b| {
            let (a, b) = (&candidates[a], &candidates[b]);
            b.since.cmp(&a.since).then(b.current.cmp(&a.current))
        });
        let mut at = front;
        for i in group {
            out[i] = at;
            at = just_behind(at);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three topics along the first three axes: diet, employer, home.
    fn topics() -> Topics {
        let axis = |i: usize| (0..4).map(|j| if i == j { 1.0 } else { 0.0 }).collect();
        Topics {
            anchors: vec![axis(0), axis(1), axis(2)],
            floor: 0.35,
            margin: 0.05,
            member_margin: 0.1,
            candidates: 8,
        }
    }

    fn candidate<'a>(
        distance: f32,
        categories: &'a [&'static str],
        since: u64,
    ) -> Candidate<'a, &'static str> {
        Candidate { distance, categories, since, current: true }
    }

    #[test]
    fn a_question_about_a_topic_ranks_its_newest_value_first() {
        let topics = topics();
        let (preferences, health, career) =
            (&["preferences"][..], &["health"][..], &["career"][..]);
        // Keto: placed in diet, nearest the question. Pescatarian, newer: nearer the employer's
        // description, but within the margin of diet's, and of keto's category. The allergy: as
        // near diet, of another category. The employer: another topic.
        let candidates = [
            candidate(0.20, preferences, 1),
            candidate(0.50, preferences, 5),
            candidate(0.30, health, 6),
            candidate(0.35, career, 7),
        ];
        let embeddings: [&[f32]; 4] = [
            &[0.8, 0.1, 0.0, 0.5],
            &[0.5, 0.55, 0.0, 0.6],
            &[0.4, 0.0, 0.45, 0.7],
            &[0.0, 0.8, 0.0, 0.6],
        ];
        let ranked: Vec<f32> = candidates.iter().map(|c| c.distance).collect();
        let diet_question = [0.7, 0.2, 0.1, 0.5];
        assert_eq!(topics.of_query(&diet_question), Some(0));

        let d = topics.newest_first(&diet_question, &candidates, &embeddings, &ranked);
        assert_eq!(d[1], 0.20, "pescatarian takes the topic's place: {d:?}");
        assert!(d[0] > d[1] && d[0] < 0.2 + 1e-3, "keto just behind it: {d:?}");
        assert_eq!((d[2], d[3]), (0.30, 0.35), "the allergy and the employer keep theirs: {d:?}");

        // Recency alone orders the values: a newer value superseded by a memory outside the topic
        // (by mistake) still comes before an older current one.
        let history = [
            candidates[0],
            Candidate { current: false, ..candidates[1] },
            candidates[2],
            candidates[3],
        ];
        let h = topics.newest_first(&diet_question, &history, &embeddings, &ranked);
        assert_eq!(h, d, "{h:?}");
    }

    #[test]
    fn within_one_second_the_current_value_comes_before_the_one_it_replaced() {
        let topics = topics();
        let diet = &["preferences"][..];
        // Written in the same second: the old value, nearer the question, and its replacement.
        let candidates =
            [Candidate { current: false, ..candidate(0.2, diet, 9) }, candidate(0.4, diet, 9)];
        let embeddings: [&[f32]; 2] = [&[0.8, 0.1, 0.0, 0.5], &[0.7, 0.1, 0.0, 0.6]];
        let question = [0.7, 0.2, 0.1, 0.5];
        let d = topics.newest_first(&question, &candidates, &embeddings, &[0.2, 0.4]);
        assert!(d[1] < d[0], "the current value first: {d:?}");
    }

    #[test]
    fn a_question_placed_in_no_topic_changes_nothing() {
        let topics = topics();
        let candidates = [candidate(0.2, &["preferences"], 1), candidate(0.5, &["preferences"], 5)];
        let embeddings: [&[f32]; 2] = [&[0.8, 0.0, 0.0, 0.6], &[0.8, 0.0, 0.0, 0.6]];
        let ranked = [0.2, 0.5];
        let between = [0.5, 0.48, 0.0, 0.72];
        let faint = [0.3, 0.0, 0.0, 0.95];
        for query in [between, faint] {
            assert_eq!(topics.of_query(&query), None, "{query:?}");
            assert_eq!(topics.newest_first(&query, &candidates, &embeddings, &ranked), ranked);
        }
    }
}
