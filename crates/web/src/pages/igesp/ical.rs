//! The meetings as an iCalendar feed (RFC 5545) for a person's calendar application, under a per-user
//! key: written by hand because the format is small and line folding must be exact.

use crate::AppError;
use crate::guard::Ctx;
use crate::pages::igesp::name_of;
use crate::pages::igesp::names;
use crate::pages::igesp::sees;
use crate::pages::igesp::viewer;
use atalaia_core::igesp::MeetingStatus;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;

/// One event of an iCalendar feed.
pub(crate) struct Event {
    pub uid: String,
    /// Local (America/Sao_Paulo) start and end.
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub cancelled: bool,
}

/// RFC 5545 TEXT escaping: backslash, semicolon, comma and newlines.
fn ical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, CRLF-ended.
fn ical_line(out: &mut String, line: &str) {
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The events as an iCalendar document. Times are written in UTC (`Z`): Brasília is UTC−3 all year
/// since 2019, and UTC needs no VTIMEZONE block that every client reads differently.
pub(crate) fn ical(events: &[Event], stamp: NaiveDateTime) -> String {
    let utc = |t: NaiveDateTime| atalaia_core::dates::sao_paulo_to_utc(t).format("%Y%m%dT%H%M%SZ");
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Atalaia//Igesp//PT-BR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Reuniões Igesp",
    ] {
        ical_line(&mut out, l);
    }
    for e in events {
        ical_line(&mut out, "BEGIN:VEVENT");
        ical_line(&mut out, &format!("UID:{}", e.uid));
        ical_line(
            &mut out,
            &format!("DTSTAMP:{}", stamp.format("%Y%m%dT%H%M%SZ")),
        );
        ical_line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        ical_line(&mut out, &format!("DTEND:{}", utc(e.ends_at)));
        ical_line(&mut out, &format!("SUMMARY:{}", ical_text(&e.summary)));
        if !e.location.is_empty() {
            ical_line(&mut out, &format!("LOCATION:{}", ical_text(&e.location)));
        }
        ical_line(
            &mut out,
            &format!("DESCRIPTION:{}", ical_text(&e.description)),
        );
        ical_line(
            &mut out,
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        ical_line(&mut out, "END:VEVENT");
    }
    ical_line(&mut out, "END:VCALENDAR");
    out
}

/// `GET /reunioes/agenda.ics`: the user's meetings as iCalendar — those of the municipalities they
/// coordinate and those their institution is invited to or attends (visible ones only).
pub async fn calendar(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    let v = viewer(&id);
    let names = names(&st).await?;
    let user_id = id.user.as_ref().map(|u| u.id);
    let events: Vec<Event> = st
        .db
        .meetings()
        .await?
        .into_iter()
        .filter(|m| {
            sees(&v, m)
                && (v.manages_in(&m.municipality_code)
                    || m.institutions.iter().any(|i| i.id == v.institution)
                    || m.attendees
                        .iter()
                        .any(|a| a.user_id.is_some() && a.user_id == user_id))
        })
        .map(|m| Event {
            uid: format!("reuniao-{}@atalaia", m.id),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            summary: m.title.clone(),
            location: m.place.clone(),
            description: format!(
                "{} — {} ({})",
                m.kind.label_pt(),
                name_of(&names, &m.municipality_code),
                m.institutions
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            cancelled: m.status == MeetingStatus::Cancelled,
        })
        .collect();
    let body = ical(&events, st.config.clock.now_utc());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"reunioes-igesp.ics\"".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icalendar_escapes_folds_and_writes_utc() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let e = Event {
            uid: "reuniao-7@atalaia".into(),
            starts_at: t("2026-10-08 09:00"),
            ends_at: t("2026-10-08 11:00"),
            summary: "Articulação; roubos, centro".into(),
            location: "MP\\sala 3".into(),
            description: "Reunião de articulação — Goiânia (MPGO, PMGO, SSP-GO, PREF-GYN, CONSEP-GYN, CDL-GYN, TJGO)\nlinha 2".into(),
            cancelled: false,
        };
        let doc = ical(&[e], t("2026-10-01 18:00"));
        assert!(doc.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(doc.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        // 09:00 in Brasília is 12:00 UTC.
        assert!(doc.contains("\r\nDTSTART:20261008T120000Z\r\n"));
        assert!(doc.contains("\r\nDTEND:20261008T140000Z\r\n"));
        assert!(doc.contains("\r\nSUMMARY:Articulação\\; roubos\\, centro\r\n"));
        assert!(doc.contains("\r\nLOCATION:MP\\\\sala 3\r\n"));
        // Every physical line is at most 75 octets; the long description is folded and unfolds back.
        for l in doc.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = doc.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Reunião de articulação — Goiânia (MPGO\\, PMGO\\, SSP-GO\\, PREF-GYN\\, CONSEP-GYN\\, CDL-GYN\\, TJGO)\\nlinha 2\r\n"
        ));
    }
}
