//! Synthetic multi-session conversations for the evaluation: personas whose home, employer, job,
//! partner, diet and favourites change between sessions, with hobbies, pets and allergies besides,
//! buried in small talk, questions, requests and passing remarks (about four in five user turns say
//! nothing lasting), each user turn answered by the assistant. Seeded: the same arguments give the
//! same conversations. Templates and vocabulary are disjoint from the importance model's training
//! corpus ([`crate::train::corpus`]).

use verigrad_inference::training::data::Rng;

use crate::{Message, Slot, fill::pick};

/// User turns per session.
const TURNS: usize = 12;

/// A question about a persona and the value its answer must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The question, as a search query.
    pub text: String,
    /// The slot asked about (`None` for many-valued facts: hobbies, pets, allergies).
    pub slot: Option<Slot>,
    /// Whether it asks about the current value or the previous one.
    pub past: bool,
    /// The value a right answer holds (matched case-insensitively in a memory's text).
    pub expected: String,
    /// Values the slot held before, other than `expected`: a memory holding one of them ranked above
    /// every memory holding `expected` is a superseded fact outranking the current one.
    pub outdated: Vec<String>,
}

/// One persona's sessions and the questions asked after the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The sessions, in order, each a list of messages.
    pub sessions: Vec<Vec<Message>>,
    /// The questions.
    pub questions: Vec<Question>,
}

struct SlotFacts {
    slot: Slot,
    key: &'static str,
    intro: &'static [&'static str],
    change: &'static [&'static str],
    current: &'static str,
    past: &'static str,
}

const SLOTS: &[SlotFacts] = &[
    SlotFacts {
        slot: Slot::Home,
        key: "city",
        intro: &["I live in {v}", "I've been living in {v} for a while now", "I'm living in {v}"],
        change: &["I moved to {v} last month", "I just moved to {v}", "I live in {v} now"],
        current: "Where does the user live now?",
        past: "Where did the user live before?",
    },
    SlotFacts {
        slot: Slot::Employer,
        key: "company",
        intro: &["I work at {v}", "I work for {v}", "my company is {v}"],
        change: &[
            "I started a new job at {v} last week",
            "I accepted an offer from {v} recently",
            "I work at {v} now",
        ],
        current: "Which company does the user work for at the moment?",
        past: "Where did the user work previously?",
    },
    SlotFacts {
        slot: Slot::Role,
        key: "job",
        intro: &["I'm a {v}", "I've been a {v} for years", "I'm currently a {v}"],
        change: &[
            "I switched careers and became a {v}",
            "I'm a {v} now",
            "I became a {v} this year",
        ],
        current: "What is the user's job?",
        past: "What job did the user have before?",
    },
    SlotFacts {
        slot: Slot::Partner,
        key: "partner",
        intro: &["my partner is {v}", "I'm dating {v}", "my girlfriend {v} says hi"],
        change: &["I'm with {v} now", "my new partner is {v}", "I started dating {v} recently"],
        current: "Who is the user's partner?",
        past: "Who was the user's previous partner?",
    },
    SlotFacts {
        slot: Slot::Diet,
        key: "diet",
        intro: &["I'm {v}", "I've been {v} for years", "I eat a {v} diet"],
        change: &["I went {v} recently", "I'm {v} now", "I decided to go {v} this year"],
        current: "What diet does the user follow now?",
        past: "What diet did the user follow before?",
    },
    SlotFacts {
        slot: Slot::FavouriteFood,
        key: "food",
        intro: &["my favourite food is {v}", "I love {v} more than anything", "I adore {v}"],
        change: &[
            "these days my favourite food is {v}",
            "I'm all about {v} now",
            "{v} is my new favourite food",
        ],
        current: "What is the user's favourite food?",
        past: "What was the user's favourite food before?",
    },
    SlotFacts {
        slot: Slot::FavouriteMusic,
        key: "music",
        intro: &["my favourite music is {v}", "I listen to {v} all the time", "I'm a huge {v} fan"],
        change: &[
            "lately I'm really into {v} music",
            "{v} is my favourite music now",
            "I've switched to listening to {v} mostly",
        ],
        current: "What music does the user like most these days?",
        past: "What music did the user like most before?",
    },
];

/// Many-valued facts: (vocabulary key, templates, question).
const EXTRAS: &[(&str, &[&str], &str)] = &[
    (
        "hobby",
        &["I do {v} twice a week", "I've taken up {v}", "I love {v} on weekends"],
        "What are the user's hobbies?",
    ),
    (
        "petname",
        &["I have a cat named {v}", "we got a puppy, his name is {v}", "my rabbit {v} is adorable"],
        "What pets does the user have?",
    ),
    (
        "allergen",
        &["I'm allergic to {v}", "I can't eat {v} because of an allergy"],
        "Is the user allergic to anything?",
    ),
];

const NOISE: &[&str] = &[
    "Hi!",
    "Hey there",
    "Thanks a lot!",
    "Haha, nice one.",
    "Good morning!",
    "ok cool",
    "Bye for now.",
    "Can you recommend a good book?",
    "What's the capital of Australia?",
    "How do I reverse a list in Python?",
    "Is it going to rain tomorrow?",
    "Why is the sky blue?",
    "What should I cook tonight?",
    "Write a short poem about autumn.",
    "Summarize this article for me please.",
    "Translate 'good night' into French.",
    "Give me three ideas for a birthday gift.",
    "I'm so tired today.",
    "I had a sandwich for lunch.",
    "I'm bored.",
    "My coffee got cold.",
    "I'm a bit stressed about a deadline.",
    "I overslept this morning.",
    "I'm in a meeting right now.",
    "That movie was pretty good.",
    "The traffic this morning was terrible.",
    "This explanation is really clear.",
    "That's not quite what I meant.",
    "Hmm, let me think about that.",
    "Sounds good to me.",
    "I'm going to grab a snack.",
    "The wifi here is so slow.",
    "I'll read it later.",
];
const OPENERS: &[&str] =
    &["Long week", "Quick update", "Random thought", "Oh by the way", "Guess what"];
const REPLIES: &[&str] = &[
    "Sure! Here you go.",
    "That sounds lovely.",
    "Happy to help.",
    "Congratulations!",
    "Here is a short summary.",
    "Good question, it depends.",
    "Got it, thanks for telling me.",
    "Noted. Anything else?",
    "Here are a few ideas.",
    "That makes sense.",
];

fn vocabulary(key: &str) -> &'static [&'static str] {
    match key {
        "city" => &[
            "Lisbon",
            "Porto",
            "Valencia",
            "Krakow",
            "Tallinn",
            "Montreal",
            "Osaka",
            "Nairobi",
            "Auckland",
            "Denver",
            "Edinburgh",
            "Bologna",
            "Ghent",
            "Seville",
            "Bergen",
        ],
        "company" => &[
            "Globex",
            "Initech",
            "Hooli",
            "Vandelay",
            "Cyberdyne",
            "Tyrell",
            "Monarch",
            "Soylent",
            "Massive Dynamic",
            "Pied Piper",
            "Gringotts",
            "Wonka",
        ],
        "job" => &[
            "nurse",
            "pilot",
            "pharmacist",
            "translator",
            "veterinarian",
            "librarian",
            "paramedic",
            "chemist",
            "mechanic",
            "sommelier",
        ],
        "partner" => &[
            "Maya", "Tomas", "Ines", "Rafael", "Leila", "Jonas", "Priya", "Mateo", "Freya", "Kenji",
        ],
        "diet" => &["vegetarian", "vegan", "pescatarian", "keto"],
        "food" => &["ramen", "paella", "dumplings", "tacos", "curry", "lasagna"],
        "music" => &["jazz", "techno", "bluegrass", "reggae", "punk", "salsa"],
        "hobby" => &["bouldering", "pottery", "chess", "surfing", "knitting", "birdwatching"],
        "petname" => &["Pixel", "Mochi", "Biscuit", "Ziggy", "Pumpkin"],
        "allergen" => &["peanuts", "shellfish", "strawberries"],
        _ => &["something"],
    }
}

/// `personas` conversations of `sessions` sessions each (at least three) from `seed`.
pub fn conversations(seed: u64, personas: usize, sessions: usize) -> Vec<Conversation> {
    let mut rng = Rng::new(seed);
    (0..personas).map(|_| persona(&mut rng, sessions.max(3))).collect()
}

fn draw_other(rng: &mut Rng, key: &str, not: &[String]) -> String {
    loop {
        let v = *pick(rng, vocabulary(key));
        if !not.iter().any(|n| n == v) {
            return v.to_string();
        }
    }
}

fn persona(rng: &mut Rng, sessions: usize) -> Conversation {
    // Facts per session: introductions in the first two, changes and restatements later.
    let mut plan: Vec<Vec<String>> = vec![Vec::new(); sessions];
    let mut history: Vec<Vec<String>> = Vec::new();
    for facts in SLOTS {
        let first = draw_other(rng, facts.key, &[]);
        let intro = (rng.next_u64() % 2) as usize;
        plan[intro].push(pick(rng, facts.intro).replace("{v}", &first));
        let mut values = vec![first];
        let mut session = intro;
        // Each slot changes with probability 0.6, a second time with probability 0.3.
        for chance in [0.6, 0.3] {
            let earliest = (session + 1).max(2);
            if earliest >= sessions || rng.uniform() >= chance {
                break;
            }
            session = earliest + (rng.next_u64() % (sessions - earliest) as u64) as usize;
            let next = draw_other(rng, facts.key, &values);
            plan[session].push(pick(rng, facts.change).replace("{v}", &next));
            values.push(next);
        }
        history.push(values);
    }
    let mut extras = Vec::new();
    for (key, templates, question) in EXTRAS {
        let count = if *key == "allergen" { 1 } else { 2 };
        let mut values: Vec<String> = Vec::new();
        for _ in 0..count {
            let v = draw_other(rng, key, &values);
            let session = (rng.next_u64() % sessions as u64) as usize;
            plan[session].push(pick(rng, templates).replace("{v}", &v));
            values.push(v);
        }
        extras.extend(values.into_iter().map(|v| (*question, v)));
    }
    let sessions = plan.into_iter().map(|facts| session(rng, facts)).collect();
    Conversation { sessions, questions: questions(&history, &extras) }
}

/// A session: the facts spread over random user turns, each alone or beside a remark; the other
/// turns noise; every user turn answered.
fn session(rng: &mut Rng, facts: Vec<String>) -> Vec<Message> {
    let mut turns: Vec<Option<String>> = vec![None; TURNS.max(facts.len())];
    for fact in facts {
        let free: Vec<usize> = (0..turns.len()).filter(|i| turns[*i].is_none()).collect();
        let at = *pick(rng, &free);
        turns[at] = Some(match rng.next_u64() % 3 {
            0 => format!("{}.", capitalise(&fact)),
            1 => format!("{}, but {fact}.", pick(rng, OPENERS)),
            _ => format!("{} {}.", pick(rng, NOISE), capitalise(&fact)),
        });
    }
    turns
        .into_iter()
        .flat_map(|turn| {
            let user = turn.unwrap_or_else(|| pick(rng, NOISE).to_string());
            [Message::user(user), Message::assistant(*pick(rng, REPLIES))]
        })
        .collect()
}

fn questions(history: &[Vec<String>], extras: &[(&str, String)]) -> Vec<Question> {
    let mut out = Vec::new();
    for (facts, values) in SLOTS.iter().zip(history) {
        let (current, before) = values.split_last().unwrap_or((&values[0], &[]));
        out.push(Question {
            text: facts.current.into(),
            slot: Some(facts.slot),
            past: false,
            expected: current.clone(),
            outdated: before.to_vec(),
        });
        if let Some(previous) = before.last() {
            out.push(Question {
                text: facts.past.into(),
                slot: Some(facts.slot),
                past: true,
                expected: previous.clone(),
                outdated: Vec::new(),
            });
        }
    }
    out.extend(extras.iter().map(|(text, value)| Question {
        text: (*text).into(),
        slot: None,
        past: false,
        expected: value.clone(),
        outdated: Vec::new(),
    }));
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn conversations_are_seeded_and_mostly_noise() {
        let a = conversations(7, 4, 5);
        assert_eq!(a, conversations(7, 4, 5));
        let users: Vec<&Message> = a
            .iter()
            .flat_map(|c| c.sessions.iter().flatten())
            .filter(|m| m.role == Role::User)
            .collect();
        let facts = a.iter().flat_map(|c| &c.questions).filter(|q| !q.past).count();
        assert!(facts * 3 < users.len(), "{facts} facts in {} user turns", users.len());
        assert!(a.iter().any(|c| c.questions.iter().any(|q| q.past)), "some slots change");
    }
}
