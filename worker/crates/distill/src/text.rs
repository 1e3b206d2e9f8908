//! Word-level helpers shared by the candidate splitter, the importance features and the value
//! comparison: words, time expressions, proper nouns and content words.

use std::collections::BTreeSet;

/// Words that anchor a statement in time ("last month", "in March", "2024"): such a fact is an event,
/// an episodic memory.
const TIME_WORDS: &[&str] = &[
    "yesterday",
    "today",
    "tonight",
    "tomorrow",
    "ago",
    "recently",
    "weekend",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// Units that make "last …", "next …" and "this …" a time expression.
const TIME_UNITS: &[&str] = &[
    "week",
    "month",
    "year",
    "night",
    "weekend",
    "summer",
    "winter",
    "spring",
    "autumn",
    "fall",
    "morning",
    "evening",
    "afternoon",
];
/// Function words and the memory statement's own frame ("User", "is", "now"), ignored when two
/// statements' values are compared.
const STOPWORDS: &[&str] = &[
    "user",
    "user's",
    "i",
    "me",
    "my",
    "their",
    "they",
    "them",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "am",
    "has",
    "have",
    "had",
    "a",
    "an",
    "the",
    "to",
    "of",
    "in",
    "at",
    "on",
    "for",
    "as",
    "and",
    "or",
    "but",
    "so",
    "with",
    "by",
    "from",
    "now",
    "still",
    "currently",
    "really",
    "just",
    "also",
    "very",
    "actually",
    "these",
    "days",
    "anymore",
    "again",
    "new",
    "that",
    "this",
    "it",
    "it's",
    "there",
    "here",
    "then",
    "since",
    "too",
    "called",
    "named",
];

/// The words of a text: runs of letters, digits, apostrophes and hyphens.
pub(crate) fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a text anchors what it says in time: a time word, "last/next/this" + a unit, or a year.
pub(crate) fn is_dated(text: &str) -> bool {
    let lower: Vec<String> = words(text).iter().map(|w| w.to_lowercase()).collect();
    lower.iter().enumerate().any(|(i, w)| {
        TIME_WORDS.contains(&w.as_str())
            || is_year(w)
            || (matches!(w.as_str(), "last" | "next" | "this")
                && lower.get(i + 1).is_some_and(|u| TIME_UNITS.contains(&u.as_str())))
    })
}

fn is_year(word: &str) -> bool {
    word.len() == 4
        && (word.starts_with("19") || word.starts_with("20"))
        && word.parse::<u16>().is_ok()
}

/// Capitalised words after the first, other than the subject and time words: names of places,
/// companies and people, the values that tell two facts about one slot apart.
pub(crate) fn proper_nouns(text: &str) -> BTreeSet<String> {
    words(text)
        .into_iter()
        .skip(1)
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .map(str::to_lowercase)
        .filter(|w| {
            !matches!(w.as_str(), "user" | "user's" | "i" | "i'm" | "i've")
                && !TIME_WORDS.contains(&w.as_str())
        })
        .collect()
}

/// Lower-cased words that carry content: neither stop words nor time expressions.
pub(crate) fn content_words(text: &str) -> BTreeSet<String> {
    words(text)
        .into_iter()
        .map(str::to_lowercase)
        .filter(|w| {
            !STOPWORDS.contains(&w.as_str())
                && !TIME_WORDS.contains(&w.as_str())
                && !TIME_UNITS.contains(&w.as_str())
                && !matches!(w.as_str(), "last" | "next" | "ago")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expressions_make_a_text_dated() {
        let cases = [
            ("I moved to Lisbon last month", true),
            ("we met in 2019", true),
            ("the party is on Friday", true),
            ("I live in Lisbon", false),
            ("my last name is Smith", false),
        ];
        for (text, dated) in cases {
            assert_eq!(is_dated(text), dated, "{text}");
        }
    }

    #[test]
    fn proper_nouns_skip_the_subject_and_time_words() {
        let nouns = proper_nouns("User moved to New Lisbon in March with Maya");
        assert_eq!(nouns, ["lisbon", "maya", "new"].map(String::from).into());
        assert!(content_words("User is vegan now").contains("vegan"));
    }
}
