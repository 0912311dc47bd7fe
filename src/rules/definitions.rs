//! `rules/definitions.yaml`: named CEL expressions that rules share. A definition is evaluated once
//! per item, in file order, and its value becomes a variable of every later condition (a rule's
//! `when` may say `prior_use` where it would otherwise repeat the same six lines).

use std::sync::Arc;

use cel::Program;
use serde::{Deserialize, Serialize};

use super::checks::{VARIABLES, compile_expression};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionsFile {
    pub definitions: Vec<Definition>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// The variable's name (`prior_use`): letters, digits and underscores.
    pub name: String,
    /// What it means, for rule authors.
    #[serde(default)]
    pub description: Option<String>,
    /// CEL over the facts and the definitions above it. An unknown fact makes it null.
    pub value: String,
}

/// The definitions, compiled, in evaluation order.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    pub list: Vec<(Definition, Arc<Program>)>,
    /// For each definition, the earlier ones its value reads.
    reads: Vec<Vec<usize>>,
}

impl Definitions {
    /// The names conditions may use besides the facts.
    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|(d, _)| d.name.as_str()).collect()
    }

    /// The definitions `program` reads by name.
    pub fn read_by(&self, program: &Program) -> Vec<usize> {
        read_by(&self.names(), program)
    }

    /// Marks, besides the definitions `wanted` marks, every one they read at any depth: what
    /// must be evaluated before them. A definition reads only those above it.
    pub fn with_what_they_read(&self, wanted: &mut [bool]) {
        for i in (0..self.list.len()).rev() {
            if wanted[i] {
                for &r in &self.reads[i] {
                    wanted[r] = true;
                }
            }
        }
    }
}

fn read_by(names: &[&str], program: &Program) -> Vec<usize> {
    let references = program.references();
    let variables = references.variables();
    names
        .iter()
        .enumerate()
        .filter(|(_, n)| variables.contains(n))
        .map(|(i, _)| i)
        .collect()
}

impl super::Knowledge for DefinitionsFile {
    const KIND: &'static str = "definitions";
    type Compiled = Definitions;

    fn compile(self, file: &RuleFile) -> Result<Definitions, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut list: Vec<(Definition, Arc<Program>)> = Vec::new();
        let mut reads = Vec::new();
        for (i, d) in self.definitions.into_iter().enumerate() {
            let valid = d.name.starts_with(|c: char| c.is_ascii_alphabetic())
                && d.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || VARIABLES.contains(&d.name.as_str()) {
                errors.push(file.error(
                    &format!("definitions[{i}].name"),
                    format!("`{}` cannot name a definition", d.name),
                    Some(format!(
                        "use letters, digits and underscores, starting with a letter, and none of {}",
                        VARIABLES.join(", ")
                    )),
                ));
                continue;
            }
            let earlier: Vec<&str> = list.iter().map(|(d, _)| d.name.as_str()).collect();
            match compile_expression(&d.value, &earlier) {
                Ok(p) => {
                    reads.push(read_by(&earlier, &p));
                    list.push((d, p));
                }
                Err(e) => errors.push(file.error(
                    &format!("definitions[{i}].value"),
                    e,
                    Some("a definition may use the facts and the definitions above it".into()),
                )),
            }
        }
        if errors.is_empty() {
            Ok(Definitions { list, reads })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Knowledge;

    fn compiled(yaml: &str) -> Result<Definitions, Vec<RuleError>> {
        let file = RuleFile::new("definitions.yaml", yaml);
        file.parse::<DefinitionsFile>().unwrap().compile(&file)
    }

    #[test]
    fn a_definition_may_use_the_ones_above_it() {
        let d = compiled(
            "definitions:\n  - {name: long, value: 'use.weeks > 4'}\n  - {name: longer, value: 'long && use.weeks > 8'}\n",
        )
        .unwrap();
        assert_eq!(d.names(), vec!["long", "longer"]);
    }

    /// An item evaluates only the definitions its rules read, so what one reads is read before
    /// it, at any depth, and nothing else is.
    #[test]
    fn a_definition_brings_what_it_reads() {
        let d = compiled(
            "definitions:\n  - {name: long, value: 'use.weeks > 4'}\n  - {name: short, value: 'use.weeks < 2'}\n  - {name: longer, value: 'long && use.weeks > 8'}\n  - {name: longest, value: 'longer && use.weeks > 16'}\n",
        )
        .unwrap();
        let program = crate::rules::environment::compile("longest || item.drug == null").unwrap();
        assert_eq!(d.read_by(&program), vec![3]);
        let mut wanted = vec![false, false, false, true];
        d.with_what_they_read(&mut wanted);
        assert_eq!(wanted, [true, false, true, true]);
    }

    #[test]
    fn a_definition_may_not_use_one_below_it_or_a_fact_name() {
        let errors = compiled(
            "definitions:\n  - {name: longer, value: 'long && use.weeks > 8'}\n  - {name: long, value: 'use.weeks > 4'}\n  - {name: item, value: 'true'}\n",
        )
        .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("unknown variable `long`"));
        assert!(messages[1].contains("`item` cannot name a definition"));
    }
}
