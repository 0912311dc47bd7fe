//! `rules/requests.yaml`: how requests are written (dosing shorthand and units), so that the
//! request parser can read `Norco 10/325mg 1 tab PO q6h prn #120` without knowing pharmacy.

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use super::patterns::{compile_as_written, compile_list, compile_one, find_words};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestsFile {
    /// Dosing shorthand and the plain words it stands for; `$1` stands for the pattern's first group.
    pub abbreviations: Vec<Abbreviation>,
    /// Units of strength ('mg', '%').
    pub strength_units: Vec<String>,
    /// Units of count ('tablets', 'patches', 'grams').
    pub count_units: Vec<String>,
    /// How a strength is written: groups `value` and `unit`; `{strength_unit}` stands for any of
    /// `strength_units`. The first match counts.
    #[serde(default)]
    pub strength: Vec<String>,
    /// How a quantity dispensed is written: a group `n` and, where written, `unit`;
    /// `{count_unit}` stands for any of `count_units`. The last match counts.
    #[serde(default)]
    pub quantity: Vec<String>,
    /// How a case summary says sessions were already completed: regexes with a group `n`, where
    /// `{number}` stands for a number in digits or words ('has completed {number} sessions').
    #[serde(default)]
    pub completed_sessions: Vec<String>,
    /// How a case summary says a treatment was already given, without a count ('treatment to
    /// date has included acupuncture', 'previous chiropractic care').
    #[serde(default)]
    pub prior_treatment: Vec<String>,
    /// Sentences about the request and its review, which say nothing of treatment given
    /// ('the request for acupuncture was previously denied').
    #[serde(default)]
    pub about_the_request: Vec<String>,
    /// What a patient does on their own ('home exercise program'): named among the treatment
    /// given, it is not sessions of the therapy whose category it shares.
    #[serde(default)]
    pub self_directed: Vec<String>,
    /// How long treatment lasted, in a sentence about treatment: regexes with a group `n` (a
    /// number, `{number}` as in `completed_sessions`) and a group naming the unit (`day`,
    /// `week` or `month`).
    #[serde(default)]
    pub treatment_duration: Vec<String>,
    /// Numbers in words: what `{number}` stands for, and the value of each word.
    #[serde(default)]
    pub numbers: Numbers,
    /// How often: a count `n` (to `n2`) and a unit group (`day`, `week`, `month`, or `hours` for
    /// every n hours); a group `as_needed`.
    #[serde(default)]
    pub frequency: Vec<String>,
    /// Refills: a count `n`.
    #[serde(default)]
    pub refills: Vec<String>,
    /// A supply: a count `n` and a unit group (`day`, `week`, `month`).
    #[serde(default)]
    pub days_supply: Vec<String>,
    /// A therapy schedule: groups `per` (sessions a week) and `weeks`, or `per` (sessions a
    /// month) and `months`.
    #[serde(default)]
    pub schedule: Vec<String>,
    /// A stated count of therapy sessions: a group `n`.
    #[serde(default)]
    pub sessions: Vec<SessionsPattern>,
    /// Words that make a count a duration when they follow it (`times six weeks`).
    #[serde(default)]
    pub durations: Vec<String>,
    /// How many weeks of therapy: a group `n`.
    #[serde(default)]
    pub weeks: Vec<String>,
    /// The case summary's own account of the patient and of the request, as written (these
    /// patterns are used exactly as written: mark word boundaries with `\b`).
    #[serde(default)]
    pub summary: SummaryPhrases,
}

/// How a case summary states the patient's age, sex, injury and diagnoses, and names the request
/// for authorization and its utilization review, whose dates decide the reference date.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryPhrases {
    /// A sentence naming the request for authorization: its latest date is the reference date.
    #[serde(default)]
    pub request_for_authorization: Vec<String>,
    /// A sentence naming utilization review: its latest date is the reference date when no
    /// request for authorization is dated.
    #[serde(default)]
    pub utilization_review: Vec<String>,
    /// A sentence about the injury: its first date is the date of injury when the header has none.
    #[serde(default)]
    pub injury: Vec<String>,
    /// A phrase that gives the date of injury: the date right after it is that date (`the date
    /// of injury was`, `injured on`).
    #[serde(default)]
    pub injury_date: Vec<String>,
    /// Words that make a sentence's injury another one than the claim's (`a prior injury`): the
    /// date a phrase of `injury_date` gives there is not the date of injury.
    #[serde(default)]
    pub other_injury: Vec<String>,
    /// The patient's age: a pattern with a group `age` (`40-year-old`); the earliest match wins.
    #[serde(default)]
    pub age: Vec<String>,
    /// The patient's sex, by the words that say it, in the sentence that gives the age.
    #[serde(default)]
    pub sex: Vec<SexWords>,
    /// Where diagnoses are listed: patterns with a group `list` (`The diagnoses included ...`).
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// What separates the diagnoses of a list (`, `, ` and `).
    #[serde(default)]
    pub list_separator: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SexWords {
    /// A pattern of the words (`male|man|gentleman`).
    pub pattern: String,
    pub means: Sex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn id(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// The summary's phrases, compiled.
#[derive(Debug, Clone)]
pub struct Summary {
    pub request_for_authorization: Vec<Regex>,
    pub utilization_review: Vec<Regex>,
    pub injury: Vec<Regex>,
    pub injury_date: Vec<Regex>,
    pub other_injury: Vec<Regex>,
    pub age: Vec<Regex>,
    pub sex: Vec<(Regex, Sex)>,
    pub diagnoses: Vec<Regex>,
    pub list_separator: Vec<Regex>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Numbers {
    /// Cardinal numbers in words: with digits, what `{number}` stands for, tried in this order.
    #[serde(default)]
    pub words: Vec<NumberWord>,
    /// Other words with a value, which count only where a pattern names them (`twice`, `no`).
    #[serde(default)]
    pub other_words: Vec<NumberWord>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberWord {
    pub word: String,
    pub value: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsPattern {
    pub pattern: String,
    /// The count stands before its noun: a duration word inside the match (`four weeks of
    /// therapy sessions`) makes it a duration.
    #[serde(default)]
    pub count_first: bool,
    /// The pattern counts days attended (`10 days`): read only for categories whose `counts`
    /// is `days` (programs), where a day is a session.
    #[serde(default)]
    pub days_attended: bool,
}

/// The unit of time a grammar pattern's match names, by the group that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Hour,
    Day,
    Week,
    Month,
}

impl TimeUnit {
    const GROUPS: [(&'static str, TimeUnit); 4] = [
        ("hours", TimeUnit::Hour),
        ("day", TimeUnit::Day),
        ("week", TimeUnit::Week),
        ("month", TimeUnit::Month),
    ];

    /// The unit whose group took part in the match.
    pub fn of(c: &Captures) -> Option<TimeUnit> {
        Self::GROUPS
            .iter()
            .find(|(g, _)| c.name(g).is_some())
            .map(|(_, u)| *u)
    }

    /// The unit groups a pattern has.
    fn groups_in(re: &Regex) -> usize {
        Self::GROUPS
            .iter()
            .filter(|(g, _)| re.capture_names().any(|n| n == Some(*g)))
            .count()
    }
}

/// How a request states how often, how many and how long, compiled. Each list is read with
/// [`first_of`](super::patterns::first_of): where two patterns match at one place, the first listed wins.
#[derive(Debug, Clone)]
pub struct Grammar {
    pub frequency: Vec<Regex>,
    pub refills: Vec<Regex>,
    pub days_supply: Vec<Regex>,
    pub schedule: Vec<Regex>,
    pub sessions: Vec<Regex>,
    /// For each of `sessions`, whether its count stands before its noun.
    pub sessions_count_first: Vec<bool>,
    /// For each of `sessions`, whether it counts days attended.
    pub sessions_days_attended: Vec<bool>,
    /// Lower-cased.
    pub durations: Vec<String>,
    pub weeks: Vec<Regex>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Abbreviation {
    pub pattern: String,
    pub means: String,
}

#[derive(Debug, Clone)]
pub struct Requests {
    abbreviations: Vec<(Regex, String)>,
    /// `10/325 mg`, `0.5mg`, `5%`: group `value`, group `unit`; read with [`first_of`](super::patterns::first_of).
    pub strength: Vec<Regex>,
    /// `#90`, `#60 grams`, `qty: 10.00`, `90 tablets`: group `n`, optional group `unit`; read
    /// with [`first_of`](super::patterns::first_of).
    pub quantity: Vec<Regex>,
    /// Sessions already completed, in a summary sentence: group `n`.
    pub completed_sessions: Vec<Regex>,
    pub prior_treatment: Vec<Regex>,
    pub about_the_request: Vec<Regex>,
    pub self_directed: Vec<Regex>,
    pub treatment_duration: Vec<Regex>,
    pub summary: Summary,
    pub grammar: Grammar,
    /// Every number word with its value.
    numbers: Vec<(String, f64)>,
}

/// The units as one regex alternation, longest first so `mg/ml` wins over `mg`.
fn units_alternation(units: &[String]) -> String {
    let mut units: Vec<&String> = units.iter().collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.len()));
    units
        .iter()
        .map(|u| regex::escape(u))
        .collect::<Vec<_>>()
        .join("|")
}

impl Requests {
    pub fn compile(file: &RuleFile, f: RequestsFile) -> Result<Requests, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut abbreviations = Vec::new();
        for (i, a) in f.abbreviations.iter().enumerate() {
            match compile_one(&a.pattern) {
                Ok(re) => abbreviations.push((re, a.means.clone())),
                Err(m) => errors.push(file.error(
                    &format!("abbreviations[{i}].pattern"),
                    format!("invalid pattern: {m}"),
                    None,
                )),
            }
        }
        let mut units = |key: &str, list: &[String]| {
            for (i, u) in list.iter().enumerate() {
                if u.trim().is_empty() || u.contains(char::is_whitespace) {
                    errors.push(file.error(
                        &format!("{key}[{i}]"),
                        format!("`{u}` is not a unit: units are single words"),
                        None,
                    ));
                }
            }
        };
        units("strength_units", &f.strength_units);
        units("count_units", &f.count_units);
        let patterns = |key: &str, list: &[String], errors: &mut Vec<RuleError>| {
            compile_list(file, key, list, compile_one, &[], errors)
        };
        let prior_treatment = patterns("prior_treatment", &f.prior_treatment, &mut errors);
        let about_the_request = patterns("about_the_request", &f.about_the_request, &mut errors);
        let self_directed = patterns("self_directed", &f.self_directed, &mut errors);
        // `{number}`: digits or a cardinal word.
        let number = std::iter::once(r"\d+".to_string())
            .chain(f.numbers.words.iter().map(|w| regex::escape(&w.word)))
            .collect::<Vec<_>>()
            .join("|");
        let numbered = |p: &str| p.replace("{number}", &format!("(?:{number})"));
        // Patterns with `{number}` and the named groups they must have.
        let counted = |key: &str, list: &[String], groups: &[&str], errors: &mut Vec<RuleError>| {
            let numbered = list.iter().map(|p| numbered(p));
            compile_list(file, key, numbered, compile_one, groups, errors)
        };
        let completed_sessions = counted(
            "completed_sessions",
            &f.completed_sessions,
            &["n"],
            &mut errors,
        );
        let treatment_duration = counted(
            "treatment_duration",
            &f.treatment_duration,
            &["n"],
            &mut errors,
        );
        require_unit(file, "treatment_duration", &treatment_duration, &mut errors);
        let grammar = Grammar::compile(file, &f, &numbered, &mut errors);
        let summary = Summary::compile(file, &f.summary, &mut errors);
        // `{strength_unit}` and `{count_unit}`: any unit of the lists.
        let strength_unit = units_alternation(&f.strength_units);
        let count_unit = units_alternation(&f.count_units);
        let with_units = |p: &String| {
            p.replace("{strength_unit}", &format!("(?:{strength_unit})"))
                .replace("{count_unit}", &format!("(?:{count_unit})"))
        };
        let strength = compile_list(
            file,
            "strength",
            f.strength.iter().map(with_units),
            compile_as_written,
            &["value", "unit"],
            &mut errors,
        );
        let quantity = compile_list(
            file,
            "quantity",
            f.quantity.iter().map(with_units),
            compile_as_written,
            &["n"],
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Requests {
            abbreviations,
            strength,
            quantity,
            completed_sessions,
            prior_treatment,
            about_the_request,
            self_directed,
            treatment_duration,
            summary,
            grammar,
            numbers: f
                .numbers
                .words
                .iter()
                .chain(&f.numbers.other_words)
                .map(|w| (w.word.to_ascii_lowercase(), w.value))
                .collect(),
        })
    }

    /// The value of a number in digits or in the words of `numbers:`.
    pub fn number(&self, s: &str) -> Option<f64> {
        let s = s.trim().to_ascii_lowercase();
        s.parse::<f64>()
            .ok()
            .or_else(|| self.numbers.iter().find(|(w, _)| *w == s).map(|(_, n)| *n))
    }

    /// The text with its dosing shorthand spelled out. Returns the expanded text and, for each
    /// byte of it, the byte of the input it came from, so matches map back.
    pub fn expand(&self, text: &str) -> (String, Vec<usize>) {
        let mut hits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for (re, means) in &self.abbreviations {
            for r in find_words(re, text) {
                if hits.iter().any(|(h, _)| h.start < r.end && r.start < h.end) {
                    continue;
                }
                let mut out = String::new();
                if let Some(caps) = re.captures(&text[r.clone()]) {
                    caps.expand(means, &mut out);
                }
                hits.push((r, out));
            }
        }
        hits.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(text.len() + 16);
        let mut origin = Vec::with_capacity(text.len() + 16);
        let mut at = 0;
        for (r, with) in hits {
            out.push_str(&text[at..r.start]);
            origin.extend(at..r.start);
            out.push_str(&with);
            origin.extend(std::iter::repeat_n(r.start, with.len()));
            at = r.end;
        }
        out.push_str(&text[at..]);
        origin.extend(at..text.len());
        origin.push(text.len());
        (out, origin)
    }
}

impl Grammar {
    fn compile(
        file: &RuleFile,
        f: &RequestsFile,
        numbered: &dyn Fn(&str) -> String,
        errors: &mut Vec<RuleError>,
    ) -> Grammar {
        let mut list = |key: &str, patterns: &[String], groups: &[&str]| {
            let patterns = patterns.iter().map(|p| numbered(p));
            compile_list(file, key, patterns, compile_as_written, groups, errors)
        };
        let frequency = list("frequency", &f.frequency, &[]);
        let refills = list("refills", &f.refills, &["n"]);
        let days_supply = list("days_supply", &f.days_supply, &["n"]);
        let schedule = list("schedule", &f.schedule, &["per"]);
        let weeks = list("weeks", &f.weeks, &["n"]);
        let sessions: Vec<String> = f.sessions.iter().map(|s| s.pattern.clone()).collect();
        let sessions = list("sessions", &sessions, &["n"]);
        require_unit(file, "days_supply", &days_supply, errors);
        for (i, re) in schedule.iter().enumerate() {
            let has = |group: &str| re.capture_names().flatten().any(|n| n == group);
            if has("weeks") == has("months") {
                errors.push(file.error(
                    &format!("schedule[{i}]"),
                    "a schedule names its length with one group, `weeks` or `months`",
                    Some("name the count of weeks (?P<weeks>...) or of months (?P<months>...), with `per` the sessions in each".into()),
                ));
            }
        }
        for (i, re) in frequency.iter().enumerate() {
            if TimeUnit::groups_in(re) == 0 && !re.capture_names().any(|n| n == Some("as_needed")) {
                errors.push(file.error(
                    &format!("frequency[{i}]"),
                    "the pattern names no unit: a group `day`, `week`, `month` or `hours`, or `as_needed`",
                    Some("name the words of the unit, e.g. (?P<day>daily)".into()),
                ));
            }
        }
        Grammar {
            frequency,
            refills,
            days_supply,
            schedule,
            sessions_count_first: f.sessions.iter().map(|s| s.count_first).collect(),
            sessions_days_attended: f.sessions.iter().map(|s| s.days_attended).collect(),
            sessions,
            durations: f.durations.iter().map(|d| d.to_ascii_lowercase()).collect(),
            weeks,
        }
    }
}

/// Each pattern of `list` must name its unit of time by a group.
fn require_unit(file: &RuleFile, key: &str, list: &[Regex], errors: &mut Vec<RuleError>) {
    for (i, re) in list.iter().enumerate() {
        if TimeUnit::groups_in(re) == 0 {
            errors.push(file.error(
                &format!("{key}[{i}]"),
                "the pattern names no unit: a group `day`, `week` or `month`",
                Some("name the words of the unit, e.g. (?P<week>weeks?)".into()),
            ));
        }
    }
}

impl Summary {
    fn compile(file: &RuleFile, f: &SummaryPhrases, errors: &mut Vec<RuleError>) -> Summary {
        let mut list = |key: &str, patterns: &[String], groups: &[&str]| {
            let key = format!("summary.{key}");
            compile_list(file, &key, patterns, compile_as_written, groups, errors)
        };
        let request_for_authorization = list(
            "request_for_authorization",
            &f.request_for_authorization,
            &[],
        );
        let utilization_review = list("utilization_review", &f.utilization_review, &[]);
        let injury = list("injury", &f.injury, &[]);
        let injury_date = list("injury_date", &f.injury_date, &[]);
        let other_injury = list("other_injury", &f.other_injury, &[]);
        let age = list("age", &f.age, &["age"]);
        let diagnoses = list("diagnoses", &f.diagnoses, &["list"]);
        let list_separator = list("list_separator", &f.list_separator, &[]);
        let sex_patterns = f.sex.iter().map(|s| s.pattern.as_str());
        let sex = compile_list(
            file,
            "summary.sex",
            sex_patterns,
            compile_as_written,
            &[],
            errors,
        )
        .into_iter()
        .zip(f.sex.iter().map(|s| s.means))
        .collect();
        Summary {
            request_for_authorization,
            utilization_review,
            injury,
            injury_date,
            other_injury,
            age,
            sex,
            diagnoses,
            list_separator,
        }
    }
}

impl super::Knowledge for RequestsFile {
    const KIND: &'static str = "requests";
    type Compiled = Requests;

    fn compile(self, file: &RuleFile) -> Result<Requests, Vec<RuleError>> {
        Requests::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_shorthand_with_groups() {
        let file = RuleFile::new(
            "r.yaml",
            "abbreviations:\n  - {pattern: 'b\\.?i\\.?d\\.?', means: twice a day}\n  - {pattern: 'q(\\d+)h', means: every $1 hours}\nstrength_units: [mg]\ncount_units: [tablets]\n",
        );
        let r = Requests::compile(&file, file.parse().unwrap()).unwrap();
        let (text, origin) = r.expand("1 tab BID, 2 q6h");
        assert_eq!(text, "1 tab twice a day, 2 every 6 hours");
        assert_eq!(origin[text.find("every").unwrap()], 13);
        assert_eq!(origin.len(), text.len() + 1);
    }

    fn summary(yaml: &str) -> Result<Summary, Vec<RuleError>> {
        let text = format!(
            "abbreviations: []\nstrength_units: [mg]\ncount_units: [tablets]\nsummary:\n{yaml}"
        );
        let file = RuleFile::new("r.yaml", text);
        Requests::compile(&file, file.parse().unwrap()).map(|r| r.summary)
    }

    #[test]
    fn summary_phrases_are_used_as_written() {
        let s = summary(
            "  age: ['\\b(?P<age>\\d+)-year-old\\b']\n  sex: [{pattern: '\\bwoman\\b', means: female}]\n  diagnoses: ['diagnoses: (?P<list>[^.]+)']\n",
        )
        .unwrap();
        // Case-insensitive, and no word boundary added at the end of a list that runs to a stop.
        let c = s.diagnoses[0].captures("Diagnoses: strain (L4).").unwrap();
        assert_eq!(&c["list"], "strain (L4)");
        assert_eq!(s.sex[0].1, Sex::Female);
        assert!(s.age[0].is_match("A 40-YEAR-OLD man"));
    }

    #[test]
    fn a_summary_pattern_without_its_group_is_an_error_at_its_place() {
        let errors = summary("  age: ['\\d+ years old']\n").unwrap_err();
        assert!(
            errors[0].to_string().contains("no group `age`"),
            "{}",
            errors[0]
        );
        let errors = summary("  injury: ['(']\n").unwrap_err();
        assert!(
            errors[0].to_string().contains("invalid pattern"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn a_grammar_pattern_must_name_its_unit_and_count() {
        let compile = |yaml: &str| {
            let text =
                format!("abbreviations: []\nstrength_units: [mg]\ncount_units: [tablets]\n{yaml}");
            let file = RuleFile::new("r.yaml", text);
            Requests::compile(&file, file.parse().unwrap())
        };
        let errors = compile("frequency: ['\\b(?P<n>\\d+) a day\\b']\n").unwrap_err();
        assert!(errors[0].message.contains("names no unit"), "{errors:?}");
        let errors = compile("refills: ['(?P<count>\\d+) refills']\n").unwrap_err();
        assert!(errors[0].message.contains("no group `n`"), "{errors:?}");
        let errors = compile("schedule: ['(?P<per>\\d)x a week']\n").unwrap_err();
        assert!(
            errors[0].message.contains("`weeks` or `months`"),
            "{errors:?}"
        );
        let errors = compile(
            "schedule: ['(?P<per>\\d)x for (?P<weeks>\\d) weeks or (?P<months>\\d) months']\n",
        )
        .unwrap_err();
        assert!(
            errors[0].message.contains("`weeks` or `months`"),
            "{errors:?}"
        );
        assert!(compile("schedule: ['(?P<per>\\d)x/mo x (?P<months>\\d)']\n").is_ok());
        let r = compile(
            "numbers: {words: [{word: dozen, value: 12}]}\nfrequency: ['\\b(?P<n>{number}) times a (?P<day>day)\\b']\n",
        )
        .unwrap();
        assert_eq!(r.number("Dozen"), Some(12.0));
        assert!(r.grammar.frequency[0].is_match("dozen times a day"));
    }
}
