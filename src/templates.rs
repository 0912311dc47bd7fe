//! `imrlint rules new KIND ID`: a commented template of a rule file, or of a knowledge file with
//! one entry, that passes `imrlint rules check` as it is. The templates are the YAML files of
//! `templates/`, built in.

/// The kinds of template, with their text and the file name a knowledge file must have.
const TEMPLATES: &[(&str, &str, Option<&str>)] = &[
    ("rule", include_str!("../templates/rule.yaml"), None),
    (
        "concept",
        include_str!("../templates/concept.yaml"),
        Some("concepts.yaml"),
    ),
    (
        "drug",
        include_str!("../templates/drug.yaml"),
        Some("drugs.yaml"),
    ),
    (
        "category",
        include_str!("../templates/category.yaml"),
        Some("categories.yaml"),
    ),
    (
        "reason",
        include_str!("../templates/reason.yaml"),
        Some("reasons.yaml"),
    ),
];

/// The kinds `rules new` knows.
pub fn kinds() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(k, _, _)| *k).collect()
}

/// A template of `kind` for an entry `id`, and the name its file must have (a rule file may have
/// any name), or why there is none.
pub fn template(kind: &str, id: &str) -> Result<(String, String), String> {
    let Some((_, text, file)) = TEMPLATES.iter().find(|(k, _, _)| *k == kind) else {
        return Err(format!(
            "no template `{kind}`; kinds: {}",
            kinds().join(", ")
        ));
    };
    let valid = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "`{id}` cannot be an id: use lower-case letters, digits, '-' and '_', starting with a letter"
        ));
    }
    let words = id.replace(['-', '_'], " ");
    let text = text.replace("__ID__", id).replace("__WORDS__", &words);
    Ok((
        text,
        file.map_or_else(|| format!("{id}.yaml"), String::from),
    ))
}
