//! First person into a memory statement, in MemSync's style: "I moved to Lisbon last month" →
//! "User moved to Lisbon last month".
//!
//! Deliberately small rules, word by word:
//! - "I" becomes "User", and the verb after it (past adverbs such as "really" or "just") takes the
//!   third person: "I live" → "User lives", "I don't" → "User doesn't", "I'm" → "User is",
//!   "I've" → "User has". Past tenses, modals and contractions other than these stay as they are.
//! - "my" opening the statement becomes "User's", any later one "their"; "me" → "them",
//!   "mine" → "theirs", "myself" → "themselves".
//! - "we" and "our" are left alone: who "we" is cannot be told from one clause.

/// Words that may stand between "I" and its verb.
const ADVERBS: &[&str] = &[
    "really",
    "also",
    "still",
    "just",
    "now",
    "usually",
    "always",
    "never",
    "actually",
    "mostly",
    "totally",
    "absolutely",
    "currently",
    "finally",
    "recently",
    "officially",
    "basically",
    "definitely",
    "honestly",
    "generally",
    "often",
    "sometimes",
    "mainly",
];
/// Verbs that already read right after "User" (past tenses, modals, negated past).
const UNCHANGED: &[&str] = &[
    "was",
    "had",
    "did",
    "got",
    "went",
    "took",
    "bought",
    "made",
    "found",
    "left",
    "began",
    "met",
    "became",
    "came",
    "saw",
    "ran",
    "grew",
    "sold",
    "gave",
    "said",
    "quit",
    "broke",
    "fell",
    "felt",
    "lost",
    "won",
    "wrote",
    "can",
    "could",
    "will",
    "would",
    "should",
    "might",
    "must",
    "may",
    "can't",
    "cannot",
    "won't",
    "wouldn't",
    "couldn't",
    "shouldn't",
    "didn't",
    "wasn't",
    "used",
    "spent",
    "kept",
    "told",
    "thought",
    "knew",
    "heard",
    "taught",
    "brought",
    "built",
    "swam",
    "drove",
    "flew",
    "ate",
    "drank",
    "sang",
    "wore",
    "chose",
    "forgot",
];

/// The memory statement for a first-person clause (trailing punctuation dropped, first letter
/// capitalised). A clause without "I", "me" or "my" comes back unchanged but for that.
pub fn third_person(clause: &str) -> String {
    let tokens: Vec<&str> = clause.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut conjugate_next = false;
    for (i, token) in tokens.iter().enumerate() {
        let (core, tail) = split_punctuation(token);
        let lower = core.to_lowercase().replace('’', "'");
        let word = match lower.as_str() {
            "i" => {
                conjugate_next = true;
                "User".to_string()
            }
            "i'm" => "User is".to_string(),
            "i've" => "User has".to_string(),
            "i'd" => "User would".to_string(),
            "i'll" => "User will".to_string(),
            "my" if i == 0 => "User's".to_string(),
            "my" => "their".to_string(),
            "me" => "them".to_string(),
            "mine" => "theirs".to_string(),
            "myself" => "themselves".to_string(),
            _ if conjugate_next && ADVERBS.contains(&lower.as_str()) => core.to_string(),
            _ if conjugate_next => {
                conjugate_next = false;
                third_person_verb(core, &lower)
            }
            _ => core.to_string(),
        };
        if lower != "i" && !ADVERBS.contains(&lower.as_str()) {
            conjugate_next = false;
        }
        out.push(word + tail);
    }
    let mut statement = out.join(" ");
    statement = statement.trim_end_matches(['.', '!', ',', ';', ':']).to_string();
    capitalise(&statement)
}

fn third_person_verb(core: &str, lower: &str) -> String {
    match lower {
        "am" => "is".into(),
        "have" => "has".into(),
        "do" => "does".into(),
        "don't" => "doesn't".into(),
        "haven't" => "hasn't".into(),
        "go" => "goes".into(),
        _ if UNCHANGED.contains(&lower) || lower.ends_with("ed") || lower.contains('\'') => {
            core.into()
        }
        _ if lower.ends_with(['s', 'x', 'z', 'o'])
            || lower.ends_with("sh")
            || lower.ends_with("ch") =>
        {
            format!("{core}es")
        }
        _ if lower.ends_with('y') && !lower.ends_with(['a', 'e', 'o', 'u']) && lower.len() > 1 => {
            let stem = &core[..core.len() - 1];
            if stem.ends_with(['a', 'e', 'o', 'u']) {
                format!("{core}s")
            } else {
                format!("{stem}ies")
            }
        }
        _ => format!("{core}s"),
    }
}

/// A token's word and the punctuation after it: "Lisbon," → ("Lisbon", ",").
fn split_punctuation(token: &str) -> (&str, &str) {
    let end = token.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '\'').len();
    token.split_at(end)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::third_person;

    #[test]
    fn first_person_becomes_a_memory_statement() {
        let cases = [
            ("I moved to Lisbon last month.", "User moved to Lisbon last month"),
            ("I live in Porto", "User lives in Porto"),
            ("i really enjoy pottery", "User really enjoys pottery"),
            ("I'm a nurse at the city hospital", "User is a nurse at the city hospital"),
            ("I don't eat meat anymore", "User doesn't eat meat anymore"),
            ("I've got a cat named Mochi", "User has got a cat named Mochi"),
            ("my sister lives in Rome", "User's sister lives in Rome"),
            ("I love my dog", "User loves their dog"),
            ("I teach chemistry", "User teaches chemistry"),
            ("I study law", "User studies law"),
            ("I play guitar", "User plays guitar"),
            ("the weather is nice", "The weather is nice"),
        ];
        for (clause, statement) in cases {
            assert_eq!(third_person(clause), statement, "{clause}");
        }
    }
}
