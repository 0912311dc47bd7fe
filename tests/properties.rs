//! Property tests: whatever bytes come in, reading never panics and every span of every fact lies
//! inside the text, on character boundaries.

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
}
