//! IPEI storage (Arts. 10–15; migration 0009): seizures as units deliver them, every later correction
//! kept as a revision, SPTC laudos, and the reading of a month's inputs for `core::ipei::result`.

mod corrections;
mod evidence;
mod month;
pub use corrections::*;
pub use evidence::*;
pub use month::*;

use crate::territories::Upsert;
use crate::{Db, Refusal, Result, StoreError, Tx, execute, on_db, on_tx};
use atalaia_core::Month;
use atalaia_core::ids::{BoNumber, Registration, UnitCode};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// A seizure as a unit declares it (form or spreadsheet row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeizureRecord {
    /// The unit that claims it.
    pub unit_code: UnitCode,
    /// BO of the judicial police.
    pub bo_number: BoNumber,
    /// Position of the weapon in the BO; required without a serial, else found or the next free.
    pub item: Option<u32>,
    /// Serial (empty when none).
    pub serial: String,
    /// Date of the seizure (its month is the reference month).
    pub seized_on: NaiveDate,
    /// In flagrante (Art. 10).
    pub flagrante: bool,
    /// The operators the BO names, in order.
    pub registrations: Vec<Registration>,
    /// Kind of weapon.
    pub weapon_kind: String,
    pub caliber: String,
    pub brand: String,
}

/// A stored seizure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeizureRow {
    pub id: i64,
    /// Reference month.
    pub month: String,
    /// Item in the BO.
    pub item: u32,
    /// The record.
    #[serde(flatten)]
    pub record: SeizureRecord,
    /// SHA-256 of the BO copy.
    pub bo_sha256: Option<String>,
    /// Demo data.
    pub synthetic: bool,
}

/// A laudo signature (one row per expert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForensicRecord {
    /// BO of the seizure.
    pub bo_number: String,
    /// Serial of the weapon (empty when none).
    pub serial: String,
    /// The expert.
    pub expert_registration: String,
    /// When signed.
    pub signed_on: NaiveDate,
}

type SeizureTuple = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    NaiveDate,
    bool,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
);

macro_rules! seizure_columns {
    () => {
        "id, month, unit_code, bo_number, item, serial, seized_on, flagrante, registrations, weapon_kind, caliber, brand, bo_sha256, synthetic"
    };
}

fn seizure_of(t: SeizureTuple) -> Result<SeizureRow> {
    let corrupt =
        |what: &str, e: String| StoreError::Corrupt(format!("{what} da apreensão {}: {e}", t.0));
    let registrations: Vec<Registration> =
        serde_json::from_str(&t.8).map_err(|e| corrupt("matrículas", e.to_string()))?;
    let unit_code = UnitCode::parse(&t.2).map_err(|e| corrupt("unidade", e.to_string()))?;
    let bo_number = BoNumber::parse(&t.3).map_err(|e| corrupt("BO", e.to_string()))?;
    let item = u32::try_from(t.4).unwrap_or(0);
    Ok(SeizureRow {
        id: t.0,
        month: t.1,
        item,
        record: SeizureRecord {
            unit_code,
            bo_number,
            item: Some(item),
            serial: t.5,
            seized_on: t.6,
            flagrante: t.7,
            registrations,
            weapon_kind: t.9,
            caliber: t.10,
            brand: t.11,
        },
        bo_sha256: t.12,
        synthetic: t.13,
    })
}

/// The fields a revision compares and keeps (before → after).
fn revision_view(r: &SeizureRecord, item: u32) -> RevisionView {
    RevisionView {
        item,
        serial: r.serial.clone(),
        seized_on: r.seized_on,
        flagrante: r.flagrante,
        registrations: r.registrations.iter().map(|r| r.to_string()).collect(),
        weapon_kind: r.weapon_kind.clone(),
        caliber: r.caliber.clone(),
        brand: r.brand.clone(),
    }
}

/// The correctable fields of a seizure: what a revision stores before and after, and what an applied
/// correction writes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RevisionView {
    item: u32,
    serial: String,
    seized_on: NaiveDate,
    flagrante: bool,
    registrations: Vec<String>,
    weapon_kind: String,
    caliber: String,
    brand: String,
}

impl std::fmt::Display for RevisionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}

impl Tx {
    /// Whether `unit` has delivered `month` (an IPEI submission act): after it, only an appeal corrects
    /// the delivery (Art. 14).
    pub async fn ipei_delivered(&mut self, unit: &str, month: &str) -> Result<bool> {
        let n: i64 = on_tx!(self, |c| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM cycle_acts a JOIN cycles c ON c.id = a.cycle_id
                 WHERE c.kind = 'ipei' AND c.period = $1 AND a.act = 'submission' AND a.unit_code = $2",
            )
            .bind(month)
            .bind(unit)
            .fetch_one(c)
            .await?
        });
        Ok(n > 0)
    }

    async fn seizure_by_key(
        &mut self,
        unit: &str,
        bo: &str,
        item: u32,
    ) -> Result<Option<SeizureRow>> {
        let sql = concat!(
            "SELECT ",
            seizure_columns!(),
            " FROM seizures WHERE unit_code = $1 AND bo_number = $2 AND item = $3"
        );
        let row: Option<SeizureTuple> = on_tx!(self, |c| {
            sqlx::query_as(sql)
                .bind(unit)
                .bind(bo)
                .bind(i64::from(item))
                .fetch_optional(c)
                .await?
        });
        row.map(seizure_of).transpose()
    }

    /// Stores a seizure before its unit delivers the month: inserted, or updated in place (the change
    /// kept as a revision). Refused (inner error, pt-BR) once the unit has delivered the month, or
    /// without a serial and without an item.
    pub async fn put_seizure(
        &mut self,
        s: &SeizureRecord,
        import_id: Option<i64>,
        synthetic: bool,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<(Upsert, i64)> {
        let month = match Month::of(s.seized_on) {
            Ok(m) => m.to_string(),
            Err(e) => return Refusal::invalid(format!("coluna `seized_on`: {e}")),
        };
        if self.ipei_delivered(s.unit_code.as_str(), &month).await? {
            return Refusal::invalid(format!(
                "a unidade {} já enviou o mês {month}: depois do envio, só um recurso corrige o que foi entregue, e nenhum acrescenta apreensão (Art. 14)",
                s.unit_code
            ));
        }
        let item = match s.item {
            Some(i) => i,
            None if atalaia_core::ipei::norm_serial(&s.serial).is_empty() => {
                return Refusal::invalid(
                    "coluna `item`: valor vazio; sem número de série, informe o item da arma no BO (1, 2, …) para identificá-la",
                );
            }
            None => {
                // The same serial in the same BO is the same weapon: keep its item.
                let rows: Vec<(i64, String)> = on_tx!(self, |c| {
                    sqlx::query_as(
                        "SELECT item, serial FROM seizures WHERE unit_code = $1 AND bo_number = $2 ORDER BY item",
                    )
                    .bind(s.unit_code.as_str())
                    .bind(s.bo_number.as_str())
                    .fetch_all(c)
                    .await?
                });
                let want = atalaia_core::ipei::norm_serial(&s.serial);
                match rows
                    .iter()
                    .find(|(_, serial)| atalaia_core::ipei::norm_serial(serial) == want)
                {
                    Some((i, _)) => u32::try_from(*i).unwrap_or(1),
                    None => {
                        rows.iter()
                            .map(|(i, _)| u32::try_from(*i).unwrap_or(0))
                            .max()
                            .unwrap_or(0)
                            + 1
                    }
                }
            }
        };
        let registrations = serde_json::to_string(&s.registrations).unwrap_or_default();
        match self
            .seizure_by_key(s.unit_code.as_str(), s.bo_number.as_str(), item)
            .await?
        {
            Some(old) => {
                let before = revision_view(&old.record, old.item);
                let after = revision_view(s, item);
                if before == after {
                    return Ok((Upsert::Unchanged, old.id));
                }
                // The same weapon with another date would leave the month it was delivered in.
                let old_month = Month::of(old.record.seized_on)
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                if old_month != month
                    && self
                        .ipei_delivered(s.unit_code.as_str(), &old_month)
                        .await?
                {
                    return Refusal::invalid(format!(
                        "a arma do BO {}, item {item}, já foi entregue pela unidade {} no mês {old_month}: só um recurso corrige o que foi entregue (Art. 14)",
                        s.bo_number, s.unit_code
                    ));
                }
                execute!(
                    on_tx,
                    self,
                    "UPDATE seizures SET serial = $1, seized_on = $2, month = $3, flagrante = $4,
                         registrations = $5, weapon_kind = $6, caliber = $7, brand = $8, import_id = $9
                         WHERE id = $10",
                    &s.serial,
                    s.seized_on,
                    &month,
                    s.flagrante,
                    &registrations,
                    &s.weapon_kind,
                    &s.caliber,
                    &s.brand,
                    import_id,
                    old.id
                );
                self.seizure_revision(old.id, &before, &after, None, import_id, actor, now)
                    .await?;
                Ok((Upsert::Updated, old.id))
            }
            None => {
                let id: i64 = on_tx!(self, |c| {
                    sqlx::query_scalar(
                        "INSERT INTO seizures (month, unit_code, bo_number, item, serial, seized_on, flagrante,
                         registrations, weapon_kind, caliber, brand, synthetic, import_id, created_by, created_at)
                         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
                    )
                    .bind(&month)
                    .bind(s.unit_code.as_str())
                    .bind(s.bo_number.as_str())
                    .bind(i64::from(item))
                    .bind(&s.serial)
                    .bind(s.seized_on)
                    .bind(s.flagrante)
                    .bind(&registrations)
                    .bind(&s.weapon_kind)
                    .bind(&s.caliber)
                    .bind(&s.brand)
                    .bind(synthetic)
                    .bind(import_id)
                    .bind(actor)
                    .bind(now)
                    .fetch_one(c)
                    .await?
                });
                Ok((Upsert::Inserted, id))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn seizure_revision(
        &mut self,
        seizure_id: i64,
        before: &RevisionView,
        after: &RevisionView,
        appeal_id: Option<i64>,
        import_id: Option<i64>,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<()> {
        execute!(
            on_tx,
            self,
            "INSERT INTO seizure_revisions (seizure_id, before, after, appeal_id, import_id, actor, at)
                 VALUES ($1,$2,$3,$4,$5,$6,$7)",
            seizure_id,
            before.to_string(),
            after.to_string(),
            appeal_id,
            import_id,
            actor,
            now
        );
        Ok(())
    }

    /// Attaches the BO copy (already stored as an evidence file) to a seizure.
    pub async fn attach_bo(&mut self, seizure_id: i64, sha256: &str) -> Result<()> {
        execute!(
            on_tx,
            self,
            "UPDATE seizures SET bo_sha256 = $1 WHERE id = $2",
            sha256,
            seizure_id
        );
        Ok(())
    }

    /// Records an evidence file's metadata (the bytes live in the configured storage, named by hash);
    /// a file already known is kept as first recorded.
    pub async fn put_evidence_file(
        &mut self,
        sha256: &str,
        content_type: &str,
        size_bytes: i64,
        original_name: &str,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<()> {
        execute!(
            on_tx,
            self,
            "INSERT INTO evidence_files (sha256, content_type, size_bytes, original_name, uploaded_by, uploaded_at)
                 VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (sha256) DO NOTHING",
            sha256,
            content_type,
            size_bytes,
            original_name,
            actor,
            now
        );
        Ok(())
    }

    /// Stores a laudo signature (idempotent on BO, serial and expert; a new date updates it).
    pub async fn put_forensic_report(
        &mut self,
        f: &ForensicRecord,
        import_id: Option<i64>,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<(i64, NaiveDate)> = on_tx!(self, |c| {
            sqlx::query_as(
                "SELECT id, signed_on FROM forensic_reports
                 WHERE bo_number = $1 AND serial = $2 AND expert_registration = $3",
            )
            .bind(&f.bo_number)
            .bind(&f.serial)
            .bind(&f.expert_registration)
            .fetch_optional(c)
            .await?
        });
        match current {
            Some((_, on)) if on == f.signed_on => Ok(Upsert::Unchanged),
            Some((id, _)) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE forensic_reports SET signed_on = $1, import_id = $2 WHERE id = $3",
                    f.signed_on,
                    import_id,
                    id
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO forensic_reports (bo_number, serial, expert_registration, signed_on, synthetic, import_id)
                         VALUES ($1,$2,$3,$4,$5,$6)",
                    &f.bo_number,
                    &f.serial,
                    &f.expert_registration,
                    f.signed_on,
                    synthetic,
                    import_id
                );
                Ok(Upsert::Inserted)
            }
        }
    }
}

/// The IPEI submission act's payload: the seizures delivered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeliveryPayload {
    /// Seizure ids, as delivered.
    pub seizures: Vec<i64>,
}

impl Db {
    /// One seizure.
    pub async fn seizure(&self, id: i64) -> Result<Option<SeizureRow>> {
        let sql = concat!(
            "SELECT ",
            seizure_columns!(),
            " FROM seizures WHERE id = $1"
        );
        let row: Option<SeizureTuple> = on_db!(self, |c| {
            sqlx::query_as(sql).bind(id).fetch_optional(c).await?
        });
        row.map(seizure_of).transpose()
    }

    /// The seizures of a month (of one unit, or all), in the order of date, BO and item.
    pub async fn seizures(&self, month: Month, unit: Option<&str>) -> Result<Vec<SeizureRow>> {
        let sql = concat!(
            "SELECT ",
            seizure_columns!(),
            " FROM seizures WHERE month = $1 AND ($2 = '' OR unit_code = $2) ORDER BY seized_on, bo_number, item, id"
        );
        let rows: Vec<SeizureTuple> = on_db!(self, |c| {
            sqlx::query_as(sql)
                .bind(month.to_string())
                .bind(unit.unwrap_or(""))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(seizure_of).collect()
    }
}

impl Db {
    /// A unit's name on a day (empty when unknown).
    /// The units in force on `day` (every institution, with or without areas): whom IPEI pages list.
    pub async fn units_brief_on(&self, day: NaiveDate) -> Result<Vec<UnitBrief>> {
        let rows: Vec<(String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT code, name, institution FROM units
                 WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to >= $1) ORDER BY code",
            )
            .bind(day)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(code, name, institution)| UnitBrief {
                code,
                name,
                institution,
            })
            .collect())
    }

    async fn unit_name_on(&self, code: &str, day: NaiveDate) -> Result<String> {
        let name: Option<String> = on_db!(self, |c| {
            sqlx::query_scalar(
                "SELECT name FROM units WHERE code = $1 AND valid_from <= $2
                 AND (valid_to IS NULL OR valid_to >= $2) ORDER BY valid_from DESC LIMIT 1",
            )
            .bind(code)
            .bind(day)
            .fetch_optional(c)
            .await?
        });
        Ok(name.unwrap_or_default())
    }
}

/// A unit in force: code, name, institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitBrief {
    pub code: String,
    pub name: String,
    /// Institution code (`PM`, `PC`, `SPTC`, `PP`…).
    pub institution: String,
}
