//! Candidate facts: a user message cut into clauses, with questions, greetings, fillers and requests
//! dropped by rule before any model runs.
//!
//! Only user turns are read: the assistant's turns say nothing about the user that the user did not
//! say first. A message is cut at sentence ends (`.`, `!`, `?`, line breaks), then at clause joints
//! ("; ", ", but ", " but ", ", so ", ", and ", ", although "), so "It's been hectic, but I moved to
//! Lisbon last month" gives two clauses and only the second is a fact; " and " joins clauses only
//! before "I", "I'm", "I've" or "my". Leading interjections and
//! joiners ("oh,", "anyway", "also") are stripped first.

use serde::{Deserialize, Serialize};

use crate::{Message, Role, rewrite::third_person, text::words};

/// Why a clause was not kept as a memory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SkipReason {
    /// A question: it asks, it does not tell.
    Question,
    /// A greeting, a thank-you or a filler ("lol", "ok").
    SmallTalk,
    /// A request to the assistant ("write …", "can you …").
    Request,
    /// Fewer than three words once interjections are stripped.
    TooShort,
    /// Scored below the importance threshold.
    Unimportant {
        /// The importance model's score.
        score: f32,
    },
    /// The same fact as one kept earlier in this batch.
    RepeatedInBatch,
}

/// A clause of a user message that may be a fact, with its memory statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The clause as the user wrote it (what the lexical features read).
    pub clause: String,
    /// The clause as a memory statement ("User …").
    pub statement: String,
}

/// A clause either goes on to scoring or is dropped here.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// Goes on to the importance model.
    Candidate(Candidate),
    /// Dropped by rule.
    Dropped {
        /// The clause.
        clause: String,
        /// Why.
        reason: SkipReason,
    },
}

const INTERJECTIONS: &[&str] = &[
    "oh", "ah", "well", "so", "and", "also", "anyway", "anyways", "btw", "but", "um", "uh", "hmm",
    "yeah", "yes", "no", "ok", "okay", "haha", "lol", "honestly", "plus", "cool", "nice", "great",
    "wow", "hey", "hi", "hello", "thanks", "well,",
];
/// Openings of more than one word, stripped like interjections ("Guess what, I moved …").
const OPENERS: &[&str] =
    &["guess what", "big news", "good news", "fun fact", "by the way", "you know what"];
const SMALL_TALK: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "thx",
    "bye",
    "goodbye",
    "cheers",
    "cool",
    "nice",
    "great",
    "awesome",
    "sure",
    "lol",
    "haha",
    "ok",
    "okay",
    "good",
    "morning",
    "evening",
    "night",
    "wow",
    "yep",
    "nope",
    "perfect",
    "sounds",
    "alright",
    "right",
    "interesting",
];
const QUESTION_OPENERS: &[&str] = &[
    "what", "what's", "how", "why", "where", "who", "when", "which", "whats", "can", "could",
    "would", "will", "do", "does", "did", "is", "are", "should", "shall",
];
const REQUEST_OPENERS: &[&str] = &[
    "please",
    "write",
    "tell",
    "help",
    "give",
    "show",
    "explain",
    "summarize",
    "summarise",
    "translate",
    "draft",
    "make",
    "remind",
    "list",
    "recommend",
    "suggest",
    "find",
    "let's",
    "lets",
    "check",
    "create",
    "generate",
    "fix",
    "compare",
    "plan",
];
const JOINTS: &[&str] = &["; ", ", but ", " but ", ", so ", ", and ", ", although ", " although "];

/// The clauses of the user turns of a batch, in order.
pub fn clauses(messages: &[Message]) -> Vec<Clause> {
    messages
        .iter()
        .filter(|m| m.role == Role::User)
        .flat_map(|m| sentences(&m.content))
        .flat_map(|(sentence, asked)| {
            split_joints(&sentence)
                .into_iter()
                .map(move |c| classify(&c, asked))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Sentences with whether each ended in a question mark.
fn sentences(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if matches!(c, '.' | '!' | '?' | '\n') {
            if !current.trim().is_empty() {
                out.push((current.trim().to_string(), c == '?'));
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        out.push((current.trim().to_string(), false));
    }
    out
}

fn split_joints(sentence: &str) -> Vec<String> {
    // " and " joins clauses only before a new first-person subject ("I live in Lisbon and I love
    // pottery"); elsewhere it joins words ("salt and pepper").
    let mut sentence = sentence.to_string();
    for subject in ["I ", "I'm ", "I've ", "my "] {
        sentence = sentence.replace(&format!(" and {subject}"), &format!("; {subject}"));
    }
    let mut parts = vec![sentence];
    for joint in JOINTS {
        parts = parts.iter().flat_map(|p| p.split(joint).map(str::to_string)).collect();
    }
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn classify(raw: &str, asked: bool) -> Clause {
    let clause = strip_interjections(raw);
    let lower: Vec<String> = words(&clause).iter().map(|w| w.to_lowercase()).collect();
    let first = lower.first().map(String::as_str).unwrap_or_default();
    let reason = if asked || QUESTION_OPENERS.contains(&first) {
        Some(SkipReason::Question)
    } else if lower.len() <= 4
        && lower.iter().all(|w| SMALL_TALK.contains(&w.as_str()) || w.len() <= 3)
        || SMALL_TALK.contains(&first) && lower.len() <= 4
    {
        Some(SkipReason::SmallTalk)
    } else if REQUEST_OPENERS.contains(&first) {
        Some(SkipReason::Request)
    } else if lower.len() < 3 {
        Some(SkipReason::TooShort)
    } else {
        None
    };
    match reason {
        Some(reason) => Clause::Dropped { clause: raw.to_string(), reason },
        None => Clause::Candidate(Candidate { statement: third_person(&clause), clause }),
    }
}

/// The clause without leading interjections and joiners ("Oh, and also I …" → "I …").
fn strip_interjections(clause: &str) -> String {
    let mut rest = clause.trim();
    loop {
        let opener = OPENERS.iter().find(|o| {
            rest.get(..o.len()).is_some_and(|head| head.eq_ignore_ascii_case(o))
                && rest[o.len()..].starts_with([',', '!', ':', '-', ' '])
        });
        if let Some(opener) = opener {
            rest = rest[opener.len()..].trim_start_matches([',', '!', ':', '-', ' ']);
            continue;
        }
        let Some(first) = rest.split_whitespace().next() else { return String::new() };
        let word = first.trim_end_matches([',', '!', '-', ':']).to_lowercase();
        if !INTERJECTIONS.contains(&word.as_str()) || first.len() == rest.len() {
            return rest.to_string();
        }
        rest = rest[first.len()..].trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str) -> Vec<String> {
        clauses(&[Message::user(text)])
            .into_iter()
            .filter_map(|c| match c {
                Clause::Candidate(c) => Some(c.statement),
                Clause::Dropped { .. } => None,
            })
            .collect()
    }

    #[test]
    fn only_statements_go_on() {
        let cases: [(&str, &[&str]); 8] = [
            ("Hi there!", &[]),
            ("Can you help me with an email?", &[]),
            ("Write a haiku about rain.", &[]),
            ("lol ok", &[]),
            (
                "It's been hectic, but I moved to Lisbon last month.",
                &["It's been hectic", "User moved to Lisbon last month"],
            ),
            ("Oh, and also I adopted a cat named Mochi!", &["User adopted a cat named Mochi"]),
            ("What do you think? I work at Globex now", &["User works at Globex now"]),
            ("Guess what, I moved to Berlin last month.", &["User moved to Berlin last month"]),
        ];
        for (text, expected) in cases {
            assert_eq!(kept(text), expected, "{text}");
        }
    }

    #[test]
    fn assistant_turns_are_not_read() {
        assert!(clauses(&[Message::assistant("I live in Paris.")]).is_empty());
    }
}
