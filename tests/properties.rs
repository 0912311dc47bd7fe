//! Property tests: whatever bytes come in, reading never panics and every span of every fact lies
//! inside the text, on character boundaries; and a normal examination, however it is written,
//! never reads as an abnormal finding.

use imrlint::input::Origin;
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;
use proptest::prelude::*;
use std::sync::LazyLock;

static LINTER: LazyLock<Linter> =
    LazyLock::new(|| Linter::with_rules(RuleSet::built_in().expect("built-in rules")));

const SEED: &str = include_str!("../cases/seed-002.txt");
const LETTER_2016: &str = include_str!("../cases/layout-maximus-2.txt");

/// Reads bytes as far as they go and checks every span in the facts.
fn read_and_check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let Ok((_, l)) = LINTER.read_bytes(Origin::File("fuzz.txt".into()), bytes) else {
        return Ok(());
    };
    let original = l.text.original().to_string();
    let f = LINTER.facts(&l);
    let value = serde_json::to_value(&f).expect("facts serialize");
    check_spans(&value, &original)
}

fn check_spans(v: &serde_json::Value, text: &str) -> Result<(), TestCaseError> {
    match v {
        serde_json::Value::Object(map) => {
            if let (Some(s), Some(e)) = (map.get("start"), map.get("end")) {
                let (s, e) = (s.as_u64().unwrap() as usize, e.as_u64().unwrap() as usize);
                prop_assert!(
                    s <= e && e <= text.len(),
                    "span {s}..{e} outside {}",
                    text.len()
                );
                prop_assert!(
                    text.is_char_boundary(s) && text.is_char_boundary(e),
                    "span {s}..{e} splits a character"
                );
                prop_assert!(
                    map.get("line")
                        .and_then(|l| l.as_u64())
                        .is_some_and(|l| l >= 1)
                );
            }
            for x in map.values() {
                check_spans(x, text)?;
            }
        }
        serde_json::Value::Array(xs) => {
            for x in xs {
                check_spans(x, text)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A letter with one random edit: a cut, an insertion of arbitrary text, or a repeated piece.
fn mutated(letter: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let len = letter.len();
    (
        0..len,
        0..len,
        prop::collection::vec(any::<u8>(), 0..64),
        0u8..3,
    )
        .prop_map(move |(a, b, noise, kind)| {
            let (a, b) = (a.min(b), a.max(b));
            let mut out = letter.as_bytes().to_vec();
            match kind {
                0 => {
                    out.drain(a..b);
                }
                1 => {
                    out.splice(a..a, noise);
                }
                _ => {
                    let piece = out[a..b.min(a + 400)].to_vec();
                    out.splice(b..b, piece);
                }
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        read_and_check(bytes)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s)[ -~\\n\\r\\t\\x0c\u{a0}\u{2019}\u{fb01}-]{0,600}") {
        read_and_check(text.into_bytes())?;
    }

    #[test]
    fn mutated_seed_letters_keep_spans_inside(bytes in mutated(SEED)) {
        read_and_check(bytes)?;
    }

    #[test]
    fn mutated_later_letters_keep_spans_inside(bytes in mutated(LETTER_2016)) {
        read_and_check(bytes)?;
    }

    #[test]
    fn a_normal_examination_never_yields_an_abnormal_finding(
        exam in prop::collection::vec(normal_exam_sentence(), 1..5)
    ) {
        let summary = format!("The injured worker is a 40 year old male with low back pain. {}", exam.join(" "));
        let letter = format!(
            "Case Number: CM16-0000001\nDate of Injury: 10/16/2015\n\nHOW THE IMR FINAL DETERMINATION WAS MADE\nx\n\nCLINICAL CASE SUMMARY\n{summary}\n\nIMR ISSUES, DECISIONS AND RATIONALES\nMRI of the lumbar spine: Upheld\nDecision rationale: Not medically necessary.\n"
        );
        let (_, l) = LINTER
            .read_bytes(Origin::File("exam.txt".into()), letter.into_bytes())
            .expect("a letter");
        let facts = LINTER.facts(&l);
        for c in &facts.concepts {
            prop_assert!(
                !(ABNORMAL.contains(&c.concept.as_str()) && c.status == imrlint::rules::Status::Affirmed),
                "`{}` read as an affirmed {} in: {summary}",
                c.text,
                c.concept
            );
        }
    }
}

/// The concepts a normal examination must never affirm: an objective neurologic finding, and
/// radicular signs.
const ABNORMAL: [&str; 2] = ["neurologic-deficit", "radiculopathy"];

/// One sentence of a normal neurologic examination, in the ways notes write one.
fn normal_exam_sentence() -> impl Strategy<Value = String> {
    let test = prop::sample::select(vec![
        "Straight leg raise",
        "Straight leg raising",
        "Seated straight leg raise test",
        "SLR",
        "Spurling's test",
        "Spurling's maneuver",
        "Tinel's sign at the wrist",
        "Phalen's test",
    ]);
    let negative = prop::sample::select(vec![
        "was negative",
        "was negative bilaterally",
        "negative",
        "negative bilaterally",
        "is negative on the right",
        "was noted to be negative",
    ]);
    let level = prop::sample::select(vec!["C5-T1", "L4-S1", "L5 and S1", "C6 and C7", "L3-S1"]);
    let other = prop::sample::select(vec![
        "Motor strength was 5/5 throughout the lower extremities.",
        "Strength was 5/5 in all muscle groups.",
        "Reflexes were 2+ and symmetric.",
        "Deep tendon reflexes are 2+ and equal bilaterally.",
        "Patellar and Achilles reflexes were 2+ bilaterally.",
        "There were no focal neurologic deficits.",
        "The neurologic examination was normal.",
        "Gait was normal.",
        "Sensation was grossly intact.",
        "He denied numbness, tingling or weakness.",
    ]);
    prop_oneof![
        (test, negative).prop_map(|(t, n)| format!("{t} {n}.")),
        level
            .clone()
            .prop_map(|l| format!("Sensation was intact in the {l} dermatomes.")),
        level.prop_map(|l| format!("Sensation intact to light touch in the {l} dermatomes.")),
        other.prop_map(str::to_string),
    ]
}
