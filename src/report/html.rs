//! The auditor's batch report: an HTML page with the batch at a glance (counts and bar charts
//! drawn as inline SVG: no script, no network) and a page per letter with its text, the findings'
//! spans highlighted and each finding explained. Every piece of letter text is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Counts, LetterResult, Outcome};
use crate::check::{Finding, Severity};

/// One letter's line in the index.
struct Row {
    path: String,
    page: String,
    items: usize,
    findings: [usize; 3],
    unreadable: bool,
}

/// The batch, gathered letter by letter.
#[derive(Default)]
pub struct Batch {
    counts: Counts,
    rows: Vec<Row>,
    by_kind: BTreeMap<String, usize>,
    by_rule: BTreeMap<String, usize>,
    items_by_category: BTreeMap<String, usize>,
    findings_by_category: BTreeMap<String, usize>,
    items_by_specialty: BTreeMap<String, usize>,
    items_by_decision: BTreeMap<String, usize>,
}

impl Batch {
    /// Takes in a letter; returns its page's file name (under `letters/`) and HTML.
    pub fn add(&mut self, r: &LetterResult) -> (String, String) {
        let page = format!("{:06}.html", self.rows.len() + 1);
        self.counts.add(r);
        let findings = r.reported();
        let mut by_severity = [0usize; 3];
        for f in &findings {
            by_severity[f.severity as usize] += 1;
            *self.by_kind.entry(f.kind.id().to_string()).or_default() += 1;
            if let Some(rule) = &f.rule {
                *self.by_rule.entry(rule.clone()).or_default() += 1;
            }
        }
        let mut items = 0;
        if let Outcome::Checked { facts, .. } = &r.outcome {
            items = facts.items.len();
            let specialty = facts
                .specialty
                .clone()
                .unwrap_or_else(|| "not stated".to_string());
            for item in &facts.items {
                *self
                    .items_by_category
                    .entry(item.category.clone())
                    .or_default() += 1;
                *self
                    .items_by_decision
                    .entry(item.decision.value.id().to_string())
                    .or_default() += 1;
                *self
                    .items_by_specialty
                    .entry(specialty.clone())
                    .or_default() += 1;
            }
            for f in &findings {
                if let Some(item) = f
                    .item
                    .and_then(|i| facts.items.iter().find(|x| x.index == i))
                {
                    *self
                        .findings_by_category
                        .entry(item.category.clone())
                        .or_default() += 1;
                }
            }
        }
        self.rows.push(Row {
            path: r.path.clone(),
            page: page.clone(),
            items,
            findings: by_severity,
            unreadable: r.text().is_none(),
        });
        let html = letter_page(r, &findings);
        (page, html)
    }

    pub fn summary_json(&self) -> Value {
        json!({
            "schema": "imrlint/summary/v1",
            "summary": self.counts.json(),
            "findings_by_kind": self.by_kind,
            "findings_by_rule": self.by_rule,
            "findings_by_item_category": self.findings_by_category,
            "items_by_category": self.items_by_category,
            "items_by_reviewer_specialty": self.items_by_specialty,
            "items_by_decision": self.items_by_decision,
            "unreadable": self.rows.iter().filter(|r| r.unreadable).count(),
        })
    }

    /// The index page. The run's tool, version and rule set are shown at its foot (its times stay
    /// in manifest.json, so the same letters give the same page).
    pub fn index_html(&self, manifest: &Value) -> String {
        let c = &self.counts;
        let mut body = String::from("<h1>imrlint report</h1>");
        let tiles = [
            ("letters", c.files),
            ("items", c.items),
            ("unchecked items (no rule)", c.unchecked),
            ("errors", c.findings[Severity::Error as usize]),
            ("warnings", c.findings[Severity::Warning as usize]),
            ("notes", c.findings[Severity::Note as usize]),
            (
                "unreadable",
                self.rows.iter().filter(|r| r.unreadable).count(),
            ),
        ];
        body.push_str("<section class=\"tiles\">");
        for (name, n) in tiles {
            let _ = write!(
                body,
                "<div class=\"tile\"><b>{n}</b><span>{name}</span></div>"
            );
        }
        body.push_str("</section><section class=\"charts\">");
        let top = |m: &BTreeMap<String, usize>, n: usize| {
            let mut v: Vec<(String, usize)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(n);
            v
        };
        for (title, data) in [
            ("Findings by kind", top(&self.by_kind, 12)),
            ("Findings by rule", top(&self.by_rule, 15)),
            (
                "Findings by item category",
                top(&self.findings_by_category, 15),
            ),
            ("Items by category", top(&self.items_by_category, 20)),
            (
                "Items by reviewer specialty",
                top(&self.items_by_specialty, 12),
            ),
            ("Items by decision", top(&self.items_by_decision, 5)),
        ] {
            body.push_str(&bar_chart(title, &data));
        }
        body.push_str("</section>");
        let mut worst: Vec<&Row> = self.rows.iter().collect();
        worst.sort_by_key(|r| std::cmp::Reverse((r.findings[2], r.findings[1], r.findings[0])));
        body.push_str("<h2>Letters with the most findings</h2>");
        body.push_str(&letters_table(worst.into_iter().take(25)));
        body.push_str("<h2>All letters</h2>");
        body.push_str(&letters_table(self.rows.iter()));
        let _ = write!(
            body,
            "<footer><h2>Run</h2><p>{} {}, rule set sha256 <code>{}</code>, {} input(s); see manifest.json.</p></footer>",
            escape(manifest["tool"].as_str().unwrap_or("")),
            escape(manifest["version"].as_str().unwrap_or("")),
            escape(manifest["rules_sha256"].as_str().unwrap_or("")),
            manifest["inputs"].as_array().map_or(0, Vec::len),
        );
        page("imrlint report", &body)
    }
}

fn letters_table<'a>(rows: impl Iterator<Item = &'a Row>) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>letter</th><th>items</th><th>errors</th><th>warnings</th><th>notes</th></tr></thead><tbody>",
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr><td><a href=\"letters/{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.page,
            escape(&r.path),
            if r.unreadable {
                " <em>(unreadable)</em>"
            } else {
                ""
            },
            r.items,
            r.findings[2],
            r.findings[1],
            r.findings[0]
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(title: &str, data: &[(String, usize)]) -> String {
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (230.0, 260.0, 22.0);
    let height = row_h * data.len().max(1) as f64 + 10.0;
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        escape(title),
        escape(title),
        label_w + bar_w + 60.0,
        label_w + bar_w + 60.0,
    );
    if data.is_empty() {
        svg.push_str("<text x=\"4\" y=\"16\">none</text>");
    }
    for (i, (label, n)) in data.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = bar_w * *n as f64 / max as f64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\"><title>{}: {n}</title></rect><text x=\"{}\" y=\"{}\">{n}</text>",
            label_w - 6.0,
            y + 14.0,
            escape(&shorten(label, 34)),
            row_h - 6.0,
            escape(label),
            label_w + w + 4.0,
            y + 14.0,
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// A letter's page: its findings with their help, then its text with the findings' spans marked.
fn letter_page(r: &LetterResult, findings: &[Finding]) -> String {
    let mut body = format!(
        "<p><a href=\"../index.html\">← all letters</a></p><h1>{}</h1>",
        escape(&r.path)
    );
    if findings.is_empty() {
        body.push_str("<p>No findings.</p>");
    }
    body.push_str("<ol class=\"findings\">");
    for (i, f) in findings.iter().enumerate() {
        let place = f
            .labels
            .first()
            .map(|l| format!(" <a href=\"#m{i}\">line {}</a>", l.span.line))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<li id=\"f{i}\" class=\"{}\"><b>{}</b> <code>{}</code>{place}<br>{}<br><small>help: {}</small></li>",
            f.severity.id(),
            f.severity.id(),
            escape(&f.code()),
            escape(&f.message),
            escape(&f.help),
        );
    }
    body.push_str("</ol>");
    if let Some(text) = r.text() {
        body.push_str("<pre class=\"letter\">");
        body.push_str(&marked(text, findings));
        body.push_str("</pre>");
    }
    page(&r.path, &body)
}

/// The text, escaped, with each finding's labels wrapped in `<mark>`; a label overlapping an
/// earlier one is left unmarked (its finding still lists it).
fn marked(text: &str, findings: &[Finding]) -> String {
    let mut spans: Vec<(usize, usize, usize, &str, Severity)> = findings
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            f.labels
                .iter()
                .map(move |l| (l.span.start.0, l.span.end.0, i, l.text.as_str(), f.severity))
        })
        .filter(|(s, e, ..)| s < e && *e <= text.len())
        .filter(|(s, e, ..)| text.is_char_boundary(*s) && text.is_char_boundary(*e))
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut out = String::with_capacity(text.len() + spans.len() * 80);
    let mut at = 0;
    let mut first_mark: BTreeMap<usize, ()> = BTreeMap::new();
    for (start, end, i, label, severity) in spans {
        if start < at {
            continue;
        }
        out.push_str(&escape(&text[at..start]));
        let id = if first_mark.insert(i, ()).is_none() {
            format!(" id=\"m{i}\"")
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<mark{id} class=\"{}\" title=\"{}\"><a href=\"#f{i}\">{}</a></mark>",
            severity.id(),
            escape(label),
            escape(&text[start..end])
        );
        at = end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

/// HTML text and attribute escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222}\
h1{font-size:20px}h2{font-size:16px;margin-top:28px}\
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{border:1px solid #ccd;border-radius:6px;padding:8px 14px;min-width:90px}\
.tile b{display:block;font-size:22px}.tile span{color:#555}\
.charts{display:flex;flex-wrap:wrap;gap:18px}.chart{margin:12px 0}.chart figcaption{font-weight:600;margin-bottom:4px}\
svg text{font-size:12px;fill:#333}svg rect{fill:#4a78b5}\
table{border-collapse:collapse;margin-top:8px}td,th{border-bottom:1px solid #e3e3ea;padding:3px 10px;text-align:left}\
.findings li{margin:6px 0}.error b{color:#b00020}.warning b{color:#a25a00}.note b{color:#2c5d9b}\
pre.letter{white-space:pre-wrap;background:#fafafc;border:1px solid #e3e3ea;padding:12px}\
mark{background:#fff2a8}mark.error{background:#ffc9c9}mark.warning{background:#ffe3b0}mark.note{background:#d8e8ff}\
mark a{color:inherit;text-decoration:none}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_text_cannot_open_markup() {
        assert_eq!(
            escape("<script>alert(1)</script> \"onload=x' &"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;onload=x&#39; &amp;"
        );
    }

    #[test]
    fn charts_escape_their_labels() {
        let svg = bar_chart("t", &[("<b>".into(), 3)]);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
    }
}
