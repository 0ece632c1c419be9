//! Corrections of delivered seizures through an appeal (Art. 14): checked against what the unit
//! delivered, proposed under the appeal, applied or refused with the committee's decision, and the
//! revision history a seizure keeps.

use super::*;
use crate::{Db, Refusal, Result, StoreError, Tx, execute, on_db, on_tx};
use atalaia_core::Month;

use atalaia_core::dates::BrDate;
use chrono::NaiveDateTime;
use serde::Serialize;

/// One correction of a seizure (before → after, who, when, through which appeal or import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeizureRevision {
    /// The fields before (JSON).
    pub before: String,
    /// The fields after (JSON).
    pub after: String,
    /// The appeal act that asked for it.
    pub appeal_id: Option<i64>,
    /// The import that brought it.
    pub import_id: Option<i64>,
    /// `applied`, `proposed` (an appeal not decided yet) or `refused`.
    pub status: String,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// A correction an appeal proposed, as the cycle pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealCorrection {
    /// The appeal act.
    pub appeal_id: i64,
    /// The seizure.
    pub seizure_id: i64,
    /// Its BO.
    pub bo_number: String,
    /// What changes, in pt-BR (`flagrante: não → sim; série: — → AB1`).
    pub changes: String,
    /// `proposed`, `applied` or `refused`.
    pub status: String,
}

/// The fields that differ between two stored revision views, in pt-BR.
fn changes_pt(before: &str, after: &str) -> String {
    let (Ok(b), Ok(a)) = (
        serde_json::from_str::<RevisionView>(before),
        serde_json::from_str::<RevisionView>(after),
    ) else {
        return format!("{before} → {after}");
    };
    let show = |s: &str| {
        if s.is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    let yes = |b: bool| if b { "sim" } else { "não" }.to_string();
    let mut out = Vec::new();
    let mut diff = |label: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{label}: {x} → {y}"));
        }
    };
    diff("item", b.item.to_string(), a.item.to_string());
    diff("série", show(&b.serial), show(&a.serial));
    diff("data", b.seized_on.br_date(), a.seized_on.br_date());
    diff("flagrante", yes(b.flagrante), yes(a.flagrante));
    diff(
        "matrículas",
        show(&b.registrations.join(", ")),
        show(&a.registrations.join(", ")),
    );
    diff("tipo", show(&b.weapon_kind), show(&a.weapon_kind));
    diff("calibre", show(&b.caliber), show(&a.caliber));
    diff("marca", show(&b.brand), show(&a.brand));
    out.join("; ")
}

impl Db {
    /// The corrections the appeals of a cycle proposed, oldest first.
    pub async fn appeal_corrections(&self, cycle_id: i64) -> Result<Vec<AppealCorrection>> {
        let rows: Vec<(i64, i64, String, String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT r.appeal_id, r.seizure_id, s.bo_number, r.before, r.after, r.status
                 FROM seizure_revisions r
                 JOIN seizures s ON s.id = r.seizure_id
                 JOIN cycle_acts a ON a.id = r.appeal_id
                 WHERE a.cycle_id = $1 ORDER BY r.id",
            )
            .bind(cycle_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(appeal_id, seizure_id, bo_number, before, after, status)| AppealCorrection {
                    appeal_id,
                    seizure_id,
                    bo_number,
                    changes: changes_pt(&before, &after),
                    status,
                },
            )
            .collect())
    }

    /// The corrections of a seizure, oldest first.
    pub async fn seizure_revisions(&self, seizure_id: i64) -> Result<Vec<SeizureRevision>> {
        type RevisionTuple = (
            String,
            String,
            Option<i64>,
            Option<i64>,
            String,
            String,
            NaiveDateTime,
        );
        let rows: Vec<RevisionTuple> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT before, after, appeal_id, import_id, status, actor, at FROM seizure_revisions
                 WHERE seizure_id = $1 ORDER BY id",
            )
            .bind(seizure_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(before, after, appeal_id, import_id, status, actor, at)| SeizureRevision {
                    before,
                    after,
                    appeal_id,
                    import_id,
                    status,
                    actor,
                    at,
                },
            )
            .collect())
    }
}

impl Tx {
    /// Applies (granted) or refuses the corrections an appeal proposed; returns how many.
    pub(crate) async fn decide_corrections(
        &mut self,
        appeal_id: i64,
        granted: bool,
    ) -> Result<usize> {
        let rows: Vec<(i64, i64, String)> = on_tx!(self, |c| {
            sqlx::query_as(
                "SELECT id, seizure_id, after FROM seizure_revisions
                 WHERE appeal_id = $1 AND status = 'proposed' ORDER BY id",
            )
            .bind(appeal_id)
            .fetch_all(c)
            .await?
        });
        for (id, seizure_id, after) in &rows {
            if granted {
                let v: RevisionView = serde_json::from_str(after)
                    .map_err(|e| StoreError::Corrupt(format!("correção {id}: {e}")))?;
                let registrations = serde_json::to_string(&v.registrations).unwrap_or_default();
                execute!(
                    on_tx,
                    self,
                    "UPDATE seizures SET item = $1, serial = $2, seized_on = $3, flagrante = $4,
                         registrations = $5, weapon_kind = $6, caliber = $7, brand = $8 WHERE id = $9",
                    i64::from(v.item),
                    &v.serial,
                    v.seized_on,
                    v.flagrante,
                    &registrations,
                    &v.weapon_kind,
                    &v.caliber,
                    &v.brand,
                    seizure_id
                );
            }
            execute!(
                on_tx,
                self,
                "UPDATE seizure_revisions SET status = $1 WHERE id = $2",
                if granted { "applied" } else { "refused" },
                id
            );
        }
        Ok(rows.len())
    }
}

/// A correction an appeal proposes (Art. 14): which delivered seizure, and its data as they should be.
/// `seizure_id: None` is a seizure the unit did not deliver, which an appeal cannot add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The delivered seizure (`None`: one that is not in the delivery).
    pub seizure_id: Option<i64>,
    /// Its corrected data (unit and BO must stay).
    pub record: SeizureRecord,
}

/// A checked correction: what the revision row keeps.
#[derive(Debug, Clone)]
pub(crate) struct CheckedCorrection {
    seizure_id: i64,
    unit: String,
    month: String,
    bo_number: String,
    old_item: u32,
    before: RevisionView,
    after: RevisionView,
}

impl Db {
    /// Whether `c` corrects a seizure `unit` delivered in `cycle` (Art. 14: "correção de material já
    /// entregue"): the same unit, BO and month, something changed. The inner error says why not.
    pub(crate) async fn check_correction(
        &self,
        cycle: &crate::cycles::CycleRecord,
        unit: &str,
        c: &Correction,
    ) -> Result<CheckedCorrection> {
        let month = cycle.period.code();
        let Some(seizure_id) = c.seizure_id else {
            return Refusal::invalid(format!(
                "o BO {} não consta do envio da unidade {unit} em {month}: um recurso só corrige material já entregue e não acrescenta apreensão (Art. 14)",
                c.record.bo_number
            ));
        };
        let Some(old) = self.seizure(seizure_id).await? else {
            return Refusal::invalid(format!("apreensão {seizure_id} inexistente"));
        };
        let delivered = cycle
            .acts
            .iter()
            .filter(|a| a.act == "submission" && a.unit.as_deref() == Some(unit))
            .filter_map(|a| a.payload.as_deref())
            .filter_map(|p| serde_json::from_str::<DeliveryPayload>(p).ok())
            .any(|p| p.seizures.contains(&seizure_id));
        if !delivered || old.record.unit_code.as_str() != unit || old.month != month {
            return Refusal::invalid(format!(
                "a apreensão {seizure_id} não consta do envio da unidade {unit} em {month}: um recurso não acrescenta apreensão (Art. 14)"
            ));
        }
        if c.record.unit_code.as_str() != unit || c.record.bo_number != old.record.bo_number {
            return Refusal::invalid(
                "um recurso corrige os dados de uma apreensão entregue; a unidade e o BO identificam a apreensão e não mudam (Art. 14)",
            );
        }
        if Month::of(c.record.seized_on).ok().map(|m| m.to_string()) != Some(month.clone()) {
            return Refusal::invalid(format!(
                "a data corrigida deve continuar em {month}: uma apreensão de outro mês não é do envio deste (Art. 14)"
            ));
        }
        let item = c.record.item.unwrap_or(old.item);
        let before = revision_view(&old.record, old.item);
        let after = revision_view(&c.record, item);
        if before == after {
            return Refusal::invalid(format!(
                "a correção da apreensão {seizure_id} não muda nenhum campo"
            ));
        }
        Ok(CheckedCorrection {
            seizure_id,
            unit: unit.to_string(),
            month,
            bo_number: old.record.bo_number.to_string(),
            old_item: old.item,
            before,
            after,
        })
    }

    /// A unit's pending appeal proposes one more correction of a delivered seizure; it waits for the
    /// committee's decision on the appeal, which applies it when granted. Audited
    /// `ipei.correction_proposed`. (An appeal usually brings its corrections with it:
    /// `ActRequest::Appeal::corrections`.)
    pub async fn propose_correction(
        &self,
        seizure_id: i64,
        appeal_id: i64,
        corrected: &SeizureRecord,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let Some(old) = self.seizure(seizure_id).await? else {
            return Refusal::invalid(format!("apreensão {seizure_id} inexistente"));
        };
        let (unit, month) = (old.record.unit_code.clone(), old.month.clone());
        let period =
            Month::parse(&month).map_err(|e| StoreError::Corrupt(format!("mês `{month}`: {e}")))?;
        let Some(cycle) = self.cycle(period).await? else {
            return Refusal::invalid(format!("não há ciclo do IPEI aberto para {month}"));
        };
        let pending = cycle.acts.iter().any(|a| {
            a.id == appeal_id && a.act == "appeal" && a.unit.as_deref() == Some(unit.as_str())
        }) && !cycle
            .acts
            .iter()
            .any(|a| a.act == "appeal_decision" && a.appeal_id == Some(appeal_id));
        if !pending {
            return Refusal::invalid(format!(
                "o recurso {appeal_id} não é um recurso pendente da unidade {unit} em {month}"
            ));
        }
        let checked = self
            .check_correction(
                &cycle,
                unit.as_str(),
                &Correction {
                    seizure_id: Some(seizure_id),
                    record: corrected.clone(),
                },
            )
            .await?;
        let mut tx = self.begin().await?;
        let id = tx
            .insert_correction(&checked, appeal_id, actor, now)
            .await?;
        tx.commit().await?;
        Ok(id)
    }
}

impl Tx {
    /// Stores a checked correction as `proposed` under `appeal_id`, with its audit entry; refuses an item
    /// that another seizure of the BO already holds. The caller commits.
    pub(crate) async fn insert_correction(
        &mut self,
        c: &CheckedCorrection,
        appeal_id: i64,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        if c.after.item != c.old_item
            && let Some(other) = self
                .seizure_by_key(&c.unit, &c.bo_number, c.after.item)
                .await?
        {
            return Refusal::invalid(format!(
                "o item {} do BO {} já é a apreensão {}",
                c.after.item, c.bo_number, other.id
            ));
        }
        let id: i64 = on_tx!(self, |conn| {
            sqlx::query_scalar(
                "INSERT INTO seizure_revisions (seizure_id, before, after, appeal_id, status, actor, at)
                 VALUES ($1,$2,$3,$4,'proposed',$5,$6) RETURNING id",
            )
            .bind(c.seizure_id)
            .bind(c.before.to_string())
            .bind(c.after.to_string())
            .bind(appeal_id)
            .bind(actor)
            .bind(now)
            .fetch_one(conn)
            .await?
        });
        self.audit(
            &crate::audit::AuditEvent::new(actor, "ipei.correction_proposed")
                .object(format!("seizure:{}", c.seizure_id))
                .details(
                    serde_json::json!({"appeal_id": appeal_id, "unit": c.unit, "month": c.month,
                    "before": c.before, "after": c.after}),
                ),
            now,
        )
        .await?;
        Ok(id)
    }
}
