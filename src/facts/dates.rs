//! Dates as letters write them: `04/21/2014`, `11/23/99`, `10-13-16`, `October 5, 2001`,
//! `Oct. 5, 2001`, `March 2015`, `12/2016`, `in 2013`.

use std::ops::Range;
use std::sync::LazyLock;

use jiff::civil::Date;
use regex::Regex;
use serde::Serialize;

/// How much of a date the text gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Month,
    Year,
}

/// A date found in the text: the first and last day it may mean, and where it stands (folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub earliest: Date,
    pub latest: Date,
    pub precision: Precision,
    pub range: Range<usize>,
}

const MONTHS: &str = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?ix)
        \b(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}}|\d{{2}})\b
        | \b(?P<mh>\d{{1,2}})-(?P<dh>\d{{1,2}})-(?P<yh>\d{{4}}|\d{{2}})\b
        | \b{MONTHS}\.?\s(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s(?P<year>\d{{4}})\b
        | \b(?P<day2>\d{{1,2}})\s(?P<month2>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?),?\s(?P<year2>\d{{4}})\b
        | \b(?P<month3>january|february|march|april|may|june|july|august|september|october|november|december)(?:\sof)?,?\s(?P<year3>\d{{4}})\b
        | \b(?P<m4>\d{{1,2}})/(?P<y4>\d{{4}})\b
        | \b(?:in|since|during|from|early|late|mid|circa|until)[\s-](?P<year5>(?:19|20)\d{{2}})\b
        "
    ))
    .unwrap_or_else(|e| panic!("date regex: {e}"))
});

/// Every date in `folded[range]`, in order. Impossible dates (`13/45/2016`) are skipped.
pub fn find(folded: &str, range: Range<usize>) -> Vec<FoundDate> {
    let hay = &folded[range.clone()];
    DATE.captures_iter(hay)
        .filter_map(|c| {
            let m = c.get(0)?;
            let num = |n: &str| c.name(n).and_then(|v| v.as_str().parse::<i32>().ok());
            let at = range.start + m.start()..range.start + m.end();
            let numeric_year = c.name("y").or(c.name("yh"));
            let (earliest, latest, precision) = if let (Some(mo), Some(d), Some(y)) = (
                num("m").or(num("mh")),
                num("d").or(num("dh")),
                numeric_year.and_then(|y| y.as_str().parse().ok()),
            ) {
                let y = full_year(y, numeric_year?.as_str().len());
                let d = date(y, mo, d)?;
                (d, d, Precision::Day)
            } else if let (Some(mo), Some(d), Some(y)) = (
                c.name("month").and_then(|v| month(v.as_str())),
                num("day"),
                num("year"),
            ) {
                let d = date(y, mo, d)?;
                (d, d, Precision::Day)
            } else if let (Some(d), Some(mo), Some(y)) = (
                num("day2"),
                c.name("month2").and_then(|v| month(v.as_str())),
                num("year2"),
            ) {
                let d = date(y, mo, d)?;
                (d, d, Precision::Day)
            } else if let (Some(mo), Some(y)) = (
                c.name("month3")
                    .and_then(|v| month(v.as_str()))
                    .or(num("m4")),
                num("year3").or(num("y4")),
            ) {
                let first = date(y, mo, 1)?;
                (first, first.last_of_month(), Precision::Month)
            } else {
                let y = num("year5")?;
                (date(y, 1, 1)?, date(y, 12, 31)?, Precision::Year)
            };
            let at = if precision == Precision::Year {
                // Point at the year itself, not the preposition before it.
                let y = c.name("year5")?;
                range.start + y.start()..range.start + y.end()
            } else {
                at
            };
            Some(FoundDate {
                earliest,
                latest,
                precision,
                range: at,
            })
        })
        .collect()
}

/// Two-digit years: 00-49 are 2000s, 50-99 are 1900s (injuries from the 1950s on, letters to 2049).
fn full_year(y: i32, digits: usize) -> i32 {
    match (digits, y) {
        (2, 0..=49) => 2000 + y,
        (2, _) => 1900 + y,
        _ => y,
    }
}

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    if !(1900..=2100).contains(&y) {
        return None;
    }
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

fn month(name: &str) -> Option<i32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|n| lower.starts_with(n))
        .map(|i| i as i32 + 1)
}

/// Parses a single date value (a header field such as `Date of Injury: 10/16/2016`).
pub fn parse_value(folded: &str, range: Range<usize>) -> Option<FoundDate> {
    find(folded, range).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(s: &str) -> Vec<(String, Precision)> {
        find(s, 0..s.len())
            .into_iter()
            .map(|d| (d.earliest.to_string(), d.precision))
            .collect()
    }

    #[test]
    fn every_form_the_letters_use() {
        use Precision::*;
        assert_eq!(
            dates("since at least 10/22/2013."),
            vec![("2013-10-22".into(), Day)]
        );
        assert_eq!(
            dates("injury on 11/23/99."),
            vec![("1999-11-23".into(), Day)]
        );
        assert_eq!(
            dates("on 10-13-16 and 10-16-2016"),
            vec![("2016-10-13".into(), Day), ("2016-10-16".into(), Day)]
        );
        assert_eq!(
            dates("an industrial injury of October 5, 2001.In"),
            vec![("2001-10-05".into(), Day)]
        );
        assert_eq!(
            dates("dated Sept. 22, 2014"),
            vec![("2014-09-22".into(), Day)]
        );
        assert_eq!(dates("on 5 March 2015"), vec![("2015-03-05".into(), Day)]);
        assert_eq!(
            dates("Echocardiogram in March 2015 showed"),
            vec![("2015-03-01".into(), Month)]
        );
        assert_eq!(dates("as of 12/2016"), vec![("2016-12-01".into(), Month)]);
        assert_eq!(
            dates("Earlier notes in 2013 noted"),
            vec![("2013-01-01".into(), Year)]
        );
    }

    #[test]
    fn periods_have_a_last_day() {
        let d = &find("in February 2016", 0..16)[0];
        assert_eq!(d.latest.to_string(), "2016-02-29");
        let s = "in 2013";
        let d = &find(s, 0..s.len())[0];
        assert_eq!(&s[d.range.clone()], "2013");
        assert_eq!(d.latest.to_string(), "2013-12-31");
    }

    #[test]
    fn impossible_dates_and_numbers_are_not_dates() {
        assert!(dates("13/45/2016 and 4/6 acupuncture and 10/325mg and 63-66").is_empty());
        assert!(dates("May I add 2013 patients").is_empty());
    }
}
