//! What an item requests: strength, quantity, frequency, refills, days supply; for therapies,
//! sessions, sessions a week and weeks. Read from the item's treatment text.

use std::ops::Range;

use regex::Captures;

use crate::rules::Requests;
use crate::rules::categories::Counts;
use crate::rules::patterns::first_of;
use crate::rules::requests::TimeUnit;

/// A value and where it stands (folded range).
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub range: Range<usize>,
}

/// How often: doses a day or sessions a week, as a range (`every 4-6 hours` is 4 to 6 a day).
#[derive(Debug, Clone, PartialEq)]
pub struct Frequency {
    pub per_day: Option<(f64, f64)>,
    pub per_week: Option<(f64, f64)>,
    pub as_needed: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedRequest {
    pub strength: Option<At<String>>,
    pub quantity: Option<At<f64>>,
    pub quantity_unit: Option<String>,
    pub frequency: Option<At<Frequency>>,
    pub refills: Option<At<u32>>,
    pub days_supply: Option<At<u32>>,
    pub sessions: Option<At<u32>>,
    pub weeks: Option<At<u32>>,
}

/// Parses a treatment text at `base` in the folded letter. `therapy` says whether counts are
/// sessions (therapy, visits) rather than units dispensed.
pub fn parse(requests: &Requests, text: &str, base: usize, counts: Counts) -> ParsedRequest {
    let (expanded, origin) = requests.expand(text);
    let map = |r: Range<usize>| {
        base + origin[r.start]
            ..base
                + origin[r.end.min(origin.len() - 1)]
                    .max(origin[r.start] + 1)
                    .min(text.len())
    };
    let mut out = ParsedRequest::default();
    if let Some((_, c)) = first_of(&requests.strength, text).next() {
        let value = c.name("value").unwrap();
        let unit = c.name("unit").unwrap();
        out.strength = Some(At {
            value: format!("{} {}", value.as_str().replace(' ', ""), unit.as_str()),
            range: base + value.start()..base + unit.end(),
        });
    }
    let grammar = &requests.grammar;
    out.frequency =
        first_of(&grammar.frequency, &expanded).fold(None, |acc: Option<At<Frequency>>, (_, c)| {
            let r = map(c.get(0).unwrap().range());
            let f = frequency(requests, &c);
            Some(match acc {
                None => At { value: f, range: r },
                Some(mut a) => {
                    a.value.per_day = a.value.per_day.or(f.per_day);
                    a.value.per_week = a.value.per_week.or(f.per_week);
                    a.value.as_needed |= f.as_needed;
                    a.range = a.range.start.min(r.start)..a.range.end.max(r.end);
                    a
                }
            })
        });
    if let Some((_, c)) = first_of(&grammar.refills, &expanded).next()
        && let Some(v) = c.name("n").and_then(|m| requests.number(m.as_str()))
    {
        out.refills = Some(At {
            value: v as u32,
            range: map(c.get(0).unwrap().range()),
        });
    }
    if let Some((_, c)) = first_of(&grammar.days_supply, &expanded).next() {
        let days_in = |unit| match unit {
            TimeUnit::Hour | TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 30.0,
        };
        let days = c
            .name("n")
            .and_then(|m| requests.number(m.as_str()))
            .zip(TimeUnit::of(&c))
            .map(|(n, unit)| n * days_in(unit));
        if let Some(d) = days {
            out.days_supply = Some(At {
                value: d as u32,
                range: map(c.get(0).unwrap().range()),
            });
        }
    }
    if counts.sessions() {
        therapy_counts(requests, &expanded, counts == Counts::Days, &map, &mut out);
    } else if let Some((_, c)) = first_of(&requests.quantity, text).last() {
        // The last count is the quantity: `Tylenol #3 300/30mg #120` dispenses 120.
        if let Some(n) = c.name("n") {
            out.quantity = n.as_str().parse().ok().map(|v| At {
                value: v,
                range: base + c.get(0).unwrap().start()..base + c.get(0).unwrap().end(),
            });
            out.quantity_unit = c.name("unit").map(|u| u.as_str().to_lowercase());
        }
    }
    out
}

/// How often one match says: its count (or once) per its unit of time, or every n hours.
fn frequency(requests: &Requests, c: &Captures) -> Frequency {
    let num = |k: &str| c.name(k).and_then(|m| requests.number(m.as_str()));
    let mut f = Frequency {
        per_day: None,
        per_week: None,
        as_needed: c.name("as_needed").is_some(),
    };
    let (n, hi) = match c.name("n") {
        // A count the numbers do not know says nothing.
        Some(_) => match num("n") {
            Some(n) => (n, num("n2").unwrap_or(n)),
            None => return f,
        },
        None => (1.0, 1.0),
    };
    match TimeUnit::of(c) {
        Some(TimeUnit::Hour) if n > 0.0 && hi > 0.0 => f.per_day = Some((24.0 / hi, 24.0 / n)),
        Some(TimeUnit::Day) => f.per_day = Some((n, hi)),
        Some(TimeUnit::Week) => f.per_week = Some((n, hi)),
        Some(TimeUnit::Month) => f.per_week = Some((n * 7.0 / 30.0, hi * 7.0 / 30.0)),
        // Every zero hours says nothing.
        Some(TimeUnit::Hour) | None => {}
    }
    f
}

fn therapy_counts(
    requests: &Requests,
    expanded: &str,
    days_attended: bool,
    map: &dyn Fn(Range<usize>) -> Range<usize>,
    out: &mut ParsedRequest,
) {
    let grammar = &requests.grammar;
    // Where the schedule stands: the `x 6` of `2 x 6` is its weeks, not a count of sessions.
    let mut schedule_at: Option<Range<usize>> = None;
    if let Some((_, c)) = first_of(&grammar.schedule, expanded).next() {
        schedule_at = Some(c.get(0).unwrap().range());
        let number = |group: &str| c.name(group).and_then(|m| requests.number(m.as_str()));
        // (sessions a week, weeks, sessions) of `2x/week x 6 weeks` or `1x/month x 6 months`.
        let schedule = match (number("per"), number("weeks"), number("months")) {
            (Some(per), Some(weeks), _) => Some((per, weeks, per * weeks)),
            (Some(per), None, Some(months)) => Some((
                per * 7.0 / 30.0,
                (months * 30.0 / 7.0).round(),
                per * months,
            )),
            _ => None,
        };
        if let Some((per_week, weeks, sessions)) = schedule {
            let r = map(c.get(0).unwrap().range());
            out.frequency = Some(At {
                value: Frequency {
                    per_day: None,
                    per_week: Some((per_week, per_week)),
                    as_needed: false,
                },
                range: r.clone(),
            });
            out.weeks = Some(At {
                value: weeks as u32,
                range: r.clone(),
            });
            out.sessions = Some(At {
                value: sessions as u32,
                range: r,
            });
        }
    }
    // `times six weeks` and `four weeks of therapy sessions` are durations, not counts; a word
    // that only contains one (`20 full-day sessions`) is not. Where days are attended, a day is
    // a session (`x 10 days`).
    let count = first_of(&grammar.sessions, expanded).find(|(i, c)| {
        if grammar.sessions_days_attended[*i] && !days_attended {
            return false;
        }
        let whole = c.get(0).unwrap();
        if schedule_at
            .as_ref()
            .is_some_and(|at| at.start <= whole.start() && whole.end() <= at.end)
        {
            return false;
        }
        let rest = expanded[whole.end()..].trim_start().to_ascii_lowercase();
        let within = grammar.sessions_count_first[*i].then(|| whole.as_str().to_ascii_lowercase());
        let words_within = within.iter().flat_map(|b| b.split_whitespace().skip(1));
        let is_duration = |word: &str| {
            grammar
                .durations
                .iter()
                .any(|w| word.starts_with(w.as_str()))
                && !(days_attended && word.starts_with("day"))
        };
        !(is_duration(&rest) || words_within.into_iter().any(is_duration))
    });
    if let Some((_, c)) = count
        && let Some(n) = c.name("n").and_then(|m| requests.number(m.as_str()))
    {
        // A stated total beats one computed from the schedule.
        out.sessions = Some(At {
            value: n as u32,
            range: map(c.get(0).unwrap().range()),
        });
    }
    if out.weeks.is_none()
        && let Some((_, c)) = first_of(&grammar.weeks, expanded).next()
        && let Some(n) = c.name("n").and_then(|m| requests.number(m.as_str()))
    {
        out.weeks = Some(At {
            value: n as u32,
            range: map(c.get(0).unwrap().range()),
        });
    }
    if out.sessions.is_none()
        && let (Some(w), Some(f)) = (&out.weeks, &out.frequency)
        && let Some((per, _)) = f.value.per_week
    {
        out.sessions = Some(At {
            value: (per * f64::from(w.value)) as u32,
            range: w.range.start.min(f.range.start)..w.range.end.max(f.range.end),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn parse_med(s: &str) -> ParsedRequest {
        let rules = RuleSet::for_tests();
        parse(&rules.requests, s, 0, Counts::Units)
    }

    fn parse_therapy(s: &str) -> ParsedRequest {
        let rules = RuleSet::for_tests();
        parse(&rules.requests, s, 0, Counts::Sessions)
    }

    #[test]
    fn seed_requests() {
        let r = parse_med("Clonazepam 1 mg #90 with 1 refill");
        assert_eq!(r.strength.unwrap().value, "1 mg");
        assert_eq!(r.quantity.unwrap().value, 90.0);
        assert_eq!(r.refills.unwrap().value, 1);
        assert!(r.frequency.is_none());
        let r = parse_med("Klonopin 0.5mg. 90 tablets, no refills");
        assert_eq!(r.strength.unwrap().value, "0.5 mg");
        assert_eq!(r.quantity.unwrap().value, 90.0);
        assert_eq!(r.quantity_unit.as_deref(), Some("tablets"));
        assert_eq!(r.refills.unwrap().value, 0);
        let r = parse_med("S5000, Klonopin 0.5mg qty: 10.00");
        assert_eq!(r.quantity.unwrap().value, 10.0);
        let r = parse_med("CLONAZEPAM 1 MG #90, WITH THREE REFILLS");
        assert_eq!(r.refills.unwrap().value, 3);
        let r = parse_med("NORCO 10/325 MG #150");
        assert_eq!(r.strength.unwrap().value, "10/325 MG");
        assert!(r.refills.is_none());
    }

    #[test]
    fn combination_strengths_and_numbered_brands() {
        let r = parse_med("Norco 7.5-325mg #60");
        assert_eq!(r.strength.unwrap().value, "7.5-325 mg");
        let r = parse_med("Tylenol #3 300/30mg #120");
        assert_eq!(r.quantity.unwrap().value, 120.0);
    }

    #[test]
    fn corpus_frequencies() {
        let f = |s: &str| parse_med(s).frequency.map(|f| f.value);
        assert_eq!(
            f("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill")
                .unwrap()
                .per_day,
            Some((4.0, 4.0))
        );
        assert_eq!(
            f("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40")
                .unwrap()
                .per_day,
            Some((2.0, 2.0))
        );
        let prn = f("Norco 10/325 1-2 tabs every 4-6 hrs as needed #120").unwrap();
        assert_eq!(prn.per_day, Some((4.0, 6.0)));
        assert!(prn.as_needed);
        assert_eq!(
            f("Tramadol 50mg TID #90").unwrap().per_day,
            Some((3.0, 3.0))
        );
        assert_eq!(
            f("Cyclobenzaprine 10mg po q8h prn").unwrap().per_day,
            Some((3.0, 3.0))
        );
        assert!(f("Ultram 50mg #30").is_none());
    }

    #[test]
    fn quantities_units_and_days() {
        let r = parse_med(
            "Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, DOS: 11/11/2016",
        );
        assert_eq!(r.quantity.as_ref().unwrap().value, 60.0);
        assert_eq!(r.quantity_unit.as_deref(), Some("grams"));
        assert_eq!(r.refills.unwrap().value, 1);
        let r = parse_med("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40");
        assert_eq!(r.days_supply.unwrap().value, 14);
        assert_eq!(r.quantity.unwrap().value, 40.0);
        let r = parse_med("Three months coverage of Viagra 50mg");
        assert_eq!(r.days_supply.unwrap().value, 90);
    }

    #[test]
    fn therapy_sessions() {
        let s = |t: &str| {
            let r = parse_therapy(t);
            (
                r.sessions.map(|s| s.value),
                r.weeks.map(|w| w.value),
                r.frequency.and_then(|f| f.value.per_week).map(|p| p.0),
            )
        };
        assert_eq!(
            s("Electro acupuncture to the low back two times a week times six weeks"),
            (Some(12), Some(6), Some(2.0))
        );
        assert_eq!(
            s("Chiropractic care to the low back two times a week for four weeks"),
            (Some(8), Some(4), Some(2.0))
        );
        assert_eq!(
            s("Physical therapy 2 times a week for 6 weeks (12 sessions)"),
            (Some(12), Some(6), Some(2.0))
        );
        assert_eq!(
            s("Acupuncture therapy sessions lumbar spine #6"),
            (Some(6), None, None)
        );
        assert_eq!(
            s("Associated surgical service: Physical therapy, times 12"),
            (Some(12), None, None)
        );
        assert_eq!(
            s("Physical therapy to the low back two sessions"),
            (Some(2), None, None)
        );
        assert_eq!(
            s("physical therapy 2x4 for the lumbar spine"),
            (Some(8), Some(4), Some(2.0))
        );
        assert_eq!(
            s("Referral to chiropractor, twice a week for 3 weeks"),
            (Some(6), Some(3), Some(2.0))
        );
        assert_eq!(s("Physical therapy x6"), (Some(6), None, None));
        // The `x 6` of a schedule written with spaces is its weeks, not a count; a count stated
        // beside the schedule still beats it.
        assert_eq!(
            s("Physical therapy 2 x 6 lumbar spine"),
            (Some(12), Some(6), Some(2.0))
        );
        assert_eq!(
            s("Work conditioning 2x/wk x 5 wks"),
            (Some(10), Some(5), Some(2.0))
        );
        assert_eq!(
            s("Physical therapy 2 x 4, 6 sessions"),
            (Some(6), Some(4), Some(2.0))
        );
        // A duration word between the count and its noun makes a duration; a word containing one
        // does not.
        assert_eq!(s("four weeks of therapy sessions"), (None, None, None));
        assert_eq!(
            s("Chronic pain program, 20 full-day sessions"),
            (Some(20), None, None)
        );
        assert_eq!(s("Lumbar ESI, series of three"), (Some(3), None, None));
        // Days are sessions only where days are attended (a program); elsewhere a duration.
        let days = |t: &str| {
            parse(&RuleSet::for_tests().requests, t, 0, Counts::Days)
                .sessions
                .map(|s| s.value)
        };
        assert_eq!(
            days("Functional restoration program, 2 weeks (10 days)"),
            Some(10)
        );
        assert_eq!(days("Partial hospitalization program x 10 days"), Some(10));
        assert_eq!(days("Functional restoration program x 160 hours"), None);
        assert_eq!(s("Physical therapy x 10 days"), (None, None, None));
        assert_eq!(s("Physical therapy 2 weeks (10 days)"), (None, None, None));
        assert_eq!(
            s("Home health aide 5 days/week x 4 weeks"),
            (Some(20), Some(4), Some(5.0))
        );
        // A monthly schedule: sessions a month times months; its weeks and weekly rate follow.
        let (sessions, weeks, per_week) = s("Maintenance manipulation 1x/month x 6 months");
        assert_eq!((sessions, weeks), (Some(6), Some(26)));
        assert!(per_week.is_some_and(|p| (p - 7.0 / 30.0).abs() < 1e-9));
        assert_eq!(
            s("Massage therapy twice a month for three months").0,
            Some(6)
        );
        // Near misses: a month's supply, and a follow-up in a month, are no schedule.
        assert_eq!(s("Office follow-up in one month"), (None, None, None));
        assert_eq!(s("TENS unit rental x 1 month"), (None, None, None));
        assert_eq!(
            s("Eight (8) physical therapy sessions"),
            (Some(8), None, None)
        );
        assert_eq!(
            s("Twelve physical therapy sessions, three times weekly, for the right elbow"),
            (Some(12), None, Some(3.0))
        );
        assert_eq!(
            s("Additional physical therapy three times a week over two weeks"),
            (Some(6), Some(2), Some(3.0))
        );
        assert_eq!(
            s("Twelve acupuncture visits with Capsaicin patch"),
            (Some(12), None, None)
        );
        assert_eq!(
            s("Physical therapy for four weeks of sessions"),
            (None, Some(4), None)
        );
        assert_eq!(
            s("Physical therapy evaluation, cervical and thoracic spine"),
            (None, None, None)
        );
    }

    #[test]
    fn numbers_in_words() {
        let requests = &RuleSet::for_tests().requests;
        assert_eq!(requests.number("three"), Some(3.0));
        assert_eq!(requests.number("12"), Some(12.0));
        assert_eq!(requests.number("twice"), Some(2.0));
        assert_eq!(requests.number("many"), None);
    }

    /// Where two patterns of a list match at one place the first listed wins, and a later place
    /// is still read: `2x6` is a schedule, and the refills after a frequency are found.
    #[test]
    fn the_first_pattern_at_each_place_wins() {
        let requests = &RuleSet::for_tests().requests;
        let p = parse(
            requests,
            "Physical therapy 2x6 for the low back",
            0,
            Counts::Sessions,
        );
        assert_eq!(p.sessions.map(|s| s.value), Some(12));
        assert_eq!(p.weeks.map(|w| w.value), Some(6));
        let p = parse(
            requests,
            "Meloxicam 15 mg once daily #30 with two refills",
            0,
            Counts::Units,
        );
        assert_eq!(p.frequency.unwrap().value.per_day, Some((1.0, 1.0)));
        assert_eq!(p.refills.map(|r| r.value), Some(2));
        let p = parse(
            requests,
            "Ondansetron 4 mg every 6-8 hours as needed",
            0,
            Counts::Units,
        );
        let f = p.frequency.unwrap().value;
        assert_eq!(f.per_day, Some((3.0, 4.0)));
        assert!(f.as_needed);
        let p = parse(
            requests,
            "Ibuprofen 800 mg, 30 day supply",
            0,
            Counts::Units,
        );
        assert_eq!(p.days_supply.map(|d| d.value), Some(30));
        let p = parse(
            requests,
            "Ibuprofen 800 mg, one month supply",
            0,
            Counts::Units,
        );
        assert_eq!(p.days_supply.map(|d| d.value), Some(30));
    }
}
