//! Medical knowledge lives in `rules/`, not in Rust: no string literal of the code under `src/`
//! (test modules aside) names a drug, brand, drug class, body part, guideline document or topic, or
//! clinical concept that the rule files define. The vocabulary is read from the rule files
//! themselves, so a drug added to `drugs.yaml` is guarded too.

use std::path::Path;

use serde_yaml::Value;

fn yaml(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(name);
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings<'v>(list: &'v Value, key: &str) -> impl Iterator<Item = String> + 'v {
    let key = key.to_string();
    list.as_sequence()
        .into_iter()
        .flatten()
        .flat_map(move |entry| match &entry[key.as_str()] {
            Value::String(s) => vec![s.clone()],
            Value::Sequence(xs) => xs
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        })
}

/// The words the rule files define that only medicine would put in code: multi-letter names and
/// ids distinctive enough not to be ordinary English or the tool's own vocabulary.
fn clinical_vocabulary() -> Vec<String> {
    let drugs = yaml("drugs.yaml");
    let concepts = yaml("concepts.yaml");
    let anatomy = yaml("anatomy.yaml");
    let guidelines = yaml("guidelines.yaml");
    let mut words: Vec<String> = Vec::new();
    words.extend(strings(&drugs["drugs"], "name"));
    words.extend(strings(&drugs["drugs"], "brands"));
    words.extend(strings(&drugs["classes"], "id").filter(|c| c != "other"));
    // Concept and body-part ids with a hyphen are specific ('drug-screen', 'lumbar-spine').
    words.extend(strings(&concepts["concepts"], "id").filter(|c| c.contains('-')));
    words.extend(strings(&anatomy["body_parts"], "id").filter(|c| c.contains('-')));
    for doc in guidelines["documents"].as_sequence().unwrap() {
        words.extend(strings(&Value::Sequence(vec![doc.clone()]), "title"));
        words.extend(strings(&doc["topics"], "id").filter(|t| t.contains('-')));
    }
    words.retain(|w| w.len() >= 5);
    words.sort();
    words.dedup();
    words
}

/// Every string literal of the library's code (each file up to its test module; test-only files,
/// `tests.rs` and `testing.rs`, aside).
fn literals() -> Vec<(String, usize, String)> {
    let literal = regex::Regex::new(r#""((?:[^"\\]|\\.)*)""#).unwrap();
    let mut out = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in walk(&src) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for c in literal.captures_iter(line) {
                out.push((entry.display().to_string(), n + 1, c[1].to_string()));
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs")
            && !p.ends_with("tests.rs")
            && !p.ends_with("testing.rs")
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// One pattern for the whole vocabulary: any of its words, whole, in any case.
fn guard(vocabulary: &[String]) -> regex::Regex {
    guard_cased(vocabulary, "(?i)")
}

/// The guard, with `flags` before its pattern.
fn guard_cased(vocabulary: &[String], flags: &str) -> regex::Regex {
    let words: Vec<String> = vocabulary.iter().map(|w| regex::escape(w)).collect();
    regex::Regex::new(&format!(
        r"{flags}(?:^|[^A-Za-z0-9])(?P<word>{})(?:$|[^A-Za-z0-9])",
        words.join("|")
    ))
    .unwrap()
}

#[test]
fn no_clinical_knowledge_is_written_in_rust() {
    let vocabulary = clinical_vocabulary();
    assert!(vocabulary.len() > 100, "{} words", vocabulary.len());
    assert!(vocabulary.iter().any(|w| w == "clonazepam"));
    let found = caught(&guard(&vocabulary));
    assert!(
        found.is_empty(),
        "move these to rules/:\n{}",
        found.join("\n")
    );
}

/// Every literal of the library's code the guard catches, with its place and the word.
fn caught(guard: &regex::Regex) -> Vec<String> {
    literals()
        .into_iter()
        .filter_map(|(file, line, text)| {
            let word = guard.captures(&text)?["word"].to_string();
            Some(format!("{file}:{line}: `{word}` in \"{text}\""))
        })
        .collect()
}

/// The guard itself: a literal naming a drug, a brand or a body part is caught, and ordinary
/// words and the tool's vocabulary are not.
#[test]
fn the_guard_catches_a_drug_in_a_literal() {
    let guard = guard(&clinical_vocabulary());
    let caught = |text: &str| guard.is_match(text);
    assert!(caught("if name == \"clonazepam\""));
    assert!(caught("Klonopin"));
    assert!(caught("lumbar-spine"));
    assert!(!caught("the rationale does not give a reason that applies"));
    assert!(!caught("medications"));
}

/// The wording of letters the layouts file defines: its field names and the phrases of two or
/// more words in its patterns (`CLINICAL CASE SUMMARY`, `was the original request`), matched in
/// their own case (a message may speak of a "case summary"; a heading copied into code is in
/// capitals).
fn layout_vocabulary() -> Vec<String> {
    let layouts = yaml("layouts.yaml");
    let mut words: Vec<String> = Vec::new();
    words.extend(strings(&layouts["header"]["fields"], "name"));
    words.extend(strings(&layouts["reviewer"]["fields"], "name"));
    for sentence in layouts["reviewer"]["sentences"].as_sequence().unwrap() {
        words.extend(strings(&sentence["fields"], "name"));
    }
    let phrase = regex::Regex::new(r"[A-Za-z]+(?: [A-Za-z]+)+").unwrap();
    let mut patterns: Vec<String> = Vec::new();
    collect_strings(&layouts, &mut patterns);
    for p in patterns {
        words.extend(
            phrase
                .find_iter(&p)
                .map(|m| m.as_str().to_string())
                .filter(|w| w.len() >= 12),
        );
    }
    words.sort();
    words.dedup();
    words
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(xs) => xs.iter().for_each(|x| collect_strings(x, out)),
        Value::Mapping(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != Some("description"))
            .for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

#[test]
fn no_letter_layout_is_written_in_rust() {
    let vocabulary = layout_vocabulary();
    assert!(vocabulary.iter().any(|w| w == "CLINICAL CASE SUMMARY"));
    assert!(vocabulary.iter().any(|w| w == "Date of Injury"));
    let guard = guard_cased(&vocabulary, "");
    assert!(guard.is_match("if heading == \"CLINICAL CASE SUMMARY\""));
    assert!(guard.is_match("find(\"Date of Injury\")"));
    assert!(!guard.is_match("the reason the case summary does not establish"));
    assert!(!guard.is_match("the rationale does not give a reason that applies"));
    let found = caught(&guard);
    assert!(
        found.is_empty(),
        "move these to rules/layouts.yaml:\n{}",
        found.join("\n")
    );
}
