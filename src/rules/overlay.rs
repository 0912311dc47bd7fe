//! Several rule files read as one: the overlay merge.
//!
//! A later file's entry whose id (or `name`, for drugs and definitions) is that of an earlier
//! entry of the same list extends it: its maps merge key by key, its lists append, its other
//! values replace the earlier ones, and `replace: true` replaces the earlier entry whole. A new
//! entry goes where its kind puts it (appended; a new category before the fallback one; a new
//! layout first), or `before:`/`after:` an id. Entries without an id (examples, patterns)
//! append.
//!
//! The merge works on the YAML documents, before they are typed, so that an extension need not
//! repeat an entry's required keys; every merged node remembers the file and path it came from,
//! and a problem found later is shown there. Reading the merged document also goes on past a
//! bad entry: it is reported, left out, and the rest is read, so that one run reports every
//! problem of a file.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::source::{RuleError, RuleFile, without_position, yaml_help};

/// Where a new entry of a top-level list goes when it says neither `before:` nor `after:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Append,
    /// Before the list's last entry, which stays last (the fallback category).
    BeforeLast,
    /// First: a later entry is more specific than the ones it extends (layouts).
    Prepend,
}

/// The keys an entry of a keyed list is known by, in order of preference.
const KEYS: [&str; 2] = ["id", "name"];
/// The keys that tell the merge what to do with an entry; they are not part of it.
const REPLACE: &str = "replace";
const BEFORE: &str = "before";
const AFTER: &str = "after";

/// Where a node of a merged document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The index of its file among the files read as one.
    pub file: usize,
    /// Its path in that file (`drugs[3].brands[1]`).
    pub path: String,
}

/// A YAML document whose every node knows its origin.
#[derive(Debug, Clone)]
pub struct Tree {
    from: Origin,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Leaf(Value),
    List(Vec<Tree>),
    Map(Vec<(Value, Tree)>),
}

/// One step of a path into a tree: a map's entry or a list's element, by position.
#[derive(Debug, Clone, Copy)]
enum Step {
    Entry(usize),
    Element(usize),
}

fn key_name(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Tree {
    /// The tree of `value`, read from file `file`.
    pub fn of(value: Value, file: usize) -> Tree {
        Tree::at(value, file, String::new())
    }

    fn at(value: Value, file: usize, path: String) -> Tree {
        let shape = match value {
            Value::Sequence(items) => Shape::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| Tree::at(v, file, format!("{path}[{i}]")))
                    .collect(),
            ),
            Value::Mapping(map) => Shape::Map(
                map.into_iter()
                    .map(|(k, v)| {
                        let p = join(&path, &key_name(&k));
                        (k, Tree::at(v, file, p))
                    })
                    .collect(),
            ),
            leaf => Shape::Leaf(leaf),
        };
        Tree {
            from: Origin { file, path },
            shape,
        }
    }

    /// The document the tree stands for.
    pub fn to_value(&self) -> Value {
        match &self.shape {
            Shape::Leaf(v) => v.clone(),
            Shape::List(items) => Value::Sequence(items.iter().map(Tree::to_value).collect()),
            Shape::Map(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_value()))
                    .collect::<Mapping>(),
            ),
        }
    }

    fn get(&self, key: &str) -> Option<&Tree> {
        match &self.shape {
            Shape::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, t)| t),
            _ => None,
        }
    }

    fn take(&mut self, key: &str) -> Option<Tree> {
        match &mut self.shape {
            Shape::Map(entries) => {
                let at = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
                Some(entries.remove(at).1)
            }
            _ => None,
        }
    }

    fn leaf_str(&self) -> Option<&str> {
        match &self.shape {
            Shape::Leaf(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The id an entry of a keyed list is known by.
    fn id(&self) -> Option<&str> {
        KEYS.iter().find_map(|k| self.get(k)?.leaf_str())
    }

    /// Lays `later` over this tree; `placement` says where a new entry of a top-level list goes.
    /// Problems with the merge's own keys are reported in `errors`, at their place in the file
    /// they came from.
    pub fn merge(
        &mut self,
        later: Tree,
        placement: &dyn Fn(&str) -> Placement,
        files: &[RuleFile],
        errors: &mut Vec<RuleError>,
    ) {
        self.merge_at("", later, placement, files, errors);
    }

    fn merge_at(
        &mut self,
        path: &str,
        later: Tree,
        placement: &dyn Fn(&str) -> Placement,
        files: &[RuleFile],
        errors: &mut Vec<RuleError>,
    ) {
        match (&mut self.shape, later.shape) {
            (Shape::Map(entries), Shape::Map(more)) => {
                for (k, t) in more {
                    match entries.iter_mut().find(|(e, _)| *e == k) {
                        Some((_, earlier)) => earlier.merge_at(
                            &join(path, &key_name(&k)),
                            t,
                            placement,
                            files,
                            errors,
                        ),
                        None => entries.push((k, t)),
                    }
                }
            }
            (Shape::List(items), Shape::List(more)) => {
                let keyed = !more.is_empty() && more.iter().all(|t| t.id().is_some());
                if keyed {
                    let top_level = !path.contains(['.', '[']);
                    let place = if top_level {
                        placement(path)
                    } else {
                        Placement::Append
                    };
                    merge_keyed(path, items, more, place, placement, files, errors);
                } else {
                    items.extend(more);
                }
            }
            (_, shape) => {
                *self = Tree {
                    from: later.from,
                    shape,
                };
            }
        }
    }

    /// The origin of the node at `path` (as serde and the rule checks write it:
    /// `rules[2].reasons[0].when`), or of its nearest parent in the tree.
    pub fn origin(&self, path: &str) -> &Origin {
        &self.node_at(path).from
    }

    /// The node at `path`, or its nearest parent in the tree.
    fn node_at(&self, path: &str) -> &Tree {
        self.steps(path)
            .into_iter()
            .fold(self, |node, step| node.child(step))
    }

    fn child(&self, step: Step) -> &Tree {
        match (&self.shape, step) {
            (Shape::Map(entries), Step::Entry(i)) => &entries[i].1,
            (Shape::List(items), Step::Element(i)) => &items[i],
            _ => self,
        }
    }

    fn child_mut(&mut self, step: Step) -> &mut Tree {
        match (&mut self.shape, step) {
            (Shape::Map(entries), Step::Entry(i)) => &mut entries[i].1,
            (Shape::List(items), Step::Element(i)) => &mut items[i],
            _ => unreachable!("steps are found in this tree"),
        }
    }

    /// The steps of `path` that exist in the tree.
    fn steps(&self, path: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut node = self;
        let mut rest = path.trim_start_matches('.');
        while !rest.is_empty() {
            let step = match &node.shape {
                Shape::List(items) => rest
                    .strip_prefix('[')
                    .and_then(|r| r.split_once(']'))
                    .and_then(|(digits, r)| {
                        let i: usize = digits.parse().ok()?;
                        (i < items.len()).then_some((Step::Element(i), r))
                    }),
                Shape::Map(entries) => entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (k, _))| {
                        let name = key_name(k);
                        let r = rest.strip_prefix(name.as_str())?;
                        (r.is_empty() || r.starts_with(['.', '['])).then_some((i, name.len(), r))
                    })
                    .max_by_key(|(_, len, _)| *len)
                    .map(|(i, _, r)| (Step::Entry(i), r)),
                Shape::Leaf(_) => None,
            };
            let Some((step, r)) = step else {
                return steps;
            };
            steps.push(step);
            node = node.child(step);
            rest = r.strip_prefix('.').unwrap_or(r);
        }
        steps
    }

    /// The path of the entry of the top-level list `list` whose `key` is `id`.
    pub fn entry(&self, list: &str, key: &str, id: &str) -> Option<String> {
        match &self.get(list)?.shape {
            Shape::List(items) => items
                .iter()
                .position(|t| t.get(key).and_then(Tree::leaf_str) == Some(id))
                .map(|i| format!("{list}[{i}]")),
            _ => None,
        }
    }

    /// Where the node at `path` came from, and then each other file its parts came from (the
    /// later files that extend an entry), at the node of that file that holds them.
    pub fn origins_under(&self, path: &str) -> Vec<Origin> {
        let node = self.node_at(path);
        let mut out = vec![node.from.clone()];
        node.collect_origins(&mut out);
        out
    }

    fn collect_origins(&self, out: &mut Vec<Origin>) {
        let children: Vec<&Tree> = match &self.shape {
            Shape::Leaf(_) => Vec::new(),
            Shape::List(items) => items.iter().collect(),
            Shape::Map(entries) => entries.iter().map(|(_, t)| t).collect(),
        };
        for child in children {
            if out.iter().all(|o| o.file != child.from.file) {
                // The first node of another file under this one: where that file's part starts,
                // its map's path when the node is a key of it.
                let path = match child.from.path.rsplit_once('.') {
                    Some((parent, _)) if matches!(self.shape, Shape::Map(_)) => parent.to_string(),
                    _ => child.from.path.clone(),
                };
                out.push(Origin {
                    file: child.from.file,
                    path,
                });
            }
            child.collect_origins(out);
        }
    }

    /// The path of the first key of the map at `path`, written in the file the map came from.
    fn first_key_of(&self, path: &str) -> Option<String> {
        let node = self.node_at(path);
        match &node.shape {
            Shape::Map(entries) => entries
                .iter()
                .map(|(_, t)| t)
                .find(|t| t.from.file == node.from.file)
                .map(|t| t.from.path.clone()),
            _ => None,
        }
    }

    /// The id of the innermost keyed entry on `path`, to name it in a message.
    fn entry_id(&self, path: &str) -> Option<String> {
        let mut node = self;
        let mut id = None;
        for step in self.steps(path) {
            node = node.child(step);
            if matches!(step, Step::Element(_))
                && let Some(i) = node.id()
            {
                id = Some(i.to_string());
            }
        }
        id
    }

    /// Leaves out the innermost list element on `path`, so that reading can go on past it;
    /// false when the path is in no list element.
    fn leave_out(&mut self, path: &str) -> bool {
        let steps = self.steps(path);
        let Some(last) = steps.iter().rposition(|s| matches!(s, Step::Element(_))) else {
            return false;
        };
        let mut node = self;
        for step in &steps[..last] {
            node = node.child_mut(*step);
        }
        match (&mut node.shape, steps[last]) {
            (Shape::List(items), Step::Element(i)) => {
                items.remove(i);
                true
            }
            _ => false,
        }
    }
}

/// Lays the entries of a later keyed list over `items`.
#[allow(clippy::too_many_arguments)]
fn merge_keyed(
    path: &str,
    items: &mut Vec<Tree>,
    more: Vec<Tree>,
    place: Placement,
    placement: &dyn Fn(&str) -> Placement,
    files: &[RuleFile],
    errors: &mut Vec<RuleError>,
) {
    // An id given twice in the later file is not an extension of itself: both stay, and the
    // kind's own check reports the duplicate.
    let mut from_this_file: HashSet<String> = HashSet::new();
    // A list whose last entry stays last keeps it there as entries are added.
    let fallback = (place == Placement::BeforeLast)
        .then(|| items.last().and_then(Tree::id).map(str::to_string))
        .flatten();
    let mut prepended = 0;
    for mut entry in more {
        let id = entry.id().unwrap_or_default().to_string();
        let fail = |entry: &Tree, key: &str, message: String, help: &str| {
            let at = join(&entry.from.path, key);
            files[entry.from.file].error(&at, message, Some(help.to_string()))
        };
        let replace = match entry.take(REPLACE) {
            None => false,
            Some(t) => match &t.shape {
                Shape::Leaf(Value::Bool(b)) => *b,
                _ => {
                    errors.push(fail(
                        &entry,
                        REPLACE,
                        format!("`replace` of `{id}` is not true or false"),
                        "write `replace: true` to replace the earlier entry whole",
                    ));
                    false
                }
            },
        };
        let before = entry.take(BEFORE);
        let after = entry.take(AFTER);
        // Where the placing keys are written: the later entry, even when it extends an earlier.
        let written = Tree {
            from: entry.from.clone(),
            shape: Shape::Leaf(Value::Null),
        };
        let earlier = if from_this_file.contains(&id) {
            None
        } else {
            items.iter().rposition(|t| t.id() == Some(id.as_str()))
        };
        from_this_file.insert(id.clone());
        if replace && earlier.is_none() {
            errors.push(fail(
                &entry,
                REPLACE,
                format!("`{id}` says `replace: true`, but no earlier file defines `{id}`"),
                "remove `replace: true` to add a new entry, or correct the id",
            ));
        }
        let merged = match earlier {
            Some(i) => {
                let mut slot = items.remove(i);
                if replace {
                    slot = entry;
                } else {
                    slot.merge_at(&format!("{path}[{i}]"), entry, placement, files, errors);
                }
                if before.is_none() && after.is_none() {
                    items.insert(i, slot);
                    continue;
                }
                slot
            }
            None => entry,
        };
        let target = match (&before, &after) {
            (Some(b), Some(_)) => {
                errors.push(fail(
                    &written,
                    AFTER,
                    format!("`{id}` says both `before` and `after`"),
                    "keep one of them",
                ));
                Some((b, 0))
            }
            (Some(b), None) => Some((b, 0)),
            (None, Some(a)) => Some((a, 1)),
            (None, None) => None,
        };
        let at = match target {
            Some((t, offset)) => {
                let name = t.leaf_str().unwrap_or_default();
                match items.iter().position(|x| x.id() == Some(name)) {
                    Some(i) => i + offset,
                    None => {
                        let key = if offset == 0 { BEFORE } else { AFTER };
                        let known: Vec<&str> = items.iter().filter_map(Tree::id).collect();
                        let mut shown = known[..known.len().min(8)].join(", ");
                        if known.len() > 8 {
                            shown.push_str(&format!(", ... ({} in all)", known.len()));
                        }
                        errors.push(fail(
                            &written,
                            key,
                            format!(
                                "`{id}` is placed {key} `{name}`, which the list does not have"
                            ),
                            &format!("name an id of the list: {shown}"),
                        ));
                        items.len()
                    }
                }
            }
            None => match place {
                Placement::Append => items.len(),
                Placement::Prepend => {
                    prepended += 1;
                    prepended - 1
                }
                Placement::BeforeLast => {
                    match items.iter().rposition(|t| t.id() == fallback.as_deref()) {
                        Some(i) if fallback.is_some() => i,
                        _ => items.len(),
                    }
                }
            },
        };
        items.insert(at.min(items.len()), merged);
    }
}

/// Reads `text` into `T`, or gives the path of the node at fault and serde's message.
fn read_with_path<T: DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(serde_yaml::Deserializer::from_str(text)).map_err(|e| {
        let path = e.path().to_string();
        (path, without_position(e.into_inner().to_string()))
    })
}

/// The most problems reported for one kind of file before reading stops.
const MAX_ERRORS: usize = 100;

/// Files read as one: the typed document, the file that stands for them in later diagnostics,
/// and whether every entry was read.
pub struct ReadAsOne<T> {
    pub value: T,
    pub file: RuleFile,
    /// False when entries at fault were left out: what depends on them would report problems
    /// that are not there.
    pub complete: bool,
}

/// The files of one kind read as one (a single file read alone), with every problem of their
/// entries in `errors`. Entries at fault are left out of the document, so that the rest is
/// still read; None when nothing could be read.
pub fn read_as_one<T: DeserializeOwned>(
    parts: &[&RuleFile],
    placement: &dyn Fn(&str) -> Placement,
    errors: &mut Vec<RuleError>,
) -> Option<ReadAsOne<T>> {
    if let [only] = parts
        && let Ok(value) = only.parse::<T>()
    {
        return Some(ReadAsOne {
            value,
            file: (*only).clone(),
            complete: true,
        });
    }
    let mut files: Vec<RuleFile> = Vec::new();
    let mut tree: Option<Tree> = None;
    for f in parts {
        match f.parse::<Value>() {
            Ok(value) => {
                let t = Tree::of(value, files.len());
                files.push((*f).clone());
                match &mut tree {
                    None => tree = Some(t),
                    Some(tree) => tree.merge(t, placement, &files, errors),
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let mut tree = tree?;
    let mut found = 0;
    let value = loop {
        let text = serde_yaml::to_string(&tree.to_value()).ok()?;
        match read_with_path::<T>(&text) {
            Ok(value) => break value,
            Err((path, message)) => {
                found += 1;
                errors.push(problem_at(&tree, &files, &path, message));
                if found >= MAX_ERRORS || !tree.leave_out(&path) {
                    return None;
                }
            }
        }
    };
    Some(ReadAsOne {
        value,
        file: RuleFile::merged(files, tree),
        complete: found == 0,
    })
}

/// A problem serde found at `path` of the merged document, shown in the file it came from and
/// naming the entry it is in.
fn problem_at(tree: &Tree, files: &[RuleFile], path: &str, message: String) -> RuleError {
    let origin = tree.origin(path);
    // serde_yaml names the node at fault in the merged document: name it in its own file.
    let (message, node) = match message.split_once(": ") {
        Some((node, rest)) if !node.contains(' ') && path.starts_with(node) => {
            (rest.to_string(), Some(&tree.origin(node).path))
        }
        _ => (message, None),
    };
    // Point at an unknown key itself, not at its value or the map holding it.
    let at = match message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split_once('`'))
    {
        Some((key, _)) if origin.path.ends_with(&format!(".{key}")) => {
            format!("{}@key", origin.path)
        }
        Some((key, _)) => format!("{}@key", join(&origin.path, key)),
        // A map is shown at its first key: YAML marks a block map's start after it.
        None => tree
            .first_key_of(path)
            .map_or_else(|| origin.path.clone(), |key| format!("{key}@key")),
    };
    let message = match (node, tree.entry_id(path)) {
        (Some(node), Some(id)) => format!("{node}: {message} (in `{id}`)"),
        (Some(node), None) => format!("{node}: {message}"),
        (None, Some(id)) => format!("{message} (in `{id}`)"),
        (None, None) => message,
    };
    let help = match yaml_help(&message) {
        // An extension gives only its id and what it adds: the key may be missing on purpose.
        Some(help) if message.contains("missing field") => {
            format!("{help}, or give the id of an earlier file's entry to extend that entry")
        }
        Some(help) => help,
        None => "check the value's type against `imrlint schema`".to_string(),
    };
    files[origin.file].error(&at, message, Some(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Knowledge, RuleSet, categories, checks, concepts, definitions, drugs};
    use crate::rules::{guidelines, layouts, reasons, requests};

    /// Reads YAML texts as files laid over each other, as plain YAML.
    fn laid(texts: &[&str], placement: Placement) -> (Value, Vec<RuleError>) {
        let files: Vec<RuleFile> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| RuleFile::new(format!("f{i}.yaml"), *t))
            .collect();
        let parts: Vec<&RuleFile> = files.iter().collect();
        let mut errors = Vec::new();
        let read = read_as_one::<Value>(&parts, &|_| placement, &mut errors).unwrap();
        (read.value, errors)
    }

    fn ids(value: &Value, list: &str) -> Vec<String> {
        value[list]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    }

    const BASE: &str = "things:\n  - id: a\n    words: [x]\n    size: 1\n    parts: {left: 1}\n  - id: b\n  - id: fallback\n";

    #[test]
    fn an_entry_with_an_earlier_id_extends_it() {
        let (v, errors) = laid(
            &[
                BASE,
                "things:\n  - id: a\n    words: [y]\n    size: 2\n    parts: {right: 2}\n",
            ],
            Placement::Append,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ids(&v, "things"), ["a", "b", "fallback"]);
        let a = &v["things"][0];
        assert_eq!(a["words"], serde_yaml::from_str::<Value>("[x, y]").unwrap());
        assert_eq!(a["size"], Value::from(2));
        assert_eq!(a["parts"]["left"], Value::from(1));
        assert_eq!(a["parts"]["right"], Value::from(2));
    }

    #[test]
    fn replace_true_replaces_the_entry_whole() {
        let (v, errors) = laid(
            &[
                BASE,
                "things:\n  - id: a\n    replace: true\n    words: [y]\n",
            ],
            Placement::Append,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let a = &v["things"][0];
        assert_eq!(a["words"], serde_yaml::from_str::<Value>("[y]").unwrap());
        assert!(a.get("size").is_none() && a.get("replace").is_none());
    }

    #[test]
    fn new_entries_go_where_the_kind_or_the_entry_says() {
        let later = "things:\n  - id: c\n  - id: d\n";
        let order = |placement| ids(&laid(&[BASE, later], placement).0, "things");
        assert_eq!(order(Placement::Append), ["a", "b", "fallback", "c", "d"]);
        assert_eq!(
            order(Placement::BeforeLast),
            ["a", "b", "c", "d", "fallback"]
        );
        assert_eq!(order(Placement::Prepend), ["c", "d", "a", "b", "fallback"]);
        let placed = "things:\n  - id: c\n    before: b\n  - id: d\n    after: a\n  - id: a\n    after: fallback\n";
        let (v, errors) = laid(&[BASE, placed], Placement::Append);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ids(&v, "things"), ["d", "c", "b", "fallback", "a"]);
        assert!(
            v["things"][0].get("after").is_none(),
            "the placing key is not kept"
        );
    }

    #[test]
    fn lists_without_ids_append_and_keyed_lists_merge_at_every_level() {
        let base = "documents:\n  - id: doc\n    topics:\n      - {id: t1, pages: [1]}\n    notes: [n1]\nexamples:\n  - {text: one}\n";
        let later = "documents:\n  - id: doc\n    topics:\n      - {id: t1, pages: [2]}\n      - {id: t2}\nexamples:\n  - {text: one}\n";
        let (v, errors) = laid(&[base, later], Placement::Append);
        assert!(errors.is_empty(), "{errors:?}");
        let topics = &v["documents"][0]["topics"];
        assert_eq!(ids(&v["documents"][0], "topics"), ["t1", "t2"]);
        assert_eq!(
            topics[0]["pages"],
            serde_yaml::from_str::<Value>("[1, 2]").unwrap()
        );
        assert_eq!(v["examples"].as_sequence().unwrap().len(), 2);
    }

    #[test]
    fn an_id_twice_in_one_later_file_stays_twice_for_the_kind_to_report() {
        let (v, _) = laid(
            &[BASE, "things:\n  - id: c\n  - id: c\n"],
            Placement::Append,
        );
        assert_eq!(ids(&v, "things"), ["a", "b", "fallback", "c", "c"]);
        let (v, _) = laid(&["things:\n  - id: a\n  - id: a\n"], Placement::Append);
        assert_eq!(ids(&v, "things"), ["a", "a"]);
    }

    #[test]
    fn the_merges_own_keys_are_checked_where_they_are_written() {
        let later = "things:\n  - id: nothing\n    replace: true\n  - id: c\n    before: zzz\n  - id: d\n    before: a\n    after: b\n  - id: e\n    replace: yes please\n";
        let (_, errors) = laid(&[BASE, later], Placement::Append);
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(
            shown[0].starts_with("f1.yaml:3:14: `nothing` says `replace: true`"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("f1.yaml:5:13: `c` is placed before `zzz`"),
            "{shown:?}"
        );
        assert!(
            shown[2].starts_with("f1.yaml:8:12: `d` says both"),
            "{shown:?}"
        );
        assert!(
            shown[3].starts_with("f1.yaml:10:14: `replace` of `e`"),
            "{shown:?}"
        );
        // An extension's placing key is shown where the extension writes it.
        let (_, errors) = laid(
            &[BASE, "things:\n  - id: b\n    after: yyy\n"],
            Placement::Append,
        );
        let shown = errors[0].to_string();
        assert!(
            shown.starts_with("f1.yaml:3:12: `b` is placed after `yyy`"),
            "{shown}"
        );
    }

    /// A problem of a merged document is shown in the file and at the node it came from, and
    /// every bad entry of a file is reported, not just the first.
    #[test]
    fn every_bad_entry_is_reported_in_its_own_file() {
        let base = RuleFile::new(
            "base.yaml",
            "classes: [{id: opioid, title: Opioids}]\ndrugs:\n  - {name: alphadone, class: opioid}\n",
        );
        let later = RuleFile::new(
            "later.yaml",
            "drugs:\n  - name: alphadone\n    brandz: [Alphex]\n  - name: betamol\n  - name: gammadol\n    class: [opioid]\n",
        );
        let mut errors = Vec::new();
        let read =
            read_as_one::<drugs::DrugsFile>(&[&base, &later], &|_| Placement::Append, &mut errors);
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert!(
            shown[0].starts_with("later.yaml:3:5: drugs[0]: unknown field `brandz`"),
            "{shown:?}"
        );
        assert!(shown[0].ends_with("(in `alphadone`)"), "{shown:?}");
        assert!(
            shown[1].starts_with("later.yaml:4:5: drugs[1]: missing field `class`"),
            "{shown:?}"
        );
        assert!(
            shown[2].starts_with("later.yaml:6:12: drugs[2].class: invalid type"),
            "{shown:?}"
        );
        assert!(read.is_some_and(|r| !r.complete));
    }

    /// Reading through the merge gives what reading the file alone gives, for every built-in
    /// file: the merge changes nothing it is not asked to.
    #[test]
    fn the_built_in_files_read_the_same_through_the_merge() {
        fn same<K: Knowledge + serde::Serialize>(rules: &RuleSet) {
            let file = &rules
                .knowledge
                .iter()
                .find(|(k, _)| *k == K::KIND)
                .unwrap()
                .1;
            let alone: K = file.parse().unwrap();
            let empty = RuleFile::new("empty.yaml", "{}");
            let mut errors = Vec::new();
            let read = read_as_one::<K>(&[file, &empty], &K::placement, &mut errors).unwrap();
            assert!(
                errors.is_empty() && read.complete,
                "{}: {errors:?}",
                K::KIND
            );
            assert_eq!(
                serde_json::to_value(&alone).unwrap(),
                serde_json::to_value(&read.value).unwrap(),
                "{}",
                K::KIND
            );
        }
        let rules = RuleSet::for_tests();
        same::<drugs::DrugsFile>(rules);
        same::<concepts::ConceptsFile>(rules);
        same::<concepts::ContextFile>(rules);
        same::<guidelines::GuidelinesFile>(rules);
        same::<layouts::LayoutsFile>(rules);
        same::<categories::CategoriesFile>(rules);
        same::<categories::AnatomyFile>(rules);
        same::<requests::RequestsFile>(rules);
        same::<reasons::ReasonsFile>(rules);
        same::<definitions::DefinitionsFile>(rules);
        for (rel, file) in rules.files.iter().filter(|(rel, _)| rel.contains('/')) {
            let alone: checks::RulesFile = file.parse().unwrap();
            let mut errors = Vec::new();
            let read = read_as_one::<checks::RulesFile>(
                &[file, &RuleFile::new("empty.yaml", "rules: []")],
                &|_| Placement::Append,
                &mut errors,
            )
            .unwrap();
            assert_eq!(
                serde_json::to_value(&alone).unwrap(),
                serde_json::to_value(&read.value).unwrap(),
                "{rel}"
            );
        }
    }
}
