//! Invented letters for unit tests: a 2016-layout letter around a case summary and items, read
//! through the one pipeline, [`Linter`], with the built-in rules.

use std::sync::LazyLock;

use crate::facts::Facts;
use crate::input::Origin;
use crate::letter::Letter;
use crate::linter::Linter;
use crate::rules::RuleSet;

/// A linter of the built-in rules and no settings file, built once for all unit tests.
pub(crate) fn linter() -> &'static Linter {
    static LINTER: LazyLock<Linter> =
        LazyLock::new(|| Linter::with_rules(RuleSet::for_tests().clone()));
    &LINTER
}

/// An item: treatment, decision label, guideline line, rationale.
pub(crate) type TestItem<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A letter injured on 10/16/2015, its UR denial dated 10/20/2016, around `summary` and `items`.
pub(crate) fn letter_text(summary: &str, items: &[TestItem]) -> String {
    let mut out = format!(
        "Case Number: CM16-0000001\nDate Assigned: 11/23/2016 Date of Injury: 10/16/2015\nDecision Date: 12/21/2016 UR Denial Date: 10/20/2016\n\nHOW THE IMR FINAL DETERMINATION WAS MADE\nMAXIMUS Federal Services sent the case file to an expert reviewer.\n\nCLINICAL CASE SUMMARY\n{summary}\n\nIMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions for the disputed items/services set forth below:\n"
    );
    for (treatment, decision, guideline, rationale) in items {
        out.push_str(&format!(
            "\n{treatment}: {decision}\n\nClaims Administrator guideline: The Claims Administrator did not cite any medical evidence for its decision.\n\nMAXIMUS guideline: {guideline}\n\nDecision rationale: {rationale}\n"
        ));
    }
    out
}

/// The letter, read.
pub(crate) fn letter(summary: &str, items: &[TestItem]) -> Letter {
    let origin = Origin::File("invented.txt".into());
    linter()
        .read_bytes(origin, letter_text(summary, items).into_bytes())
        .expect("a letter")
        .1
}

/// Items that are only treatments: upheld, with no reason given.
fn upheld<'a>(treatments: &[&'a str]) -> Vec<TestItem<'a>> {
    treatments
        .iter()
        .map(|t| {
            (
                *t,
                "Upheld",
                "Decision based on MTUS.",
                "Not medically necessary.",
            )
        })
        .collect()
}

/// The facts of a letter whose items are only treatments (upheld, no rationale to speak of).
pub(crate) fn facts(summary: &str, treatments: &[&str]) -> Facts {
    linter().facts(&letter(summary, &upheld(treatments)))
}

/// The evaluation of the same letter.
pub(crate) fn checked(summary: &str, treatments: &[&str]) -> crate::check::Checked {
    let letter = letter(summary, &upheld(treatments));
    let facts = linter().facts(&letter);
    linter().evaluate(&letter, &facts)
}
