//! The scope rule of `atalaia_core::scope` resolved against the store: which areas a requester may read
//! on a day. Handlers that take an area ask [`AreaScope::require`] before they read; what is out of
//! scope answers 404, like a missing area.

use std::collections::{BTreeSet, HashMap};

use atalaia_core::access::Permission;
use atalaia_core::scope::Reach;
use chrono::NaiveDate;

use crate::guard::Identity;
use crate::{AppError, AppState};

/// How deep an area's ancestors are followed (state → municipality → AISP → intervention area).
const MAX_LINEAGE: usize = 8;

/// The areas a requester reaches for one permission on one day.
#[derive(Debug, Clone)]
pub struct AreaScope {
    reach: Reach,
    unit_areas: BTreeSet<String>,
    parents: HashMap<String, String>,
}

impl AreaScope {
    /// The scope of `id` for `permission` on `day`: the circunscrição of their units in force that day,
    /// and each territory's parent (from the version in force that day, or its latest).
    pub async fn of(
        st: &AppState,
        id: &Identity,
        permission: Permission,
        day: NaiveDate,
    ) -> Result<AreaScope, AppError> {
        let reach = id.reach(permission);
        let mut unit_areas = BTreeSet::new();
        for unit in reach.units() {
            unit_areas.extend(st.db.unit_areas_on(unit, day).await?);
        }
        let mut parents = HashMap::new();
        if !reach.everywhere() && !reach.is_empty() {
            for t in st.territories().await?.iter() {
                let Some(parent) = &t.parent_code else {
                    continue;
                };
                if t.valid_on(day) || !parents.contains_key(&t.code) {
                    parents.insert(t.code.clone(), parent.clone());
                }
            }
        }
        Ok(AreaScope {
            reach,
            unit_areas,
            parents,
        })
    }

    /// Every area, for the server's own work (`Reach::all`).
    pub fn all() -> AreaScope {
        AreaScope {
            reach: Reach::all(),
            unit_areas: BTreeSet::new(),
            parents: HashMap::new(),
        }
    }

    /// Reaches every area.
    pub fn everywhere(&self) -> bool {
        self.reach.everywhere()
    }

    /// Whether the area `code` is within reach (it, or an area containing it).
    pub fn covers(&self, code: &str) -> bool {
        if self.reach.everywhere() {
            return true;
        }
        let mut lineage = vec![code];
        while lineage.len() < MAX_LINEAGE {
            match lineage.last().and_then(|c| self.parents.get(*c)) {
                Some(p) if !lineage.contains(&p.as_str()) => lineage.push(p),
                _ => break,
            }
        }
        self.reach.covers_area(&lineage, &self.unit_areas)
    }

    /// `Ok` when `code` is within reach; otherwise the 404 of an area that does not exist.
    pub fn require(&self, code: &str) -> Result<(), AppError> {
        if self.covers(code) {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("a área `{code}`")))
        }
    }

    /// The area codes an occurrence must carry one of (its `areas` column), or `None` for every area:
    /// the municipalities of the scopes and the areas of the units.
    pub fn occurrence_areas(&self) -> Option<Vec<String>> {
        if self.reach.everywhere() {
            return None;
        }
        let mut areas: BTreeSet<String> = self.unit_areas.clone();
        areas.extend(self.reach.municipalities().map(str::to_string));
        Some(areas.into_iter().collect())
    }
}
