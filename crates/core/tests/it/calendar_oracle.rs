//! The business-day calendar against the Python `holidays` package (holidays==0.109), fixtures made
//! once by `scripts/holidays/oracle.py` for 2000–2040: Brazil's national days, Goiás (compared with
//! Goiânia's calendar, since the package lists Oct 24 under the state) and Minas Gerais. Every
//! difference must be one of the deliberate ones explained in `explained`.

use std::collections::BTreeSet;

use atalaia_core::calendar::{Calendar, Scope};
use atalaia_core::{IbgeCode, Uf};
use chrono::{Datelike, NaiveDate};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/holidays");

/// (date, "public" | "optional")
type Day = (NaiveDate, &'static str);

fn oracle(file: &str) -> BTreeSet<Day> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{file}")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let mut f = l.splitn(3, ',');
            let date = NaiveDate::parse_from_str(f.next().unwrap(), "%Y-%m-%d").unwrap();
            let cat = match f.next().unwrap() {
                "public" => "public",
                "optional" => "optional",
                other => panic!("category {other}"),
            };
            (date, cat)
        })
        .collect()
}

fn ours(cal: &Calendar, national_only: bool) -> BTreeSet<Day> {
    (2000..=2040)
        .flat_map(|y| cal.holidays(y))
        .filter(|h| !national_only || h.scope == Scope::National)
        .map(|h| (h.date, if h.optional { "optional" } else { "public" }))
        .collect()
}

/// Why a day differs, if it is a deliberate difference.
fn explained(state: &str, day: &Day, in_ours: bool) -> Option<&'static str> {
    let (date, cat) = *day;
    let carnival_tuesday = atalaia_core::calendar::easter(date.year()) - chrono::Duration::days(47);
    // calendar.md: in Goiás, Carnival Tuesday is a day off by law (Lei 20.756/2020); the package keeps
    // it optional.
    let ours_public_theirs_optional =
        (in_ours && cat == "public") || (!in_ours && cat == "optional");
    if state == "GO"
        && date == carnival_tuesday
        && date.year() >= 2020
        && ours_public_theirs_optional
    {
        return Some("Carnaval (terça) é feriado em Goiás desde a Lei 20.756/2020");
    }
    None
}

fn compare(state: &str, file: &str, cal: &Calendar, national_only: bool) -> usize {
    let theirs = oracle(file);
    let mine = ours(cal, national_only);
    let mut unexplained = Vec::new();
    let mut deliberate = 0;
    for (day, in_ours) in mine
        .difference(&theirs)
        .map(|d| (d, true))
        .chain(theirs.difference(&mine).map(|d| (d, false)))
    {
        match explained(state, day, in_ours) {
            Some(_) => deliberate += 1,
            None => unexplained.push(format!(
                "{} {} only in {}",
                day.0,
                day.1,
                if in_ours { "ours" } else { "the oracle" }
            )),
        }
    }
    assert!(unexplained.is_empty(), "{state}: {unexplained:#?}");
    println!(
        "calendar {state}: {} days in 2000–2040 agree with holidays 0.109 ({deliberate} deliberate differences)",
        mine.len()
    );
    deliberate
}

#[test]
fn calendar_matches_the_oracle() {
    let goiania: IbgeCode = "5208707".parse().unwrap();
    // National days: the Minas calendar without its state day (it coincides with Tiradentes anyway).
    assert_eq!(
        compare("BR", "BR.csv", &Calendar::new(Uf::MG, None), true),
        0
    );
    assert_eq!(
        compare("MG", "MG.csv", &Calendar::new(Uf::MG, None), false),
        0
    );
    // Goiás + Goiânia: Carnival Tuesday 2020–2040 public here, optional in the package: 21 years × 2
    // entries (ours public, theirs optional).
    assert_eq!(
        compare("GO", "GO.csv", &Calendar::new(Uf::GO, Some(goiania)), false),
        42
    );
}
