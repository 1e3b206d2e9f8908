//! The importance model's labelled training clauses. Their templates and vocabulary (cities,
//! companies, names, jobs, foods) are disjoint from the evaluation's ([`crate::generate`]), so the
//! evaluation measures wordings the model never saw.

use verigrad_inference::training::data::Rng;

use crate::{
    Category, Slot,
    fill::{fill, pick},
};

/// A labelled training clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The clause as a user would write it.
    pub clause: String,
    /// A lasting fact about the user (worth a memory) or not.
    pub important: bool,
    /// For facts: the category and the slot (`None` for many-valued facts).
    pub class: Option<(Category, Option<Slot>)>,
}

type Family = (Category, Option<Slot>, &'static [&'static str]);

const FACTS: &[Family] = &[
    (
        Category::Location,
        Some(Slot::Home),
        &[
            "I reside in {city}",
            "home for me is {city} these days",
            "I'm based in {city}",
            "I relocated to {city} {when}",
            "my apartment is in {city}",
            "my flat in {city} is tiny but I love it",
            "I rent a place in {city}",
            "I call {city} home",
            "I bought a house in {city} {when}",
        ],
    ),
    (
        Category::Career,
        Some(Slot::Employer),
        &[
            "I'm employed by {company}",
            "I joined {company} {when}",
            "my employer is {company}",
            "I've been at {company} for three years",
            "I signed a contract with {company}",
            "I took a position at {company}",
            "I'm on the payroll at {company}",
            "I got hired by {company} {when}",
            "I handed in my notice and went to {company}",
        ],
    ),
    (
        Category::Career,
        Some(Slot::Role),
        &[
            "I work as a {job}",
            "my job title is {job}",
            "I'm a {job} by profession",
            "I got promoted to senior {job}",
            "I retrained as a {job}",
            "I earn my living as a {job}",
            "I'm employed as a {job}",
            "I trained to be a {job} and that's my job now",
            "my profession is {job}",
        ],
    ),
    (
        Category::Relationships,
        Some(Slot::Partner),
        &[
            "my husband is {name}",
            "my wife's name is {name}",
            "I'm engaged to {name}",
            "I've been seeing {name} for a year",
            "{name} and I got married {when}",
            "my boyfriend {name} is wonderful",
            "{name} is my fiancé",
            "I moved in with my girlfriend {name}",
            "I'm in a relationship with {name}",
        ],
    ),
    (
        Category::Preferences,
        Some(Slot::Diet),
        &[
            "I follow a {diet} diet",
            "I eat {diet} food only",
            "I switched to a {diet} diet {when}",
            "I'm strictly {diet}",
            "I keep to a {diet} diet for my health",
            "I've gone {diet}",
            "I stopped eating anything that isn't {diet}",
            "my diet is {diet}",
        ],
    ),
    (
        Category::Preferences,
        Some(Slot::FavouriteFood),
        &[
            "{food} is my favourite dish",
            "nothing beats {food} for me",
            "my go-to meal is {food}",
            "I could eat {food} every day",
            "my absolute favourite food is {food}",
            "{food} is what I order whenever I can",
            "I'd pick {food} over any other food",
            "my favourite meal these days is {food}",
        ],
    ),
    (
        Category::Preferences,
        Some(Slot::FavouriteMusic),
        &[
            "I mostly listen to {music}",
            "{music} is my favourite genre",
            "my favourite kind of music is {music}",
            "I'm obsessed with {music} lately",
            "{music} is the music I love most",
            "my playlists are all {music}",
            "I can listen to {music} for hours",
            "my favourite music right now is {music}",
        ],
    ),
    (
        Category::Interests,
        None,
        &[
            "I'm into {hobby}",
            "I do {hobby} on weekends",
            "I picked up {hobby} {when}",
            "{hobby} is my favourite pastime",
            "I spend my free evenings on {hobby}",
        ],
    ),
    (
        Category::Possessions,
        None,
        &[
            "I have a {pet} called {petname}",
            "I own a {pet}",
            "we adopted a {pet} {when}",
            "I bought a {vehicle} {when}",
            "I drive an old {vehicle}",
        ],
    ),
    (
        Category::Relationships,
        None,
        &[
            "my brother is a {job}",
            "my mother lives in {city}",
            "I have two kids",
            "my sister {name} is a {job}",
            "my dad retired {when}",
        ],
    ),
    (
        Category::Health,
        None,
        &[
            "I'm allergic to {allergen}",
            "I have {condition}",
            "I broke my wrist {when}",
            "I take medication for {condition}",
        ],
    ),
    (
        Category::Education,
        None,
        &[
            "I studied {subject} at university",
            "I have a degree in {subject}",
            "I'm taking an evening course in {subject}",
            "I graduated in {subject} {when}",
        ],
    ),
    (
        Category::Identity,
        None,
        &[
            "I'm {age} years old",
            "I grew up in {city}",
            "I speak {language} fluently",
            "my name is {name}",
            "I was born in {year}",
        ],
    ),
    (
        Category::Plans,
        None,
        &[
            "I'm planning to visit {city} next year",
            "I want to learn {language}",
            "I hope to run a marathon someday",
            "I intend to buy a house in {city}",
            "I'm saving up for a trip to {city}",
        ],
    ),
];

const NOISE: &[&str] = &[
    "I'm feeling sleepy right now",
    "I'm a bit hungry at the moment",
    "I'm in a rush",
    "I'm stuck in traffic",
    "I ate cereal for breakfast",
    "my tea went cold",
    "I forgot my umbrella",
    "I just woke up",
    "I'm watching TV",
    "I think so",
    "I guess that works",
    "I'll try that",
    "I see what you mean",
    "I'm not sure about that",
    "I agree with you",
    "I was just wondering",
    "I need to think about it",
    "I need a recipe for dinner",
    "I want a shorter version",
    "I'd like three more examples",
    "the sky looks grey",
    "this code has a bug",
    "the article is long",
    "that answer makes sense",
    "the printer is broken again",
    "the train is late",
    "it's raining outside",
    "{city} is a big city",
    "{company} released a new product",
    "that was helpful",
    "you're funny",
    "that's a fair point",
    "this is confusing",
    "my laptop battery is almost dead",
    "I have a headache right now",
    "the meeting ran long",
    "I'm waiting for a delivery",
    "that sounds about right",
    "the second option looks better",
    "I'll get back to it later",
    "my phone is on silent",
    "the soup is too salty",
    "the {food} at lunch was fine",
    "I'm listening to some {music} right now",
];

fn vocabulary(key: &str) -> &'static [&'static str] {
    match key {
        "city" => &[
            "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Tokyo", "Boston", "Chicago",
            "Sydney", "Dublin", "Oslo", "Helsinki", "Warsaw", "Seoul", "Toronto",
        ],
        "company" => &[
            "Northwind",
            "Contoso",
            "Fabrikam",
            "Litware",
            "Adatum",
            "Tailspin",
            "Wingtip",
            "Proseware",
            "Lucerne",
            "Woodgrove",
        ],
        "job" => &[
            "teacher",
            "lawyer",
            "dentist",
            "software engineer",
            "plumber",
            "journalist",
            "firefighter",
            "baker",
            "carpenter",
            "physiotherapist",
            "surveyor",
            "designer",
        ],
        "name" => {
            &["Anna", "Mark", "Sofia", "David", "Emma", "Lucas", "Olivia", "Noah", "Clara", "Hugo"]
        }
        "diet" => &["dairy-free", "paleo", "halal", "kosher", "low-carb", "plant-based"],
        "food" => &["pizza", "sushi", "burgers", "pho", "falafel", "risotto", "goulash", "pierogi"],
        "music" => &["classical", "hip hop", "country", "metal", "blues", "folk", "opera", "soul"],
        "hobby" => &[
            "running",
            "painting",
            "photography",
            "gardening",
            "cycling",
            "yoga",
            "baking",
            "fishing",
        ],
        "pet" => &["hamster", "tortoise", "goldfish", "ferret", "horse", "lizard"],
        "petname" => &["Rex", "Luna", "Max", "Bella", "Nibbles"],
        "vehicle" => &["van", "motorbike", "electric car", "camper"],
        "allergen" => &["pollen", "cats", "penicillin", "dust"],
        "condition" => &["asthma", "diabetes", "migraines", "eczema"],
        "subject" => &["history", "physics", "economics", "biology", "architecture"],
        "language" => &["German", "Japanese", "Italian", "Arabic", "Swedish"],
        "age" => &["29", "34", "41", "52", "23"],
        "year" => &["1988", "1992", "1979", "2001"],
        "when" => {
            &["two years ago", "back in 2019", "in the spring", "last autumn", "a few weeks ago"]
        }
        _ => &["something"],
    }
}

/// Which templates a set is drawn from: every fourth template of each family is held out of
/// training, so the held-out figures are for wordings the model never saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The other three in four.
    Train,
    /// Every fourth.
    HeldOut,
}

impl Split {
    fn templates(self, all: &'static [&'static str]) -> Vec<&'static str> {
        let held_out = |i: usize| i % 4 == 3;
        all.iter()
            .enumerate()
            .filter(|(i, _)| held_out(*i) == (self == Self::HeldOut))
            .map(|(_, t)| *t)
            .collect()
    }
}

/// `n` labelled clauses from `seed`: half lasting facts (drawn evenly over the fact families), half
/// noise.
pub fn examples(seed: u64, n: usize, split: Split) -> Vec<Example> {
    let mut rng = Rng::new(seed);
    let noise = split.templates(NOISE);
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let (category, slot, templates) = pick(&mut rng, FACTS);
                let clause =
                    fill(pick::<&str>(&mut rng, &split.templates(templates)), &mut rng, vocabulary);
                Example { clause, important: true, class: Some((*category, *slot)) }
            } else {
                let clause = fill(pick::<&str>(&mut rng, &noise), &mut rng, vocabulary);
                Example { clause, important: false, class: None }
            }
        })
        .collect()
}
