//! Reports for the places auditors and CI already read: GitHub workflow commands, CSV for
//! spreadsheets, and JUnit XML for test dashboards.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::LetterResult;
use crate::check::{Finding, Severity};

/// Where a finding starts: its first label, or the top of the file.
fn place(f: &Finding) -> (usize, usize) {
    f.labels
        .first()
        .map_or((1, 1), |l| (l.span.line, l.span.column))
}

/// GitHub Actions workflow commands, one annotation per finding of a letter
/// (`::warning file=letter.txt,line=3,col=5,title=...::message`).
pub fn github(r: &LetterResult) -> String {
    let mut out = String::new();
    for f in r.reported() {
        let (line, col) = place(&f);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        out.push_str(&format!(
            "::{command} file={},line={line},col={col},title={}::{}\n",
            escape_property(&r.path),
            escape_property(&f.code()),
            escape_data(&format!("{} (help: {})", f.message, f.help)),
        ));
    }
    out
}

/// Workflow command data: `%`, CR and LF are escaped.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: as data, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The CSV header row.
pub fn csv_header() -> Result<String, String> {
    row(&[
        "path", "line", "column", "severity", "kind", "rule", "reason", "item", "message", "help",
    ])
}

/// One CSV row per finding of a letter.
pub fn csv(r: &LetterResult) -> Result<String, String> {
    let mut out = String::new();
    for f in r.reported() {
        let (line, column) = place(&f);
        out.push_str(&row(&[
            r.path.as_str(),
            &line.to_string(),
            &column.to_string(),
            f.severity.id(),
            f.kind.id(),
            f.rule.as_deref().unwrap_or(""),
            f.reason.as_deref().unwrap_or(""),
            &f.item.map(|i| i.to_string()).unwrap_or_default(),
            &f.message,
            &f.help,
        ])?);
    }
    Ok(out)
}

fn row(fields: &[&str]) -> Result<String, String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(|e| e.to_string())?;
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// JUnit XML: one test case per letter. A letter with a finding at or above `fail_at` fails, and
/// its failure lists every finding; a letter that could not be read is an error.
pub struct Junit {
    suite: TestSuite,
    fail_at: Option<Severity>,
}

impl Junit {
    pub fn new(fail_at: Option<Severity>) -> Junit {
        Junit {
            suite: TestSuite::new("imrlint"),
            fail_at,
        }
    }

    pub fn add(&mut self, r: &LetterResult) {
        let findings = r.reported();
        let listed: String = findings
            .iter()
            .map(|f| {
                let (line, column) = place(f);
                format!(
                    "{}:{line}:{column}: {} {} {}\n",
                    r.path,
                    f.severity.id(),
                    f.code(),
                    f.message
                )
            })
            .collect();
        let unreadable = r.text().is_none();
        let failing = findings
            .iter()
            .any(|f| self.fail_at.is_some_and(|t| f.severity >= t));
        let fails = unreadable || failing;
        let status = if fails {
            let mut status = TestCaseStatus::non_success(if unreadable {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            });
            status
                .set_message(format!("{} finding(s)", findings.len()))
                .set_type(
                    findings
                        .iter()
                        .max_by_key(|f| f.severity)
                        .map(|f| f.code())
                        .unwrap_or_default(),
                )
                .set_description(listed.clone());
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(r.path.clone(), status);
        case.set_classname("imrlint.letters");
        // A passing letter's findings (below the threshold) are still shown, as its output.
        if !fails && !listed.is_empty() {
            case.set_system_out(listed);
        }
        self.suite.add_test_case(case);
    }

    pub fn finish(self) -> Result<String, String> {
        let mut report = Report::new("imrlint");
        report.add_test_suite(self.suite);
        report.to_string().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_their_separators() {
        assert_eq!(escape_data("50% of\nit"), "50%25 of%0Ait");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
