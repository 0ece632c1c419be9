//! Scopes: which areas, units and saved runs a requester may read — the one rule every handler that
//! takes an area, a unit or a run asks.
//!
//! A role grants a permission ([`crate::access::allows`]); its scope narrows where. Reading of
//! platform.md §1: analysts, the committee, auditors, administrators and partners work state-wide (their
//! only scope is "all"); a unit head answers for one unit (or every unit, unscoped); an Igesp coordinator
//! for one municipality (or every one, unscoped). A scope that does not fit its role — a coordinator
//! scoped to a unit, an analyst scoped to a municipality — is refused when it is granted ([`fits`]) and,
//! if one is found stored, counts for nothing: the rule fails closed, never open.
//!
//! Saved runs of RECAP and IPEI hold named people, BOs and amounts of every unit: only those who may see
//! the named payroll (committee and auditors, state-wide) read a whole run. Unit heads read their unit's
//! part through their unit's own pages (the statement, the exclusion list), never the whole.

use std::collections::BTreeSet;

use crate::access::{Permission, Role, allows};

/// What a role is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Scope {
    /// Everything the role grants.
    All,
    /// One unit (by code).
    Unit(String),
    /// One municipality (territory code).
    Municipality(String),
}

impl Scope {
    /// For people (pt-BR).
    pub fn label_pt(&self) -> String {
        match self {
            Scope::All => "todos".into(),
            Scope::Unit(c) => format!("unidade {c}"),
            Scope::Municipality(c) => format!("município {c}"),
        }
    }
}

/// Whether `scope` fits `role`: every role may be unscoped; only unit heads are scoped to a unit and only
/// coordinators to a municipality.
pub fn fits(role: Role, scope: &Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Unit(_) => role == Role::UnitHead,
        Scope::Municipality(_) => role == Role::Coordinator,
    }
}

/// Where a requester's grants reach for one permission: everywhere, or some units and municipalities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    everywhere: bool,
    units: BTreeSet<String>,
    municipalities: BTreeSet<String>,
}

impl Reach {
    /// The reach of `grants` (role and scope) for `permission`: the union of the grants whose role
    /// allows it and whose scope fits the role.
    pub fn of<'a>(
        grants: impl IntoIterator<Item = (Role, &'a Scope)>,
        permission: Permission,
    ) -> Reach {
        let mut r = Reach::default();
        for (role, scope) in grants {
            if !allows(role, permission) || !fits(role, scope) {
                continue;
            }
            match scope {
                Scope::All => r.everywhere = true,
                Scope::Unit(u) => {
                    r.units.insert(u.clone());
                }
                Scope::Municipality(m) => {
                    r.municipalities.insert(m.clone());
                }
            }
        }
        r
    }

    /// Every area: the reach of the server's own work done for whoever asks next (a cache warmed
    /// after an import), never of a requester.
    pub fn all() -> Reach {
        Reach {
            everywhere: true,
            ..Reach::default()
        }
    }

    /// Reaches everything the permission shows.
    pub fn everywhere(&self) -> bool {
        self.everywhere
    }

    /// Reaches nothing.
    pub fn is_empty(&self) -> bool {
        !self.everywhere && self.units.is_empty() && self.municipalities.is_empty()
    }

    /// The units of unit scopes (to resolve into the areas of their circunscrição).
    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.units.iter().map(String::as_str)
    }

    /// The municipalities of municipality scopes.
    pub fn municipalities(&self) -> impl Iterator<Item = &str> {
        self.municipalities.iter().map(String::as_str)
    }

    /// Whether `unit` is within reach.
    pub fn covers_unit(&self, unit: &str) -> bool {
        self.everywhere || self.units.contains(unit)
    }

    /// Whether an area is within reach. `lineage` is the area's code followed by its ancestors'
    /// (parent, grandparent…); `unit_areas` the areas of the circunscrição of the reached units. An area
    /// is reached when it, or an area that contains it, is one of the reached municipalities or unit
    /// areas: a coordinator of Goiânia reads Goiânia, its AISPs and its intervention areas; a unit head
    /// reads the areas of his unit, not the municipality they lie in.
    pub fn covers_area(&self, lineage: &[&str], unit_areas: &BTreeSet<String>) -> bool {
        self.everywhere
            || lineage.iter().any(|c| {
                self.municipalities.contains(*c)
                    || (!self.units.is_empty() && unit_areas.contains(*c))
            })
    }
}

/// Whether a requester may read a whole saved run of RECAP or IPEI (every unit's people, BOs and
/// amounts): only with the named payroll's permission, state-wide.
pub fn reads_whole_runs<'a>(grants: impl IntoIterator<Item = (Role, &'a Scope)>) -> bool {
    Reach::of(grants, Permission::ViewPayroll).everywhere()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn scopes_fit_only_their_roles() {
        let unit = Scope::Unit("PM-1BPM".into());
        let town = Scope::Municipality("5208707".into());
        for role in Role::ALL {
            assert!(fits(role, &Scope::All), "{role}");
            assert_eq!(fits(role, &unit), role == Role::UnitHead, "{role}");
            assert_eq!(fits(role, &town), role == Role::Coordinator, "{role}");
        }
    }

    /// A coordinator of Goiânia reads Goiânia (5208707), an AISP whose parent is Goiânia and an
    /// intervention area inside that AISP; not Anápolis (5201108).
    #[test]
    fn a_coordinator_reads_the_areas_of_the_municipality() {
        let town = Scope::Municipality("5208707".into());
        let r = Reach::of([(Role::Coordinator, &town)], Permission::Evaluate);
        let none = BTreeSet::new();
        assert!(r.covers_area(&["5208707"], &none));
        assert!(r.covers_area(&["AISP1", "5208707"], &none));
        assert!(r.covers_area(&["INT-GYN-01", "AISP1", "5208707"], &none));
        assert!(!r.covers_area(&["5201108"], &none));
        assert!(!r.covers_area(&["AISP9", "5201108"], &none));
        assert!(!r.covers_unit("PM-1BPM"));
    }

    /// A unit head of PM-1BPM (circunscrição AISP1, AISP2) reads those areas and what lies in them,
    /// not the municipality around them nor another unit's area.
    #[test]
    fn a_unit_head_reads_the_areas_of_his_unit() {
        let unit = Scope::Unit("PM-1BPM".into());
        let r = Reach::of([(Role::UnitHead, &unit)], Permission::ViewOccurrences);
        let areas = set(&["AISP1", "AISP2"]);
        assert_eq!(r.units().collect::<Vec<_>>(), ["PM-1BPM"]);
        assert!(r.covers_area(&["AISP1", "5208707"], &areas));
        assert!(r.covers_area(&["INT-1", "AISP2", "5208707"], &areas));
        assert!(!r.covers_area(&["5208707"], &areas));
        assert!(!r.covers_area(&["AISP7", "5208707"], &areas));
        assert!(r.covers_unit("PM-1BPM"));
        assert!(!r.covers_unit("PM-7BPM"));
    }

    /// A scope that does not fit its role counts for nothing: a coordinator scoped to a unit reaches
    /// nowhere (it used to read as "everywhere").
    #[test]
    fn a_misfit_scope_fails_closed() {
        let unit = Scope::Unit("PM-1BPM".into());
        let r = Reach::of([(Role::Coordinator, &unit)], Permission::Evaluate);
        assert!(r.is_empty());
        assert!(!r.covers_area(&["5208707"], &set(&["5208707"])));
        let town = Scope::Municipality("5208707".into());
        assert!(Reach::of([(Role::Analyst, &town)], Permission::ViewOccurrences).is_empty());
        assert!(!reads_whole_runs([(Role::Committee, &town)]));
    }

    /// Grants count only for the permissions their role allows: a partner's unscoped grant does not
    /// reach occurrences; an analyst's does.
    #[test]
    fn reach_follows_the_permission() {
        let r = Reach::of([(Role::Partner, &Scope::All)], Permission::ViewOccurrences);
        assert!(r.is_empty());
        let r = Reach::of(
            [(Role::Partner, &Scope::All), (Role::Analyst, &Scope::All)],
            Permission::ViewOccurrences,
        );
        assert!(r.everywhere());
    }

    #[test]
    fn whole_runs_are_for_the_committee_and_auditors() {
        assert!(reads_whole_runs([(Role::Committee, &Scope::All)]));
        assert!(reads_whole_runs([(Role::Auditor, &Scope::All)]));
        assert!(!reads_whole_runs([(Role::UnitHead, &Scope::All)]));
        assert!(!reads_whole_runs([(
            Role::UnitHead,
            &Scope::Unit("PM-1BPM".into())
        )]));
        assert!(!reads_whole_runs([(Role::Analyst, &Scope::All)]));
    }
}
