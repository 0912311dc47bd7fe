//! A real letter with one thing changed: exactly the facts that depend on it change.

use imrlint::input::Origin;
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;
use std::sync::LazyLock;

static LINTER: LazyLock<Linter> =
    LazyLock::new(|| Linter::with_rules(RuleSet::built_in().expect("built-in rules")));
const SEED_000: &str = include_str!("../cases/seed-000.txt");

fn facts(text: &str) -> serde_json::Value {
    let (_, letter) = LINTER
        .read_bytes(Origin::File("variant.txt".into()), text.as_bytes().to_vec())
        .unwrap();
    serde_json::to_value(LINTER.facts(&letter)).unwrap()
}

/// Facts without their places, for comparing letters whose text moved.
fn strip(mut v: serde_json::Value) -> serde_json::Value {
    fn go(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for k in ["start", "end", "line", "column"] {
                    m.remove(k);
                }
                m.values_mut().for_each(go);
            }
            serde_json::Value::Array(xs) => xs.iter_mut().for_each(go),
            _ => {}
        }
    }
    go(&mut v);
    v
}

/// The letter with one piece replaced; the piece must be there.
fn changed(from: &str, to: &str) -> String {
    assert!(SEED_000.contains(from), "{from:?} is not in the letter");
    SEED_000.replacen(from, to, 1)
}

fn item0(v: &serde_json::Value) -> &serde_json::Value {
    &v["items"][0]
}

#[test]
fn the_original() {
    let v = facts(SEED_000);
    assert_eq!(item0(&v)["use"]["weeks"], 25);
    assert_eq!(item0(&v)["drug"]["name"], "clonazepam");
    // facts_of reads the same letter from disk the same way.
    let from_file = LINTER.facts_of(Origin::File(
        concat!(env!("CARGO_MANIFEST_DIR"), "/cases/seed-000.txt").into(),
    ));
    assert_eq!(serde_json::to_value(from_file.facts).unwrap(), v);
}

#[test]
fn a_brand_for_the_generic_changes_only_the_written_name() {
    let before = facts(SEED_000);
    let after = facts(&changed(
        "prescribed clonazepam \n\nsince",
        "prescribed Klonopin \n\nsince",
    ));
    assert_eq!(
        strip(item0(&after)["use"].clone()),
        strip(item0(&before)["use"].clone())
    );
    assert_eq!(after["medications"][0]["drug"], "clonazepam");
    assert_eq!(
        after["medications"][0]["names"],
        serde_json::json!(["clonazepam", "Klonopin"])
    );
}

#[test]
fn a_later_request_date_lengthens_the_use() {
    let after = facts(&changed(
        "authorization dated 04/21/2014",
        "authorization dated 10/21/2014",
    ));
    assert_eq!(after["reference_date"]["date"], "2014-10-21");
    assert_eq!(item0(&after)["use"]["weeks"], 52);
    assert_eq!(item0(&after)["request"], item0(&facts(SEED_000))["request"]);
}

#[test]
fn the_decision_label_changes_only_the_decision() {
    let before = facts(SEED_000);
    let after = facts(&changed("1 refill:  Upheld", "1 refill:  Overturned"));
    assert_eq!(item0(&after)["decision"]["value"], "overturned");
    assert_eq!(item0(&after)["request"], item0(&before)["request"]);
    assert_eq!(after["medications"], before["medications"]);
}

#[test]
fn a_frequency_in_the_request_is_read() {
    let after = facts(&changed(
        "Clonazepam 1 mg #90 with 1 refill:",
        "Clonazepam 1 mg BID #90 with 1 refill:",
    ));
    assert_eq!(
        item0(&after)["request"]["frequency"]["per_day"],
        serde_json::json!([2.0, 2.0])
    );
    assert_eq!(item0(&after)["request"]["quantity"]["value"], 90.0);
}

#[test]
fn pdf_noise_does_not_change_the_facts() {
    // CRLF line ends, a page footer, a form feed with a running header, and a lost space.
    let noisy = changed(
        "mood disorder.  \n\nThe treatment",
        "mood disorder.The treatment",
    )
    .replace('\n', "\r\n")
    .replace(
        "CLINICAL CASE SUMMARY",
        "Page 1 of 3\r\n\x0c HOW THE IMR FINAL DETERMINATION WAS MADE \r\nCLINICAL CASE SUMMARY",
    );
    assert!(noisy.contains("Page 1 of 3"));
    assert_eq!(strip(facts(&noisy)), strip(facts(SEED_000)));
}

/// The findings of a letter, as their codes.
fn finding_codes(text: &str) -> Vec<String> {
    let (_, letter) = LINTER
        .read_bytes(Origin::File("variant.txt".into()), text.as_bytes().to_vec())
        .unwrap();
    let facts = LINTER.facts(&letter);
    let mut codes: Vec<String> = LINTER
        .evaluate(&letter, &facts)
        .findings
        .iter()
        .map(|f| f.code())
        .collect();
    codes.sort();
    codes
}

/// A date of injury written into the rationale: the letter's own changes nothing, another day
/// adds exactly one record-contradiction.
#[test]
fn a_wrong_date_of_injury_in_the_rationale_is_the_one_new_finding() {
    let original = finding_codes(SEED_000);
    let with = |date: &str| {
        finding_codes(&changed(
            "Decision rationale: The California",
            &format!("Decision rationale: The date of injury was {date}. The California"),
        ))
    };
    assert_eq!(with("01/31/2003"), original);
    let mut expected = original.clone();
    expected.push("record-contradiction".to_string());
    expected.sort();
    assert_eq!(with("02/01/2003"), expected);
}

/// A real letter of the corpus (skipped, with a note, where the corpus is not beside the repo).
fn corpus_letter(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/text")
        .join(name);
    let text = std::fs::read_to_string(&path).ok();
    if text.is_none() {
        println!("note: {} not found; skipping", path.display());
    }
    text
}

/// Chiropractic care under the Chronic Pain guideline's manipulation criteria six weeks after a
/// low back injury: a stage note. The same letter with the injury a year earlier loses exactly
/// that note.
#[test]
fn an_injury_a_year_earlier_takes_away_only_the_stage_note() {
    let Some(original) = corpus_letter("CM17-0004738.txt") else {
        return;
    };
    let before = finding_codes(&original);
    assert!(
        before.contains(&"citation-mismatch".to_string()),
        "{before:?}"
    );
    let earlier = original
        .replacen(
            "Date of Injury:  11/14/2016",
            "Date of Injury:  11/14/2015",
            1,
        )
        .replacen("injury on 11-14-2016", "injury on 11-14-2015", 1);
    assert_ne!(earlier, original, "both dates are in the letter");
    let mut expected = before.clone();
    let at = expected
        .iter()
        .position(|c| c == "citation-mismatch")
        .unwrap();
    expected.remove(at);
    assert_eq!(finding_codes(&earlier), expected);
}
