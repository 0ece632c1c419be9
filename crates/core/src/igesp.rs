//! Igesp integrated management (igesp.md §4, §5, §7): meeting kinds, action statuses, what is overdue,
//! and who sees and changes which meeting and action.
//!
//! Pure: the store hands in the facts (a meeting's kind, municipality and institutions; an action's
//! institutions), the web layer the viewer, and these rules decide. The route's [`crate::access`]
//! permission is asked first; the rules here only narrow it, never widen it.

use crate::dates::BrDate;

use chrono::NaiveDate;

use crate::access::Role;
use crate::scope::Scope;
use crate::serde_str::{display_as_str, parsed_from_text};

/// For an enum with `ALL` and `as_str`: `Display` as the stored code, its parse error, `FromStr` (the
/// code, trimmed, in any case) and serde as the code.
macro_rules! stored_code {
    ($ty:ident, $err:ident, $doc:literal, $msg:literal, $expecting:literal) => {
        display_as_str!($ty);

        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error($msg)]
        pub struct $err(pub String);

        impl $ty {
            /// Parses the code, trimmed, in any case.
            pub fn parse(s: &str) -> Result<Self, $err> {
                let t = s.trim();
                $ty::ALL
                    .into_iter()
                    .find(|k| k.as_str().eq_ignore_ascii_case(t))
                    .ok_or_else(|| $err(t.to_string()))
            }
        }

        parsed_from_text!($ty, $err, $expecting);
    };
}

/// The three kinds of meeting of igesp.md §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeetingKind {
    /// Police forces only: diagnosis and strategy. Police-only material (igesp.md §7).
    Internal,
    /// With the other institutions (Ministério Público, Prefeitura, Conseps…).
    Articulation,
    /// About one intervention area.
    Intervention,
}

impl MeetingKind {
    /// Every kind.
    pub const ALL: [MeetingKind; 3] = [
        MeetingKind::Internal,
        MeetingKind::Articulation,
        MeetingKind::Intervention,
    ];

    /// Code (`internal`, `articulation`, `intervention`).
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingKind::Internal => "internal",
            MeetingKind::Articulation => "articulation",
            MeetingKind::Intervention => "intervention",
        }
    }

    /// For people (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            MeetingKind::Internal => "Reunião interna",
            MeetingKind::Articulation => "Reunião de articulação",
            MeetingKind::Intervention => "Reunião de intervenção",
        }
    }
}

stored_code!(
    MeetingKind,
    MeetingKindError,
    "Not a meeting kind.",
    "tipo de reunião `{0}` inválido: esperado internal, articulation ou intervention",
    "a meeting kind: internal, articulation, intervention"
);

/// Where a meeting stands (igesp.md §4): scheduled, held (its minutes recorded) or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeetingStatus {
    /// Ahead, or past without minutes yet.
    Scheduled,
    /// Held: its minutes are recorded and its agenda frozen.
    Held,
    /// Cancelled (kept, with the reason in the audit log).
    Cancelled,
}

impl MeetingStatus {
    /// Every status.
    pub const ALL: [MeetingStatus; 3] = [
        MeetingStatus::Scheduled,
        MeetingStatus::Held,
        MeetingStatus::Cancelled,
    ];

    /// Code (`scheduled`, `held`, `cancelled`), as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::Held => "held",
            MeetingStatus::Cancelled => "cancelled",
        }
    }

    /// For people (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "agendada",
            MeetingStatus::Held => "realizada",
            MeetingStatus::Cancelled => "cancelada",
        }
    }
}

stored_code!(
    MeetingStatus,
    MeetingStatusError,
    "Not a meeting status.",
    "situação de reunião `{0}` inválida: esperado scheduled, held ou cancelled",
    "a meeting status: scheduled, held, cancelled"
);

/// An action's status (igesp.md §5: planned, in progress, done, cancelled — each change with text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionStatus {
    /// Agreed, not started.
    Planned,
    /// Under way.
    InProgress,
    Done,
    /// Cancelled (with the reason in its note).
    Cancelled,
}

impl ActionStatus {
    /// Every status.
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::Planned,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Cancelled,
    ];

    /// Code (`planned`, `in_progress`, `done`, `cancelled`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    /// For people (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planejada",
            ActionStatus::InProgress => "em andamento",
            ActionStatus::Done => "concluída",
            ActionStatus::Cancelled => "cancelada",
        }
    }

    /// Still to be done (planned or in progress): carried into the next meeting.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Planned | ActionStatus::InProgress)
    }
}

stored_code!(
    ActionStatus,
    ActionStatusError,
    "Not an action status.",
    "situação `{0}` inválida: esperado planned, in_progress, done ou cancelled",
    "an action status: planned, in_progress, done, cancelled"
);

/// Overdue (igesp.md §5, "flagged everywhere"): still open and its due date is before `today`. An action
/// due today is not overdue yet.
pub fn is_overdue(status: ActionStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.is_open() && due_on < today
}

/// Whether an institution of `kind` (an institution record's kind code) sits at internal meetings: the
/// security forces (PM, PC, BM, SPTC, PP) and the Secretariat (`SEJUSP`, or `SSP`, the code the
/// administration page offers for a state's Secretaria de Segurança Pública). igesp.md §4: internal
/// meetings are "police forces only"; the Secretariat runs them.
pub fn police_side(kind: &str) -> bool {
    match crate::Institution::parse(kind) {
        Ok(i) => i.is_security_force() || i == crate::Institution::Sejusp || i.code() == "SSP",
        Err(_) => false,
    }
}

/// Who is looking, as far as Igesp's sharing rules care (igesp.md §7, platform.md §1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Viewer {
    /// The user's institution (its id).
    pub institution: i64,
    /// Holds a police role (analyst, unit head, coordinator: [`Role::is_police`]): may see internal
    /// meetings and police-only material.
    pub police: bool,
    /// Sees every municipality's meetings and actions (an analyst, or a coordinator without a scope).
    pub everywhere: bool,
    /// The municipalities (territory codes) a scoped coordinator answers for.
    pub municipalities: Vec<String>,
    /// May schedule and run meetings and plans (`ManageMeetings`), within `everywhere`/`municipalities`.
    pub manages: bool,
}

impl Viewer {
    /// The viewer of a user with `grants` (role and scope) in `institution`.
    ///
    /// Reading of platform.md §1 and igesp.md §7: analysts (the Secretariat) see every municipality; a
    /// coordinator sees the municipalities of their scope (all when unscoped); unit heads and partners
    /// see what their institution takes part in. Only coordinators and analysts manage. A grant whose
    /// scope does not fit its role ([`crate::scope::fits`]: a coordinator scoped to a unit) counts for
    /// nothing — it used to read as "everywhere".
    pub fn of(institution: i64, grants: &[(Role, Scope)]) -> Viewer {
        let mut v = Viewer {
            institution,
            ..Viewer::default()
        };
        for (role, scope) in grants {
            if !crate::scope::fits(*role, scope) {
                continue;
            }
            v.police |= role.is_police();
            match role {
                Role::Analyst => {
                    v.everywhere = true;
                    v.manages = true;
                }
                Role::Coordinator => {
                    v.manages = true;
                    match scope {
                        Scope::Municipality(m) => v.municipalities.push(m.clone()),
                        _ => v.everywhere = true,
                    }
                }
                _ => {}
            }
        }
        v.municipalities.sort();
        v.municipalities.dedup();
        v
    }

    /// Answers for `municipality` (sees and, if it manages, runs everything of it).
    pub fn covers(&self, municipality: &str) -> bool {
        self.everywhere || self.municipalities.iter().any(|m| m == municipality)
    }

    /// May see a meeting of `kind` in `municipality` in which `institutions` take part (invited, present,
    /// or responsible for / partners in one of its decisions).
    ///
    /// Internal meetings are police-only whatever the institutions (igesp.md §7: "internal meetings …
    /// stay with the police and the Secretariat"); otherwise the municipality's coordination sees it, and
    /// anyone whose institution takes part.
    pub fn sees_meeting(
        &self,
        kind: MeetingKind,
        municipality: &str,
        institutions: &[i64],
    ) -> bool {
        if kind == MeetingKind::Internal && !self.police {
            return false;
        }
        self.covers(municipality) || institutions.contains(&self.institution)
    }

    /// May schedule, edit and record a meeting or plan of `municipality`.
    pub fn manages_in(&self, municipality: &str) -> bool {
        self.manages && self.covers(municipality)
    }

    /// May see an action of `municipality` whose responsible institution and partners are `institutions`
    /// (igesp.md §7: "plans with their actions").
    pub fn sees_action(&self, municipality: &str, institutions: &[i64]) -> bool {
        self.covers(municipality) || institutions.contains(&self.institution)
    }

    /// May report progress on that action: its municipality's coordination, or a user of the responsible
    /// or a partner institution (who answers for it at the table).
    pub fn updates_action(&self, municipality: &str, institutions: &[i64]) -> bool {
        self.manages_in(municipality) || institutions.contains(&self.institution)
    }
}

/// A reminder of Igesp follow-up (issue #7, item 6): a meeting about to happen, an action about to fall
/// due, an action overdue. Sent once each (its `key`), by the same channel as the cycles' reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Stable key: the same notice is never sent twice to a person.
    pub key: String,
    /// E-mail subject (pt-BR).
    pub subject: String,
    /// The text (pt-BR).
    pub text: String,
    /// The page to act on (`/reunioes/7`, `/acoes/3`).
    pub link: String,
    /// The municipality.
    pub municipality: String,
    /// The meeting's kind, for a meeting notice (internal ones reach police only).
    pub meeting_kind: Option<MeetingKind>,
    /// The institutions concerned (invited; responsible and partners).
    pub institutions: Vec<i64>,
}

/// Days before a meeting its reminder goes out (today, tomorrow or the day after).
pub const MEETING_NOTICE_DAYS: i64 = 2;
/// Days before an action's due date its reminder goes out.
pub const ACTION_NOTICE_DAYS: i64 = 3;

/// The reminder of a scheduled meeting starting within [`MEETING_NOTICE_DAYS`] of `today`.
#[allow(clippy::too_many_arguments)]
pub fn meeting_notice(
    id: i64,
    title: &str,
    kind: MeetingKind,
    municipality: &str,
    starts_at: chrono::NaiveDateTime,
    scheduled: bool,
    institutions: &[i64],
    today: NaiveDate,
) -> Option<Notice> {
    let days = (starts_at.date() - today).num_days();
    if !scheduled || !(0..=MEETING_NOTICE_DAYS).contains(&days) {
        return None;
    }
    let when = starts_at.format("%d/%m/%Y às %H:%M");
    Some(Notice {
        key: format!("igesp:reuniao:{id}"),
        subject: format!("[Atalaia] Reunião Igesp em {when}: {title}"),
        text: format!(
            "{} «{title}» em {when}. A pauta, gerada dos dados, está na página da reunião.",
            kind.label_pt()
        ),
        link: format!("/reunioes/{id}"),
        municipality: municipality.to_string(),
        meeting_kind: Some(kind),
        institutions: institutions.to_vec(),
    })
}

/// The reminder of an open action due within [`ACTION_NOTICE_DAYS`], or overdue.
pub fn action_notice(
    id: i64,
    title: &str,
    municipality: &str,
    status: ActionStatus,
    due_on: NaiveDate,
    institutions: &[i64],
    today: NaiveDate,
) -> Option<Notice> {
    if !status.is_open() {
        return None;
    }
    let days = (due_on - today).num_days();
    let due = due_on.br_date();
    let (key, subject, text) = if days < 0 {
        (
            format!("igesp:acao:{id}:vencida"),
            format!("[Atalaia] Ação em atraso: {title}"),
            format!(
                "A ação «{title}» venceu em {due} e continua {}. Registre o andamento ou a nova situação.",
                status.label_pt()
            ),
        )
    } else if days <= ACTION_NOTICE_DAYS {
        (
            format!("igesp:acao:{id}:prazo"),
            format!("[Atalaia] Prazo de ação em {due}: {title}"),
            format!(
                "A ação «{title}» vence em {due} ({}).",
                match days {
                    0 => "hoje".to_string(),
                    1 => "amanhã".to_string(),
                    n => format!("em {n} dias"),
                }
            ),
        )
    } else {
        return None;
    };
    Some(Notice {
        key,
        subject,
        text,
        link: format!("/acoes/{id}"),
        municipality: municipality.to_string(),
        meeting_kind: None,
        institutions: institutions.to_vec(),
    })
}

impl Viewer {
    /// Whether a notice is for this viewer: they may see its object, and they answer for it (their
    /// institution is concerned, or they run the municipality's meetings).
    pub fn is_addressee(&self, n: &Notice) -> bool {
        let sees = match n.meeting_kind {
            Some(k) => self.sees_meeting(k, &n.municipality, &n.institutions),
            None => self.sees_action(&n.municipality, &n.institutions),
        };
        sees && (self.manages_in(&n.municipality) || n.institutions.contains(&self.institution))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn codes_round_trip_and_bad_ones_are_named() {
        for k in MeetingKind::ALL {
            assert_eq!(k.as_str().parse::<MeetingKind>(), Ok(k));
        }
        for k in MeetingStatus::ALL {
            assert_eq!(k.as_str().parse::<MeetingStatus>(), Ok(k));
        }
        assert!("adiada".parse::<MeetingStatus>().is_err());
        for s in ActionStatus::ALL {
            assert_eq!(s.as_str().to_uppercase().parse::<ActionStatus>(), Ok(s));
        }
        assert_eq!(
            "reuniao".parse::<MeetingKind>().unwrap_err().to_string(),
            "tipo de reunião `reuniao` inválido: esperado internal, articulation ou intervention"
        );
        assert!("feito".parse::<ActionStatus>().is_err());
    }

    #[test]
    fn police_side_institutions() {
        for k in ["PM", "pc", "BM", "SPTC", "PP", "DGAP", "SEJUSP", "SSP"] {
            assert!(police_side(k), "{k}");
        }
        for k in ["MP", "TJ", "DP", "PREF", "CONSEP", "CDL", "CGE", "", "1x"] {
            assert!(!police_side(k), "{k}");
        }
    }

    #[test]
    fn overdue_is_open_and_past_due() {
        let due = d("2026-03-10");
        assert!(!is_overdue(ActionStatus::Planned, due, d("2026-03-10")));
        assert!(is_overdue(ActionStatus::Planned, due, d("2026-03-11")));
        assert!(is_overdue(ActionStatus::InProgress, due, d("2026-04-01")));
        assert!(!is_overdue(ActionStatus::Done, due, d("2026-04-01")));
        assert!(!is_overdue(ActionStatus::Cancelled, due, d("2026-04-01")));
    }

    /// Who sees what, written out by hand: institutions 1 = SSP (analyst, coordinators), 2 = PM (a unit
    /// head), 3 = MP (a partner), 4 = Prefeitura (another partner). Meetings in Goiânia (5208707) and
    /// Anápolis (5201108).
    #[test]
    fn sharing_table() {
        let analyst = Viewer::of(1, &[(Role::Analyst, Scope::All)]);
        let coord_gyn = Viewer::of(
            1,
            &[(Role::Coordinator, Scope::Municipality("5208707".into()))],
        );
        let unit_head = Viewer::of(2, &[(Role::UnitHead, Scope::All)]);
        let mp = Viewer::of(3, &[(Role::Partner, Scope::All)]);
        let pref = Viewer::of(4, &[(Role::Partner, Scope::All)]);
        let viewers = [&analyst, &coord_gyn, &unit_head, &mp, &pref];
        use MeetingKind::*;
        // (kind, municipality, institutions taking part) → seen by analyst, coord_gyn, unit_head, mp, pref
        let table: [(MeetingKind, &str, &[i64], [bool; 5]); 6] = [
            (
                Internal,
                "5208707",
                &[1, 2],
                [true, true, true, false, false],
            ),
            // An internal meeting never reaches a partner, even if (wrongly) listed.
            (Internal, "5208707", &[3], [true, true, false, false, false]),
            (Internal, "5201108", &[2], [true, false, true, false, false]),
            (
                Articulation,
                "5208707",
                &[1, 3],
                [true, true, false, true, false],
            ),
            (
                Articulation,
                "5201108",
                &[4],
                [true, false, false, false, true],
            ),
            (
                Intervention,
                "5208707",
                &[2, 4],
                [true, true, true, false, true],
            ),
        ];
        for (kind, m, inst, expected) in table {
            for (v, e) in viewers.iter().zip(expected) {
                assert_eq!(
                    v.sees_meeting(kind, m, inst),
                    e,
                    "{kind} {m} {inst:?} {v:?}"
                );
            }
        }
        // Managing: analysts anywhere, the coordinator only in Goiânia, nobody else.
        assert!(analyst.manages_in("5201108"));
        assert!(coord_gyn.manages_in("5208707"));
        assert!(!coord_gyn.manages_in("5201108"));
        assert!(!unit_head.manages_in("5208707"));
        assert!(!mp.manages_in("5208707"));
        // Actions: the MP sees and updates one it is responsible for or partners in, not another.
        assert!(mp.sees_action("5201108", &[3, 4]));
        assert!(mp.updates_action("5201108", &[3]));
        assert!(!mp.sees_action("5208707", &[2]));
        assert!(!mp.updates_action("5208707", &[2, 4]));
        assert!(coord_gyn.updates_action("5208707", &[2]));
        assert!(!coord_gyn.updates_action("5201108", &[2]));
        assert!(
            coord_gyn.sees_action("5201108", &[1]),
            "its own institution's"
        );
    }

    #[test]
    fn notices_of_meetings_and_actions() {
        let today = d("2026-10-06");
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let m = |s: &str, scheduled| {
            meeting_notice(
                7,
                "Articulação",
                MeetingKind::Articulation,
                "5208707",
                at(s),
                scheduled,
                &[1, 3],
                today,
            )
        };
        // Today, tomorrow, the day after: yes; three days ahead, yesterday, or not scheduled: no.
        assert!(m("2026-10-06 09:00", true).is_some());
        assert!(m("2026-10-08 18:00", true).is_some());
        assert!(m("2026-10-09 09:00", true).is_none());
        assert!(m("2026-10-05 09:00", true).is_none());
        assert!(m("2026-10-07 09:00", false).is_none());
        let n = m("2026-10-07 09:00", true).unwrap();
        assert_eq!(n.key, "igesp:reuniao:7");
        assert_eq!(
            n.subject,
            "[Atalaia] Reunião Igesp em 07/10/2026 às 09:00: Articulação"
        );
        let a = |due: &str, status| {
            action_notice(3, "Iluminação", "5208707", status, d(due), &[4], today)
        };
        assert!(
            a("2026-10-10", ActionStatus::Planned).is_none(),
            "4 days ahead"
        );
        assert_eq!(
            a("2026-10-09", ActionStatus::Planned).unwrap().text,
            "A ação «Iluminação» vence em 09/10/2026 (em 3 dias)."
        );
        assert_eq!(
            a("2026-10-06", ActionStatus::InProgress).unwrap().key,
            "igesp:acao:3:prazo"
        );
        let late = a("2026-10-05", ActionStatus::Planned).unwrap();
        assert_eq!(late.key, "igesp:acao:3:vencida");
        assert!(
            late.text
                .contains("venceu em 05/10/2026 e continua planejada")
        );
        assert!(a("2026-10-01", ActionStatus::Done).is_none());
        // Addressees: the institution concerned and the municipality's coordination; a partner is
        // never told of an internal meeting.
        let pref = Viewer::of(4, &[(Role::Partner, Scope::All)]);
        let mp = Viewer::of(3, &[(Role::Partner, Scope::All)]);
        let coord = Viewer::of(
            1,
            &[(Role::Coordinator, Scope::Municipality("5208707".into()))],
        );
        let analyst_elsewhere = Viewer::of(9, &[(Role::UnitHead, Scope::All)]);
        assert!(pref.is_addressee(&late) && !mp.is_addressee(&late));
        assert!(coord.is_addressee(&late) && !analyst_elsewhere.is_addressee(&late));
        assert!(mp.is_addressee(&n));
        let mut internal = n.clone();
        internal.meeting_kind = Some(MeetingKind::Internal);
        assert!(!mp.is_addressee(&internal) && coord.is_addressee(&internal));
    }

    #[test]
    fn viewer_of_combines_grants() {
        let v = Viewer::of(
            7,
            &[
                (Role::Coordinator, Scope::Municipality("B".into())),
                (Role::Coordinator, Scope::Municipality("A".into())),
                (Role::Partner, Scope::All),
            ],
        );
        assert_eq!(v.municipalities, vec!["A".to_string(), "B".to_string()]);
        assert!(v.police && v.manages && !v.everywhere);
        let none = Viewer::of(7, &[(Role::Auditor, Scope::All)]);
        assert!(!none.police && !none.manages && !none.covers("A"));
        // A coordinator scoped to a unit: the scope does not fit the role, so it reaches nothing.
        let misfit = Viewer::of(7, &[(Role::Coordinator, Scope::Unit("PM-1BPM".into()))]);
        assert!(!misfit.everywhere && !misfit.manages && !misfit.covers("5208707"));
    }
}
