//! Each territory's crimes per group in the twelve whole months before this one, and its latest
//! population: what the public transparency page and the OGC API's territory collections both publish.
//! Read once per data version and month (`crate::cache`), whoever asks first.

use std::collections::HashMap;
use std::sync::Arc;

use atalaia_core::Month;
use atalaia_core::crime::CrimeGroup;
use atalaia_core::selection::GROUPS;
use chrono::{Datelike, NaiveDate};

use crate::{AppError, AppState};

/// The twelve months' counts and populations.
#[derive(Debug)]
pub struct TwelveMonths {
    /// The last month.
    pub end: Month,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Per territory code: the count of each of [`GROUPS`], then the total.
    pub counts: HashMap<String, Vec<u64>>,
    /// Per territory code: the latest population up to the last month's year, and its year.
    pub populations: HashMap<String, (i32, i64)>,
}

/// [`TwelveMonths`] by data version and the first day of the month they were read in (`None`: there is
/// no whole month before today's within the calendar's range).
pub type Cache = crate::cache::Versioned<NaiveDate, Option<TwelveMonths>>;

/// The twelve whole months before today's, read once per data version and month.
pub async fn of(st: &AppState) -> Result<Arc<Option<TwelveMonths>>, AppError> {
    let today = st.config.clock.today();
    let version = st.db.data_version().await?;
    let month_start = today.with_day0(0).unwrap_or(today);
    st.twelve_months_cache
        .get_or(version, month_start, read(st, today))
        .await
}

async fn read(st: &AppState, today: NaiveDate) -> Result<Option<TwelveMonths>, AppError> {
    let Some(end) = Month::of(today).ok().and_then(Month::pred) else {
        return Ok(None);
    };
    let (_, from, end_next) = atalaia_store::selection::windows(end);
    let groups: HashMap<String, CrimeGroup> = st
        .db
        .crimes()
        .await?
        .into_iter()
        .map(|c| (c.code, atalaia_store::selection::group_of(&c.group)))
        .collect();
    let mut counts: HashMap<String, Vec<u64>> = HashMap::new();
    for t in st.db.monthly_totals(from, end_next).await? {
        let g = groups.get(&t.crime).copied().unwrap_or(CrimeGroup::Other);
        let row = counts
            .entry(t.territory_code)
            .or_insert_with(|| vec![0; GROUPS.len() + 1]);
        let n = t.occurrences.max(0) as u64;
        if let Some(i) = GROUPS.iter().position(|x| *x == g) {
            row[i] += n;
        }
        row[GROUPS.len()] += n;
    }
    let codes: Vec<String> = st
        .territories()
        .await?
        .iter()
        .map(|t| t.code.clone())
        .collect();
    let populations = st
        .db
        .populations_upto(&codes, end.year())
        .await?
        .into_iter()
        .filter_map(|(code, v)| v.into_iter().max_by_key(|(y, _)| *y).map(|p| (code, p)))
        .collect();
    Ok(Some(TwelveMonths {
        end,
        from,
        to: end.last_day(),
        counts,
        populations,
    }))
}
