//! The training corpus of the importance model and of the slot-pair model ([`super::pairs`]):
//! families of fact templates (20 to 23 wordings for each single-valued slot) and noise. Their
//! templates and vocabulary (cities, companies, names, jobs, foods, diets, music) are disjoint from
//! the evaluation's ([`crate::generate`]): no template of one is a template of the other, no value
//! of one a value of the other, so the evaluation measures wordings and values the models never
//! saw. Within the corpus, every fourth template is held out of training ([`Split`]).

use verigrad_inference::training::data::Rng;

use super::invented::invented;
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
    /// For facts: the category.
    pub category: Option<Category>,
}

/// A family of fact templates: their category, the slot they fill (if any) and the templates.
pub(crate) type Family = (Category, Option<Slot>, &'static [&'static str]);

pub(crate) const FACTS: &[Family] = &[
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
            "I settled down in {city}",
            "my address is in {city} now",
            "we packed up and left for {city} {when}",
            "I've made my home in {city}",
            "I'm a resident of {city}",
            "I finally settled in {city}",
            "I'm now living over in {city}",
            "my new place is in {city}",
            "I emigrated to {city} {when}",
            "I stay in {city} permanently now",
            "these days I'm a {city} local",
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
            "{company} pays my salary",
            "I'm on staff at {company}",
            "my workplace is {company}",
            "I changed jobs and I'm at {company} now",
            "I'm with {company} these days",
            "{company} hired me {when}",
            "I got a job offer from {company} and took it",
            "I'm part of the team at {company}",
            "my current employer is {company}",
            "I moved over to {company} {when}",
            "I landed a job with {company}",
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
            "I'm a qualified {job}",
            "my occupation is {job}",
            "I make a living as a {job}",
            "I do {job} work for a living",
            "my role at work is {job}",
            "I changed careers to become a {job}",
            "I'm working as a {job} these days",
            "I now work as a {job}",
            "by trade I'm a {job}",
            "I'm a full-time {job}",
            "my day job is being a {job}",
            "these days I work as a {job}",
            "{job} is what I do",
            "I'm an experienced {job}",
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
            "{name} is my significant other",
            "I'm going out with {name}",
            "{name} and I are a couple",
            "my spouse is {name}",
            "I fell in love with {name}",
            "{name} and I have been together since {year}",
            "I'm seeing someone new, {name}",
            "my other half is {name}",
            "I married {name} {when}",
            "{name} is my boyfriend now",
            "my sweetheart {name} cooked dinner",
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
            "I stick to {diet} meals",
            "I only eat {diet}",
            "I've been eating {diet} since {year}",
            "I became {diet} {when}",
            "I live on a {diet} diet",
            "these days my meals are all {diet}",
            "I converted to a {diet} lifestyle",
            "I'm on a {diet} diet now",
            "everything I eat is {diet}",
            "I adopted a {diet} diet {when}",
            "I keep {diet}",
            "I'm a {diet} eater",
            "I eat {diet}",
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
            "if I had to pick one dish it would be {food}",
            "my top food is {food}",
            "no dish beats {food}",
            "I'm crazy about {food}",
            "the food I love most is {food}",
            "{food} is my comfort food",
            "I'd eat {food} for every meal",
            "my number one dish is {food}",
            "my favourite thing to eat is {food}",
            "I'm obsessed with {food} these days",
            "{food} wins every time",
            "I never get tired of {food}",
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
            "{music} is what I play on repeat",
            "I'm a big fan of {music}",
            "my go-to genre is {music}",
            "I love {music} music more than any other",
            "my music taste is mainly {music}",
            "I always put on {music}",
            "{music} is the only music I listen to",
            "my top genre this year is {music}",
            "I got really into {music} {when}",
            "nothing beats {music} for me",
            "{music} fills my headphones",
            "I put {music} on every morning",
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
            "I joined a {hobby} club {when}",
            "I've been practising {hobby} for years",
            "my weekends are for {hobby}",
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
            "my {pet} {petname} sleeps all day",
            "our {pet} is called {petname}",
            "I got a {pet} named {petname} {when}",
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
            "my brother works at {company}",
            "my best friend {name} lives in {city}",
            "my cousin is a {job}",
            "my mum is {diet}",
        ],
    ),
    (
        Category::Health,
        None,
        &[
            "I have an allergy to {allergen}",
            "I have {condition}",
            "I broke my wrist {when}",
            "I take medication for {condition}",
            "I can't have {allergen}",
            "I'm intolerant to {allergen}",
            "{allergen} gives me a bad reaction",
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
            "I'm originally from {city}",
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
            "I'd love to live in {city} one day",
            "I'm thinking of applying to {company}",
            "I want to become a {job} someday",
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
            "Paris",
            "Berlin",
            "Madrid",
            "Rome",
            "Vienna",
            "Prague",
            "Tokyo",
            "Boston",
            "Chicago",
            "Sydney",
            "Dublin",
            "Oslo",
            "Helsinki",
            "Warsaw",
            "Seoul",
            "Toronto",
            "Lyon",
            "Munich",
            "Zurich",
            "Athens",
            "Budapest",
            "Copenhagen",
            "Amsterdam",
            "Barcelona",
            "Melbourne",
            "Vancouver",
            "Seattle",
            "Austin",
            "Cape Town",
            "Buenos Aires",
            "Lima",
            "Hanoi",
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
            "Acme",
            "Umbrella",
            "Stark Industries",
            "Oscorp",
            "Aperture",
            "Dunder Mifflin",
            "Sterling Cooper",
            "Blue Sun",
            "Nakatomi",
            "Prestige Worldwide",
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
            "accountant",
            "architect",
            "electrician",
            "chef",
            "barista",
            "photographer",
            "data analyst",
            "police officer",
            "social worker",
            "midwife",
            "optician",
            "welder",
            "zookeeper",
            "tailor",
            "florist",
            "paralegal",
            "radiographer",
            "surgeon",
            "economist",
            "geologist",
            "locksmith",
            "bus driver",
        ],
        "name" => &[
            "Anna", "Mark", "Sofia", "David", "Emma", "Lucas", "Olivia", "Noah", "Clara", "Hugo",
            "Lena", "Omar", "Yuki", "Carlos", "Nadia", "Felix", "Zara", "Aiden", "Mila", "Theo",
        ],
        "diet" => &[
            "dairy-free",
            "paleo",
            "halal",
            "kosher",
            "low-carb",
            "plant-based",
            "gluten-free",
            "flexitarian",
            "carnivore",
            "Mediterranean",
            "raw food",
            "lactose-free",
            "macrobiotic",
            "low-fat",
            "sugar-free",
            "fruitarian",
        ],
        "food" => &[
            "pizza",
            "sushi",
            "burgers",
            "pho",
            "falafel",
            "risotto",
            "goulash",
            "pierogi",
            "burritos",
            "kebabs",
            "gnocchi",
            "biryani",
            "pad thai",
            "croissants",
            "empanadas",
            "moussaka",
            "ceviche",
            "bibimbap",
            "schnitzel",
            "fondue",
            "jollof rice",
            "poutine",
            "shakshuka",
        ],
        "music" => &[
            "classical",
            "hip hop",
            "country",
            "metal",
            "blues",
            "folk",
            "opera",
            "soul",
            "indie rock",
            "k-pop",
            "gospel",
            "grunge",
            "disco",
            "drum and bass",
            "afrobeat",
            "ambient",
            "trance",
            "house",
            "ska",
            "flamenco",
            "bossa nova",
            "synthpop",
            "dubstep",
        ],
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

/// The vocabulary key of the value that fills a slot.
pub(crate) fn slot_key(slot: Slot) -> &'static str {
    match slot {
        Slot::Home => "city",
        Slot::Employer => "company",
        Slot::Role => "job",
        Slot::Partner => "name",
        Slot::Diet => "diet",
        Slot::FavouriteFood => "food",
        Slot::FavouriteMusic => "music",
    }
}

/// A value for a vocabulary key other than `not`: for names (cities, companies, people) an invented
/// one half the time, so that the pair model learns the wording around a name rather than the names
/// it was shown.
pub(crate) fn value(rng: &mut Rng, key: &str, not: Option<&str>) -> String {
    loop {
        let v = match invented(rng, key) {
            Some(name) => name,
            None => pick(rng, vocabulary(key)).to_string(),
        };
        if Some(v.as_str()) != not {
            return v;
        }
    }
}

/// A clause from one of `family`'s templates in `split`: `{key}` set to `value` where the template
/// has it (for `Some((key, value))`), every other placeholder drawn.
pub(crate) fn fact(
    rng: &mut Rng,
    family: &Family,
    split: Split,
    given: Option<(&str, &str)>,
) -> String {
    let template = *pick::<&str>(rng, &split.templates(family.2));
    match given {
        Some((key, value)) => {
            fill(&template.replace(&format!("{{{key}}}"), value), rng, vocabulary)
        }
        None => fill(template, rng, vocabulary),
    }
}

/// A noise clause from `split`'s templates.
pub(crate) fn noise(rng: &mut Rng, split: Split) -> String {
    fill(pick::<&str>(rng, &split.templates(NOISE)), rng, vocabulary)
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
                let (category, _, templates) = pick(&mut rng, FACTS);
                let clause =
                    fill(pick::<&str>(&mut rng, &split.templates(templates)), &mut rng, vocabulary);
                Example { clause, important: true, category: Some(*category) }
            } else {
                let clause = fill(pick::<&str>(&mut rng, &noise), &mut rng, vocabulary);
                Example { clause, important: false, category: None }
            }
        })
        .collect()
}
