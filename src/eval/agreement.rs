//! How far two blind reviewers agree: Cohen's kappa on whether each item is sound, and on whether
//! it has a finding of each kind; and how many findings both raised (same item, kind and reason).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::{Value, json};

use crate::gold::{Gold, GoldKind};

/// Two raters' yes/no answers on the same items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Binary {
    pub both_yes: usize,
    pub only_a: usize,
    pub only_b: usize,
    pub both_no: usize,
}

impl Binary {
    fn add(&mut self, a: bool, b: bool) {
        match (a, b) {
            (true, true) => self.both_yes += 1,
            (true, false) => self.only_a += 1,
            (false, true) => self.only_b += 1,
            (false, false) => self.both_no += 1,
        }
    }

    fn total(&self) -> usize {
        self.both_yes + self.only_a + self.only_b + self.both_no
    }

    /// Cohen's kappa: agreement beyond what chance gives, (p_o - p_e) / (1 - p_e). Undefined
    /// (None) when chance agreement is already total, as when neither rater ever says yes.
    pub fn kappa(&self) -> Option<f64> {
        let n = self.total() as f64;
        if n == 0.0 {
            return None;
        }
        let observed = (self.both_yes + self.both_no) as f64 / n;
        let a_yes = (self.both_yes + self.only_a) as f64 / n;
        let b_yes = (self.both_yes + self.only_b) as f64 / n;
        let chance = a_yes * b_yes + (1.0 - a_yes) * (1.0 - b_yes);
        (chance < 1.0).then(|| (observed - chance) / (1.0 - chance))
    }

    pub fn observed(&self) -> Option<f64> {
        let n = self.total();
        (n > 0).then(|| (self.both_yes + self.both_no) as f64 / n as f64)
    }
}

/// The agreement of two reviewers over the letters both annotated.
#[derive(Debug, Clone, Default)]
pub struct Agreement {
    pub letters: usize,
    pub items: usize,
    /// Letters whose item lists differ in length: not compared.
    pub misaligned: Vec<String>,
    /// Yes: the item is not sound.
    pub unsound: Binary,
    /// Yes: the item has a finding of this kind.
    pub by_kind: BTreeMap<&'static str, Binary>,
    /// Findings both raised, and those only one did.
    pub findings_both: usize,
    pub findings_only_a: usize,
    pub findings_only_b: usize,
}

/// Compares the letters both reviewers annotated.
pub fn compare(a: &BTreeMap<String, Gold>, b: &BTreeMap<String, Gold>) -> Agreement {
    let mut out = Agreement::default();
    for (stem, ga) in a {
        let Some(gb) = b.get(stem) else { continue };
        if ga.file.items.len() != gb.file.items.len() {
            out.misaligned.push(format!(
                "{stem}: A lists {} item(s), B {}",
                ga.file.items.len(),
                gb.file.items.len()
            ));
            continue;
        }
        out.letters += 1;
        for (ia, ib) in ga.file.items.iter().zip(&gb.file.items) {
            out.items += 1;
            out.unsound.add(!ia.sound, !ib.sound);
            for kind in GoldKind::ALL {
                let has =
                    |item: &crate::gold::GoldItem| item.findings.iter().any(|f| f.kind == kind);
                out.by_kind
                    .entry(kind.id())
                    .or_default()
                    .add(has(ia), has(ib));
            }
            let mut taken = vec![false; ib.findings.len()];
            for fa in &ia.findings {
                let twin =
                    ib.findings.iter().enumerate().position(|(i, fb)| {
                        !taken[i] && fb.kind == fa.kind && fb.reason == fa.reason
                    });
                match twin {
                    Some(i) => {
                        taken[i] = true;
                        out.findings_both += 1;
                    }
                    None => out.findings_only_a += 1,
                }
            }
            out.findings_only_b += taken.iter().filter(|t| !**t).count();
        }
    }
    out
}

fn figure(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

impl Agreement {
    /// Findings both raised, as a share of all findings either raised (Dice's coefficient).
    pub fn findings_f1(&self) -> Option<f64> {
        let all = 2 * self.findings_both + self.findings_only_a + self.findings_only_b;
        (all > 0).then(|| 2.0 * self.findings_both as f64 / all as f64)
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "imrlint gold agreement: {} letters, {} items compared",
            self.letters, self.items
        );
        let _ = writeln!(
            out,
            "\n  {:<24} {:>6} {:>6} {:>6} {:>6} {:>9} {:>6}",
            "item has", "both", "only A", "only B", "none", "observed", "kappa"
        );
        let mut line = |name: &str, b: &Binary| {
            let _ = writeln!(
                out,
                "  {name:<24} {:>6} {:>6} {:>6} {:>6} {:>9} {:>6}",
                b.both_yes,
                b.only_a,
                b.only_b,
                b.both_no,
                figure(b.observed()),
                figure(b.kappa())
            );
        };
        line("a problem (not sound)", &self.unsound);
        for (kind, b) in &self.by_kind {
            if b.both_yes + b.only_a + b.only_b > 0 {
                line(kind, b);
            }
        }
        let _ = writeln!(
            out,
            "\nfindings (same item, kind and reason): {} both, {} only A, {} only B; F1 {}",
            self.findings_both,
            self.findings_only_a,
            self.findings_only_b,
            figure(self.findings_f1())
        );
        if !self.misaligned.is_empty() {
            let _ = writeln!(out, "\nnot compared ({}):", self.misaligned.len());
            for m in &self.misaligned {
                let _ = writeln!(out, "  {m}");
            }
        }
        out
    }

    pub fn json(&self) -> Value {
        let binary =
            |b: &Binary| json!({"counts": b, "observed": b.observed(), "kappa": b.kappa()});
        json!({
            "schema": "imrlint/agreement/v1",
            "letters": self.letters,
            "items": self.items,
            "unsound": binary(&self.unsound),
            "by_kind": self.by_kind.iter().map(|(k, b)| (k.to_string(), binary(b))).collect::<serde_json::Map<_, _>>(),
            "findings": {
                "both": self.findings_both, "only_a": self.findings_only_a,
                "only_b": self.findings_only_b, "f1": self.findings_f1(),
            },
            "misaligned": self.misaligned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_of_known_tables() {
        // The textbook example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no gives kappa 0.4.
        let b = Binary {
            both_yes: 20,
            only_a: 5,
            only_b: 10,
            both_no: 15,
        };
        assert!((b.kappa().unwrap() - 0.4).abs() < 1e-9);
        let perfect = Binary {
            both_yes: 3,
            both_no: 7,
            ..Binary::default()
        };
        assert_eq!(perfect.kappa(), Some(1.0));
        // Neither rater ever says yes: chance agreement is total, kappa undefined.
        let never = Binary {
            both_no: 9,
            ..Binary::default()
        };
        assert_eq!(never.kappa(), None);
    }
}
