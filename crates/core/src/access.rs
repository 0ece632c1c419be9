//! Roles and permissions (platform.md §1): who may do what, decided in one table.
//!
//! A user holds one or more [`Role`]s; a route or an API operation requires one [`Permission`]; the one
//! function [`allows`] says whether a role grants a permission. The web layer asks it once per request;
//! nothing else in the program decides access. Scopes (units, municipalities) narrow what a granted
//! permission shows — they never grant one.

use std::fmt;
use std::str::FromStr;

use crate::serde_str::serde_as_str;

/// A role of platform.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Secretariat IT: users, institutions, platform configuration; sees the audit log.
    Admin,
    /// Sejusp technical team: imports, territories, populations, crime maps, diagnostics.
    Analyst,
    /// Comitê Gestor of Goiás Cidadão Seguro: program configuration, runs, results, appeals, payments.
    Committee,
    /// Battalion commander, delegado regional, prison-unit head: their unit(s).
    UnitHead,
    /// Igesp coordinator of a municipality: meetings, plans and actions there.
    Coordinator,
    /// Partner institution (MP, TJ, Defensoria, Prefeitura, Consep, CDL…): what it takes part in.
    Partner,
    /// Internal control, Tribunal de Contas: reads payment matters and the audit log, changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order of platform.md §1.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Analyst,
        Role::Committee,
        Role::UnitHead,
        Role::Coordinator,
        Role::Partner,
        Role::Auditor,
    ];

    /// The role's code (`admin`, `analyst`, `committee`, `unit_head`, `coordinator`, `partner`, `auditor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Committee => "committee",
            Role::UnitHead => "unit_head",
            Role::Coordinator => "coordinator",
            Role::Partner => "partner",
            Role::Auditor => "auditor",
        }
    }

    /// The role's name for users (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            Role::Admin => "Administração",
            Role::Analyst => "Analista",
            Role::Committee => "Comitê Gestor",
            Role::UnitHead => "Chefe de unidade",
            Role::Coordinator => "Coordenação Igesp",
            Role::Partner => "Instituição parceira",
            Role::Auditor => "Auditoria",
        }
    }

    /// Roles that handle police-only material: occurrence details (coordinates, BO numbers). igesp.md §7
    /// keeps that material "with the police and the Secretariat": the Secretariat's analysts (who import
    /// the BOs), unit heads (police commanders) and Igesp coordinators (who run the internal meetings on
    /// hot spots with the police). Committee, partners, auditors and IT see aggregates.
    pub fn is_police(self) -> bool {
        matches!(self, Role::Analyst | Role::UnitHead | Role::Coordinator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

serde_as_str!(Role, "a role code such as analyst");

/// A role code that is not one of platform.md §1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("esperado um papel: admin, analyst, committee, unit_head, coordinator, partner ou auditor")]
pub struct RoleError;

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Role, RoleError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(RoleError)
    }
}

/// For stores that read the role as text (`sqlx(try_from = "String")`).
impl TryFrom<String> for Role {
    type Error = RoleError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// What an institution's API key opens: the API with one role's permissions (never administration), or
/// only the server's metrics — the key a Prometheus on another machine scrapes with, which reads nobody's
/// data and changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAccess {
    /// The API, as this role.
    Role(Role),
    /// `/metrics` and nothing else.
    Metrics,
}

impl KeyAccess {
    /// Every access a key may be given, in the order the key form lists them.
    pub fn all() -> impl Iterator<Item = KeyAccess> {
        Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Admin)
            .map(KeyAccess::Role)
            .chain([KeyAccess::Metrics])
    }

    /// The stored code: the role's, or `metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAccess::Role(r) => r.as_str(),
            KeyAccess::Metrics => "metrics",
        }
    }

    /// For people (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            KeyAccess::Role(r) => r.label_pt(),
            KeyAccess::Metrics => "Monitoramento (só métricas do servidor)",
        }
    }

    /// Whether the key may do what `p` requires.
    pub fn allows(self, p: Permission) -> bool {
        match self {
            KeyAccess::Role(r) => allows(r, p),
            KeyAccess::Metrics => p == Permission::Metrics,
        }
    }
}

impl fmt::Display for KeyAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

serde_as_str!(KeyAccess, "a role code (not admin) or metrics");

impl FromStr for KeyAccess {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<KeyAccess, RoleError> {
        if s.trim().eq_ignore_ascii_case("metrics") {
            return Ok(KeyAccess::Metrics);
        }
        s.parse().map(KeyAccess::Role)
    }
}

/// For stores that read the key's access as text (`sqlx(try_from = "String")`).
impl TryFrom<String> for KeyAccess {
    type Error = RoleError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Something a request may need. Each route of the web application and of the API names exactly one
/// (or is public, or needs only a signed-in user); [`allows`] decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Indicators per area and territory pages (aggregates only).
    ViewIndicators,
    /// Occurrence details: the explorer and its exports (police-only material, igesp.md §7).
    ViewOccurrences,
    /// Import files (occurrences, territories, populations, units, operators…).
    Import,
    /// The roster of operators (names, registrations, units): the analysts who keep it, the committee
    /// and auditors (pay rests on it), unit heads (their own units only, by scope).
    ViewOperators,
    /// Users, their roles and institutions.
    ManageUsers,
    /// API keys of institutions.
    ManageApiKeys,
    /// The audit log.
    ViewAudit,
    /// CPFs in full (everyone else sees them masked, platform.md §2): the committee, which authorizes
    /// the named payroll, and auditors, who check payees.
    ViewCpf,
    /// RECAP results, runs and their inputs, cycles (committee; unit heads for their units; auditors).
    ViewRecap,
    /// Program configuration, calculation runs, cycle steps, appeal decisions (committee).
    ManageRecap,
    /// A unit's submissions and appeals (unit heads, for their units).
    UnitActs,
    /// The calendar's year table of decrees (administrators: configuration of the platform).
    ManageCalendar,
    /// Crimes added to the catalog (administrators: configuration of the platform); the built-in
    /// crimes the programs count stay as they are.
    ManageCatalog,
    /// The named payroll of a run (committee and auditors: personal data tied to pay).
    ViewPayroll,
    /// Igesp diagnostics that change the program's data or record a decision: intervention areas made
    /// from hot-spot cells, the municipality selection and its decisions (platform.md §1: the analysts).
    Diagnose,
    /// The evaluation of an intervention (igesp.md §6): before/after, buffer, control, WDQ, WDD. Aggregate
    /// counts only, but of police areas and their rings: analysts, who make the diagnoses, and Igesp
    /// coordinators, who must judge whether their plans worked.
    Evaluate,
    /// Igesp meetings and action plans (igesp.md §4–5, §7). Granted to the police roles that sit at the
    /// table and to partners; *which* meetings and actions a user sees is narrowed in `igesp::visible`
    /// (internal meetings never reach partners; partners see what their institution takes part in;
    /// coordinators their municipalities).
    ViewMeetings,
    /// Schedule meetings, record attendance, minutes and decisions, create and assign actions: the Igesp
    /// coordination (and the Secretariat's analysts who support it).
    ManageMeetings,
    /// Report progress on an action (status, notes, evidence): everyone at the table, but only on actions
    /// their institution is responsible for or partners in (narrowed in `igesp::may_update_action`).
    UpdateActions,
    /// The server's metrics (`/metrics`): request counts and times, pool, imports, overdue steps. No
    /// person's data, but the load and rhythm of the secretariat's work: the Secretariat's IT, which runs
    /// the server (its Prometheus scrapes with an administrator's API key, or from the machine itself).
    Metrics,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 20] = [
        Permission::ViewIndicators,
        Permission::ViewOccurrences,
        Permission::Import,
        Permission::ViewOperators,
        Permission::ManageUsers,
        Permission::ManageApiKeys,
        Permission::ViewAudit,
        Permission::ViewCpf,
        Permission::ViewRecap,
        Permission::ManageRecap,
        Permission::UnitActs,
        Permission::ManageCalendar,
        Permission::ManageCatalog,
        Permission::ViewPayroll,
        Permission::Diagnose,
        Permission::Evaluate,
        Permission::ViewMeetings,
        Permission::ManageMeetings,
        Permission::UpdateActions,
        Permission::Metrics,
    ];

    /// The permission's code (for logs and the OpenAPI document).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewIndicators => "view_indicators",
            Permission::ViewOccurrences => "view_occurrences",
            Permission::Import => "import",
            Permission::ViewOperators => "view_operators",
            Permission::ManageUsers => "manage_users",
            Permission::ManageApiKeys => "manage_api_keys",
            Permission::ViewAudit => "view_audit",
            Permission::ViewCpf => "view_cpf",
            Permission::ViewRecap => "view_recap",
            Permission::ManageRecap => "manage_recap",
            Permission::UnitActs => "unit_acts",
            Permission::ManageCalendar => "manage_calendar",
            Permission::ManageCatalog => "manage_catalog",
            Permission::ViewPayroll => "view_payroll",
            Permission::Diagnose => "diagnose",
            Permission::Evaluate => "evaluate",
            Permission::ViewMeetings => "view_meetings",
            Permission::ManageMeetings => "manage_meetings",
            Permission::UpdateActions => "update_actions",
            Permission::Metrics => "metrics",
        }
    }
}

/// Whether `role` grants `permission` — the one access table of the program (platform.md §1).
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match permission {
        // Aggregates are for everyone who works in the program.
        P::ViewIndicators => true,
        P::ViewOccurrences => role.is_police(),
        P::Import => role == R::Analyst,
        P::ViewOperators => matches!(role, R::Analyst | R::Committee | R::UnitHead | R::Auditor),
        P::ManageUsers | P::ManageApiKeys => role == R::Admin,
        P::ViewAudit => matches!(role, R::Admin | R::Auditor),
        P::ViewCpf => matches!(role, R::Committee | R::Auditor),
        P::ViewRecap => matches!(role, R::Committee | R::UnitHead | R::Auditor),
        P::ManageRecap => role == R::Committee,
        P::UnitActs => role == R::UnitHead,
        P::ManageCalendar | P::ManageCatalog | P::Metrics => role == R::Admin,
        P::ViewPayroll => matches!(role, R::Committee | R::Auditor),
        P::Diagnose => role == R::Analyst,
        P::Evaluate => matches!(role, R::Analyst | R::Coordinator),
        P::ViewMeetings | P::UpdateActions => {
            matches!(role, R::Analyst | R::UnitHead | R::Coordinator | R::Partner)
        }
        P::ManageMeetings => matches!(role, R::Analyst | R::Coordinator),
    }
}

/// Whether any of `roles` grants `permission`.
pub fn any_allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| allows(*r, permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metrics_key_opens_the_metrics_only() {
        for p in Permission::ALL {
            assert_eq!(
                KeyAccess::Metrics.allows(p),
                p == Permission::Metrics,
                "{}",
                p.as_str()
            );
        }
        assert!(!KeyAccess::Role(Role::Auditor).allows(Permission::Metrics));
        let codes: Vec<&str> = KeyAccess::all().map(KeyAccess::as_str).collect();
        assert_eq!(
            codes,
            [
                "analyst",
                "committee",
                "unit_head",
                "coordinator",
                "partner",
                "auditor",
                "metrics"
            ]
        );
        for k in KeyAccess::all() {
            assert_eq!(k.as_str().parse::<KeyAccess>(), Ok(k));
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(r.as_str().to_uppercase().parse::<Role>(), Ok(r));
        }
        assert_eq!("root".parse::<Role>(), Err(RoleError));
        assert_eq!("".parse::<Role>(), Err(RoleError));
    }

    /// The table of platform.md §1, written out by hand: one row per permission, one column per role in
    /// the order admin, analyst, committee, unit_head, coordinator, partner, auditor.
    #[test]
    fn access_table() {
        let table: [(Permission, [bool; 7]); 20] = [
            (
                Permission::ViewIndicators,
                [true, true, true, true, true, true, true],
            ),
            (
                Permission::ViewOccurrences,
                [false, true, false, true, true, false, false],
            ),
            (
                Permission::Import,
                [false, true, false, false, false, false, false],
            ),
            (
                Permission::ViewOperators,
                [false, true, true, true, false, false, true],
            ),
            (
                Permission::ManageUsers,
                [true, false, false, false, false, false, false],
            ),
            (
                Permission::ManageApiKeys,
                [true, false, false, false, false, false, false],
            ),
            (
                Permission::ViewAudit,
                [true, false, false, false, false, false, true],
            ),
            (
                Permission::ViewCpf,
                [false, false, true, false, false, false, true],
            ),
            (
                Permission::ViewRecap,
                [false, false, true, true, false, false, true],
            ),
            (
                Permission::ManageRecap,
                [false, false, true, false, false, false, false],
            ),
            (
                Permission::UnitActs,
                [false, false, false, true, false, false, false],
            ),
            (
                Permission::ManageCalendar,
                [true, false, false, false, false, false, false],
            ),
            (
                Permission::ManageCatalog,
                [true, false, false, false, false, false, false],
            ),
            (
                Permission::ViewPayroll,
                [false, false, true, false, false, false, true],
            ),
            (
                Permission::Diagnose,
                [false, true, false, false, false, false, false],
            ),
            (
                Permission::Evaluate,
                [false, true, false, false, true, false, false],
            ),
            (
                Permission::ViewMeetings,
                [false, true, false, true, true, true, false],
            ),
            (
                Permission::ManageMeetings,
                [false, true, false, false, true, false, false],
            ),
            (
                Permission::UpdateActions,
                [false, true, false, true, true, true, false],
            ),
            (
                Permission::Metrics,
                [true, false, false, false, false, false, false],
            ),
        ];
        for (p, row) in table {
            for (r, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(allows(r, p), expected, "{r} × {}", p.as_str());
            }
        }
        assert!(any_allows(
            &[Role::Partner, Role::Auditor],
            Permission::ViewAudit
        ));
        assert!(!any_allows(&[], Permission::ViewIndicators));
    }
}
