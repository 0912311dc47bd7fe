//! The real letters of `../shared/corpus` (97 letters, 2016-2017), as text and as PDF: every one
//! reads, with exactly the items and decisions its labels give. The corpus is never copied into
//! this repository; without it these tests print a note and pass.

use std::path::{Path, PathBuf};

use imrlint::input::Origin;
use imrlint::letter::{self, Decision};
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;

fn corpus(kind: &str) -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(kind);
    if !dir.is_dir() {
        eprintln!(
            "note: {} not found; skipping the corpus test",
            dir.display()
        );
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    Some(files)
}

/// The decision labels of a letter, read independently of the parser: every `: Upheld` or
/// `: Overturned` in its whitespace-folded text.
fn labels(text: &str) -> Vec<Decision> {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let re = regex::Regex::new(r":\s?(Upheld|Overturned)\b").unwrap();
    re.captures_iter(&folded)
        .map(|c| {
            if &c[1] == "Upheld" {
                Decision::Upheld
            } else {
                Decision::Overturned
            }
        })
        .collect()
}

fn linter() -> Linter {
    Linter::with_rules(RuleSet::built_in().unwrap())
}

fn read(linter: &Linter, path: &Path) -> letter::Letter {
    linter
        .read(Origin::File(path.to_path_buf()))
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
        .1
}

fn check(kind: &str) {
    let Some(files) = corpus(kind) else { return };
    assert_eq!(files.len(), 97, "letters in the corpus");
    let (mut upheld, mut overturned) = (0, 0);
    let linter = linter();
    for path in &files {
        let l = read(&linter, path);
        let expected = labels(l.text.original());
        let got: Vec<Decision> = l.items.iter().map(|i| i.decision).collect();
        assert_eq!(got, expected, "{}: decisions", path.display());
        for item in &l.items {
            let t = l.folded(&item.treatment);
            assert!(
                t.chars().filter(|c| c.is_alphabetic()).count() >= 3,
                "{}: item {} has no treatment: {t:?}",
                path.display(),
                item.index
            );
            for marker in [
                "Decision rationale",
                "guideline:",
                "medically necessary",
                "The Final Determination",
            ] {
                assert!(
                    !t.contains(marker),
                    "{}: treatment {:?} runs into the previous item",
                    path.display(),
                    t
                );
            }
            assert!(
                item.rationale.is_some(),
                "{}: item {} has no rationale",
                path.display(),
                item.index
            );
            assert!(
                item.reviewer_guideline.is_some(),
                "{}: item {} has no reviewer guideline",
                path.display(),
                item.index
            );
        }
        upheld += got.iter().filter(|d| **d == Decision::Upheld).count();
        overturned += got.iter().filter(|d| **d == Decision::Overturned).count();
    }
    assert_eq!((upheld, overturned), (185, 35), "items by decision");
}

#[test]
fn every_text_letter_reads_with_its_labelled_items() {
    check("text");
}

#[test]
fn every_pdf_letter_reads_with_its_labelled_items() {
    check("pdf");
}

/// The PDF and its text layer give the same treatments.
#[test]
fn pdf_and_text_agree() {
    let (Some(texts), Some(pdfs)) = (corpus("text"), corpus("pdf")) else {
        return;
    };
    let linter = linter();
    for (t, p) in texts.iter().zip(&pdfs) {
        let (a, b) = (read(&linter, t), read(&linter, p));
        let treatments = |l: &letter::Letter| {
            l.items
                .iter()
                .map(|i| l.folded(&i.treatment).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            treatments(&a),
            treatments(&b),
            "{} vs {}",
            t.display(),
            p.display()
        );
    }
}

fn facts_without_places(path: &Path, linter: &Linter) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for k in ["start", "end", "line", "column", "path"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(xs) => xs.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(linter.facts_of(Origin::File(path.to_path_buf()))).unwrap();
    strip(&mut v);
    v.as_object_mut().unwrap().remove("notes");
    v
}

/// A letter read from its PDF gives the same facts as its text layer, place for place aside.
#[test]
fn pdf_and_text_give_the_same_facts() {
    let (Some(texts), Some(pdfs)) = (corpus("text"), corpus("pdf")) else {
        return;
    };
    let linter = linter();
    for (t, p) in texts.iter().zip(&pdfs) {
        assert_eq!(
            facts_without_places(t, &linter),
            facts_without_places(p, &linter),
            "{} vs {}",
            t.display(),
            p.display()
        );
    }
}

/// Every medication item of the corpus names a drug the lexicon knows, with its class.
#[test]
fn every_corpus_medication_resolves_to_a_drug() {
    let Some(files) = corpus("text") else { return };
    let linter = linter();
    let mut medications = 0;
    for path in &files {
        let v = facts_without_places(path, &linter);
        for item in v["facts"]["items"].as_array().unwrap() {
            if item["category"] == "medication" {
                medications += 1;
                assert!(
                    item["drug"]["class"].is_string(),
                    "{}: {} has no drug class",
                    path.display(),
                    item["treatment"]["value"]
                );
            }
        }
    }
    assert!(medications >= 40, "only {medications} medication items");
}
