//! An evaluation as a table for people, or as the `imrlint/eval/v1` JSON document.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::{Evaluation, Tally};

fn percent(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

/// Whether a table can count misses: those of imrlint's severities and rules cannot, since a
/// miss has neither, so they show precision alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Misses {
    Counted,
    NotCounted,
}

fn row(out: &mut String, name: &str, t: &Tally, misses: Misses) {
    let counted = |x: String| match misses {
        Misses::Counted => x,
        Misses::NotCounted => "-".to_string(),
    };
    let _ = writeln!(
        out,
        "  {name:<40} {:>5} {:>5} {:>6} {:>9} {:>7} {:>6}",
        t.right,
        t.wrong,
        counted(t.missed.to_string()),
        percent(t.precision()),
        counted(percent(t.recall())),
        counted(percent(t.f1()))
    );
}

fn table(out: &mut String, title: &str, rows: &BTreeMap<String, Tally>, misses: Misses) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for (name, tally) in rows {
        row(out, name, tally, misses);
    }
}

/// The evaluation for a terminal: counts, the tables, then each false positive and miss.
pub fn human(e: &Evaluation) -> String {
    let s = &e.score;
    let mut out = String::new();
    let splits: Vec<String> = e
        .letters_by_split
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let sound = s.items.flagged_sound + s.items.unflagged_sound;
    let _ = writeln!(
        out,
        "imrlint eval: {} letters ({}), {} items; gold holds {} findings on {} items, {} items sound",
        e.letters,
        splits.join(", "),
        e.items,
        e.gold_findings,
        e.items - sound,
        sound,
    );
    let _ = writeln!(
        out,
        "\n  {:<40} {:>5} {:>5} {:>6} {:>9} {:>7} {:>6}",
        "findings", "right", "wrong", "missed", "precision", "recall", "f1"
    );
    row(&mut out, "all", &s.overall, Misses::Counted);
    table(&mut out, "by split", &e.by_split, Misses::Counted);
    table(
        &mut out,
        "by imrlint's severity (misses have none)",
        &s.by_severity,
        Misses::NotCounted,
    );
    table(&mut out, "by kind", &s.by_kind, Misses::Counted);
    table(&mut out, "by reason", &s.by_reason, Misses::Counted);
    table(
        &mut out,
        "by rule (misses have none)",
        &s.by_rule,
        Misses::NotCounted,
    );
    let _ = writeln!(
        out,
        "\nitems (flagged: any finding on the item; right: gold says not sound)"
    );
    row(&mut out, "items", &s.items.as_tally(), Misses::Counted);
    for (what, list) in [
        ("letters without gold (not scored)", &e.without_gold),
        ("gold letters not found (not scored)", &e.not_found),
        (
            "unreadable letters (their gold findings are missed)",
            &e.unreadable,
        ),
        ("items read differently from gold", &s.alignment),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{what} ({}):", list.len());
            for x in list {
                let _ = writeln!(out, "  {x}");
            }
        }
    }
    if !s.false_positives.is_empty() {
        let _ = writeln!(out, "\nfalse positives ({}):", s.false_positives.len());
        for f in &s.false_positives {
            let _ = writeln!(
                out,
                "  {}:{}:{}: {} {} {}",
                f.path, f.line, f.column, f.severity, f.code, f.message
            );
        }
    }
    if !s.misses.is_empty() {
        let _ = writeln!(out, "\nmisses ({}):", s.misses.len());
        for m in &s.misses {
            let code = match (&m.reason, m.aspect) {
                (Some(r), _) => format!("{}[{r}]", m.kind),
                (None, Some(aspect)) => format!("{}({})", m.kind, aspect.id()),
                (None, None) => m.kind.to_string(),
            };
            let item = m.item.map_or("letter".to_string(), |i| format!("item {i}"));
            let note = m
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}:{}:{}: {item} {code} \"{}\"{note}",
                m.path, m.line, m.column, m.quote
            );
        }
    }
    out
}

fn tally_json(t: &Tally, misses: Misses) -> Value {
    match misses {
        Misses::Counted => json!({
            "right": t.right, "wrong": t.wrong, "missed": t.missed,
            "precision": t.precision(), "recall": t.recall(), "f1": t.f1(),
        }),
        Misses::NotCounted => json!({
            "right": t.right, "wrong": t.wrong, "missed": null,
            "precision": t.precision(), "recall": null, "f1": null,
        }),
    }
}

fn tallies_json(rows: &BTreeMap<String, Tally>, misses: Misses) -> Value {
    Value::Object(
        rows.iter()
            .map(|(k, t)| (k.clone(), tally_json(t, misses)))
            .collect(),
    )
}

/// The evaluation as the `imrlint/eval/v1` document.
pub fn json(e: &Evaluation) -> Value {
    let s = &e.score;
    json!({
        "schema": "imrlint/eval/v1",
        "letters": e.letters,
        "letters_by_split": e.letters_by_split,
        "items": e.items,
        "gold_findings": e.gold_findings,
        "overall": tally_json(&s.overall, Misses::Counted),
        "by_split": tallies_json(&e.by_split, Misses::Counted),
        "by_severity": tallies_json(&s.by_severity, Misses::NotCounted),
        "by_kind": tallies_json(&s.by_kind, Misses::Counted),
        "by_reason": tallies_json(&s.by_reason, Misses::Counted),
        "by_rule": tallies_json(&s.by_rule, Misses::NotCounted),
        "item_level": {
            "counts": s.items,
            "tally": tally_json(&s.items.as_tally(), Misses::Counted),
        },
        "false_positives": s.false_positives,
        "misses": s.misses,
        "alignment": s.alignment,
        "without_gold": e.without_gold,
        "not_found": e.not_found,
        "unreadable": e.unreadable,
    })
}
