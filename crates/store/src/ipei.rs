//! IPEI storage (Arts. 10–15; migration 0009): seizures as units deliver them, every later correction
//! kept as a revision, SPTC laudos, and the reading of a month's inputs for `core::ipei::result`.

use atalaia_core::dates::BrDate;
use std::collections::{BTreeMap, BTreeSet};

use atalaia_core::Month;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::ipei::{
    EarlierClaim, ForensicInput, IpeiParams, IpeiReport, MonthInputs, OperatorFacts, SeizureInput,
    UnitDelivery, weapon_key,
};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use atalaia_core::ipei::MonthStage;
use atalaia_core::pipeline::{Ipei, Program};

use crate::cycles::committee_office;
use crate::runs::NewRun;
use crate::territories::Upsert;
use crate::{Db, Refusal, Result, StoreError, Tx, on_db, on_tx};

/// A seizure as a unit declares it (form or spreadsheet row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeizureRecord {
    /// The unit that claims it.
    pub unit_code: String,
    /// BO of the judicial police.
    pub bo_number: String,
    /// Position of the weapon in the BO; required without a serial, else found or the next free.
    pub item: Option<u32>,
    /// Serial (empty when none).
    pub serial: String,
    /// Date of the seizure (its month is the reference month).
    pub seized_on: NaiveDate,
    /// In flagrante (Art. 10).
    pub flagrante: bool,
    /// The operators the BO names, in order.
    pub registrations: Vec<String>,
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
    let registrations: Vec<String> = serde_json::from_str(&t.8)
        .map_err(|e| StoreError::Corrupt(format!("matrículas da apreensão {}: {e}", t.0)))?;
    let item = u32::try_from(t.4).unwrap_or(0);
    Ok(SeizureRow {
        id: t.0,
        month: t.1,
        item,
        record: SeizureRecord {
            unit_code: t.2,
            bo_number: t.3,
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
        registrations: r.registrations.clone(),
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
        if self.ipei_delivered(&s.unit_code, &month).await? {
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
                    .bind(&s.unit_code)
                    .bind(&s.bo_number)
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
            .seizure_by_key(&s.unit_code, &s.bo_number, item)
            .await?
        {
            Some(old) => {
                let before = revision_view(&old.record, old.item);
                let after = revision_view(s, item);
                if before == after {
                    return Ok((Upsert::Unchanged, old.id));
                }
                on_tx!(self, |c| {
                    sqlx::query(
                        "UPDATE seizures SET serial = $1, seized_on = $2, month = $3, flagrante = $4,
                         registrations = $5, weapon_kind = $6, caliber = $7, brand = $8, import_id = $9
                         WHERE id = $10",
                    )
                    .bind(&s.serial)
                    .bind(s.seized_on)
                    .bind(&month)
                    .bind(s.flagrante)
                    .bind(&registrations)
                    .bind(&s.weapon_kind)
                    .bind(&s.caliber)
                    .bind(&s.brand)
                    .bind(import_id)
                    .bind(old.id)
                    .execute(c)
                    .await?;
                });
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
                    .bind(&s.unit_code)
                    .bind(&s.bo_number)
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
        on_tx!(self, |c| {
            sqlx::query(
                "INSERT INTO seizure_revisions (seizure_id, before, after, appeal_id, import_id, actor, at)
                 VALUES ($1,$2,$3,$4,$5,$6,$7)",
            )
            .bind(seizure_id)
            .bind(before.to_string())
            .bind(after.to_string())
            .bind(appeal_id)
            .bind(import_id)
            .bind(actor)
            .bind(now)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Attaches the BO copy (already stored as an evidence file) to a seizure.
    pub async fn attach_bo(&mut self, seizure_id: i64, sha256: &str) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query("UPDATE seizures SET bo_sha256 = $1 WHERE id = $2")
                .bind(sha256)
                .bind(seizure_id)
                .execute(c)
                .await?;
        });
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
        on_tx!(self, |c| {
            sqlx::query(
                "INSERT INTO evidence_files (sha256, content_type, size_bytes, original_name, uploaded_by, uploaded_at)
                 VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(sha256)
            .bind(content_type)
            .bind(size_bytes)
            .bind(original_name)
            .bind(actor)
            .bind(now)
            .execute(c)
            .await?;
        });
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
                on_tx!(self, |c| {
                    sqlx::query(
                        "UPDATE forensic_reports SET signed_on = $1, import_id = $2 WHERE id = $3",
                    )
                    .bind(f.signed_on)
                    .bind(import_id)
                    .bind(id)
                    .execute(c)
                    .await?;
                });
                Ok(Upsert::Updated)
            }
            None => {
                on_tx!(self, |c| {
                    sqlx::query(
                        "INSERT INTO forensic_reports (bo_number, serial, expert_registration, signed_on, synthetic, import_id)
                         VALUES ($1,$2,$3,$4,$5,$6)",
                    )
                    .bind(&f.bo_number)
                    .bind(&f.serial)
                    .bind(&f.expert_registration)
                    .bind(f.signed_on)
                    .bind(synthetic)
                    .bind(import_id)
                    .execute(c)
                    .await?;
                });
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

    /// The IPEI parameters in force for a month (the configuration valid on its last day; the decree's
    /// defaults without one), with the configuration's id and document.
    pub async fn ipei_params(&self, month: Month) -> Result<(IpeiParams, Option<i64>, String)> {
        match self.program_config_on(month.last_day()).await? {
            Some(v) => {
                let doc = atalaia_core::program::ProgramDocument::from_json(&v.document)
                    .and_then(|d| d.validate())
                    .map_err(|e| StoreError::Corrupt(format!("configuração {}: {e}", v.id)))?;
                Ok((doc.ipei, Some(v.id), v.document))
            }
            None => Ok((
                IpeiParams::decree_default(),
                None,
                serde_json::to_string(&atalaia_core::program::ProgramDocument::decree_default())
                    .unwrap_or_default(),
            )),
        }
    }

    /// Everything a month's IPEI depends on, as it stands on `as_of` (deadlines from the month's cycle,
    /// or the Anexo Único's on the committee's calendar when no cycle is open yet).
    pub async fn ipei_inputs(&self, month: Month, as_of: NaiveDate) -> Result<MonthInputs> {
        let period = CyclePeriod::Month(month);
        let cycle = self.cycle(CycleKind::Ipei, period).await?;
        let schedule = cycle
            .as_ref()
            .map(|c| c.schedule.clone())
            .unwrap_or(Schedule::ANEXO_UNICO);
        let (uf, muni) = committee_office();
        let cal = self.calendar(uf, muni).await?;
        let deadlines = atalaia_core::cycle::deadlines(period, &schedule, &cal)
            .map_err(|e| StoreError::Corrupt(format!("prazos do IPEI de {month}: {e}")))?;
        let submission_deadline = deadlines
            .iter()
            .find(|d| d.step == StepKey::Submissions)
            .map(|d| d.date)
            .ok_or_else(|| StoreError::Corrupt(format!("prazo de envio de {month}")))?;

        let rows = self.seizures(month, None).await?;
        let mut units: BTreeMap<String, UnitDelivery> = BTreeMap::new();
        if let Some(c) = &cycle {
            for a in c.acts.iter().filter(|a| a.act == "submission") {
                let Some(unit) = &a.unit else { continue };
                let payload: DeliveryPayload = a
                    .payload
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("envio {}: {e}", a.id)))?
                    .unwrap_or_default();
                units.entry(unit.clone()).or_insert(UnitDelivery {
                    unit: unit.clone(),
                    name: String::new(),
                    // Acts are stamped in UTC; the deadline is a day in Goiânia (UTC−3, no daylight
                    // saving since 2019), so a delivery at 22h on the last day is on time.
                    submitted_on: Some(atalaia_core::dates::sao_paulo_local(a.at).date()),
                    delivered: payload.seizures,
                });
            }
        }
        for r in &rows {
            units
                .entry(r.record.unit_code.clone())
                .or_insert_with(|| UnitDelivery {
                    unit: r.record.unit_code.clone(),
                    name: String::new(),
                    submitted_on: None,
                    delivered: Vec::new(),
                });
        }
        for u in units.values_mut() {
            u.name = self.unit_name_on(&u.unit, month.last_day()).await?;
        }

        let seizures: Vec<SeizureInput> = rows
            .iter()
            .map(|r| SeizureInput {
                id: r.id,
                bo_number: r.record.bo_number.clone(),
                item: r.item,
                serial: r.record.serial.clone(),
                unit: r.record.unit_code.clone(),
                seized_on: r.record.seized_on,
                flagrante: r.record.flagrante,
                registrations: r.record.registrations.clone(),
                bo_sha256: r.bo_sha256.clone(),
                brand: r.record.brand.clone(),
            })
            .collect();

        // The laudos of the month's BOs and the facts of everyone named: one query each (the order of
        // the inputs is fixed here, by BO then id, whatever the database's collation).
        let found: Vec<(i64, String, String, String, NaiveDate)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, bo_number, serial, expert_registration, signed_on FROM forensic_reports
                 WHERE bo_number IN (SELECT bo_number FROM seizures WHERE month = $1) ORDER BY id",
            )
            .bind(month.to_string())
            .fetch_all(c)
            .await?
        });
        let mut forensic: Vec<ForensicInput> = found
            .into_iter()
            .map(|(id, bo_number, serial, expert, signed_on)| ForensicInput {
                id,
                bo_number,
                serial,
                expert_registration: expert,
                signed_on,
            })
            .collect();
        forensic.sort_by(|a, b| (&a.bo_number, a.id).cmp(&(&b.bo_number, b.id)));

        let named: Vec<String> = seizures
            .iter()
            .flat_map(|s| s.registrations.iter().cloned())
            .chain(forensic.iter().map(|f| f.expert_registration.clone()))
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        macro_rules! facts {
            () => {
                "SELECT o.registration, o.name, o.institution,
                   (SELECT COUNT(*) FROM assignments a WHERE a.registration = o.registration
                      AND a.date_from <= $2 AND (a.date_to IS NULL OR a.date_to >= $3)) AS n
                 FROM operators o WHERE "
            };
        }
        let facts: Vec<(String, String, String, i64)> = match self {
            Db::Pg(p) => {
                sqlx::query_as(concat!(facts!(), "o.registration = ANY($1)"))
                    .bind(&named)
                    .bind(month.last_day())
                    .bind(month.first_day())
                    .fetch_all(p)
                    .await?
            }
            Db::Sqlite(p) => {
                // The list goes in as a JSON array: SQLite seeks the primary key for each value.
                let list = serde_json::to_string(&named)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query_as(concat!(
                    facts!(),
                    "o.registration IN (SELECT value FROM json_each($1))"
                ))
                .bind(list)
                .bind(month.last_day())
                .bind(month.first_day())
                .fetch_all(p)
                .await?
            }
        };
        let operators: BTreeMap<String, OperatorFacts> = facts
            .into_iter()
            .map(|(reg, name, institution, n)| {
                (
                    reg,
                    OperatorFacts {
                        name,
                        institution,
                        served_in_month: n > 0,
                    },
                )
            })
            .collect();

        // Weapons claimed in earlier months with the same identity as this month's that block it
        // (`atalaia_core::ipei::same_weapon`): paid in their month's published result, or in a month not
        // yet published. A claim its month rejected blocks nobody.
        let keys: BTreeSet<String> = seizures
            .iter()
            .map(|s| weapon_key(&s.bo_number, s.item, &s.serial))
            .collect();
        let earlier_rows: Vec<(i64, String, String, i64, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, month, bo_number, item, serial, brand FROM seizures
                 WHERE month < $1 ORDER BY month, id",
            )
            .bind(month.to_string())
            .fetch_all(c)
            .await?
        });
        let mut published: BTreeMap<String, Option<BTreeMap<i64, String>>> = BTreeMap::new();
        let mut earlier = Vec::new();
        for (id, m, bo, item, serial, brand) in earlier_rows {
            let key = weapon_key(&bo, u32::try_from(item).unwrap_or(0), &serial);
            if !keys.contains(&key) {
                continue;
            }
            let claim_month =
                Month::parse(&m).map_err(|e| StoreError::Corrupt(format!("mês `{m}`: {e}")))?;
            if !published.contains_key(&m) {
                published.insert(m.clone(), self.published_statuses(claim_month).await?);
            }
            let status = published[&m].as_ref().map(|st| st.get(&id).cloned());
            let pending = match status {
                None => true,
                Some(Some(s)) if s == "paid" => false,
                // Rejected, a duplicate, or not in the published result: it was not paid.
                Some(_) => continue,
            };
            earlier.push(EarlierClaim {
                key,
                month: claim_month,
                bo_number: bo,
                brand,
                pending,
            });
        }

        Ok(MonthInputs {
            month,
            as_of,
            submission_deadline,
            forensic_deadline: submission_deadline,
            units: units.into_values().collect(),
            seizures,
            forensic,
            operators,
            earlier,
            decisions: cycle.as_ref().map(|c| c.decisions()).unwrap_or_default(),
        })
    }

    /// The month's IPEI as it stands on `as_of`, its stage read from the month's cycle: `open` until
    /// the partial result, then `partial`, then `final`.
    pub async fn ipei_result(&self, month: Month, as_of: NaiveDate) -> Result<IpeiReport> {
        Ok(self.ipei_compute(month, as_of).await?.report)
    }

    /// The month's result with what it was computed from (what a saved run freezes).
    /// A month not begun on `as_of` is refused; one not over (or before its data cut-off) has its
    /// figures so far and no payment (`atalaia_core::closing`).
    pub async fn ipei_compute(&self, month: Month, as_of: NaiveDate) -> Result<IpeiComputed> {
        use atalaia_core::closing::{NotClosed, Period};
        let not_closed =
            match month.require_closed(self.data_cutoff_on(month.last_day()).await?, as_of) {
                Ok(()) => None,
                Err(future @ NotClosed::Future(_)) => return Err(future.into()),
                Err(partial) => Some(partial),
            };
        let inputs = self.ipei_inputs(month, as_of).await?;
        let (params, config_id, config) = self.ipei_params(month).await?;
        let mut report = atalaia_core::ipei::result(&params, &inputs);
        let closed: Vec<StepKey> = self
            .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
            .await?
            .map(|c| c.state().closed)
            .unwrap_or_default();
        report.stage = if closed.contains(&StepKey::FinalResult) {
            MonthStage::Final
        } else if closed.contains(&StepKey::PartialResult) {
            MonthStage::Partial
        } else {
            MonthStage::Open
        };
        if let Some(why) = &not_closed {
            report.withhold_payments(&why.to_string());
        }
        Ok(IpeiComputed {
            config_id,
            config,
            inputs,
            report,
            not_closed,
        })
    }

    /// The status of each seizure (by id) in `month`'s published result — the final one, else the partial
    /// one — or `None` when the month has published none.
    async fn published_statuses(&self, month: Month) -> Result<Option<BTreeMap<i64, String>>> {
        let Some(run_id) = self
            .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
            .await?
            .and_then(|c| {
                c.run_of(StepKey::FinalResult)
                    .or_else(|| c.run_of(StepKey::PartialResult))
            })
        else {
            return Ok(None);
        };
        let run = self
            .saved_run(CycleKind::Ipei, run_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("execução do IPEI {run_id}")))?;
        let result: serde_json::Value = serde_json::from_str(&run.result)
            .map_err(|e| StoreError::Corrupt(format!("resultado da execução {run_id}: {e}")))?;
        Ok(Some(
            result["seizures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| Some((s["id"].as_i64()?, s["status"].as_str()?.to_string())))
                .collect(),
        ))
    }

    /// Freezes a computed month as a saved run (inputs, configuration, result and their SHA-256),
    /// audited (`ipei.run_saved`).
    pub async fn save_ipei_run(
        &self,
        c: &IpeiComputed,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        if let Some(why) = &c.not_closed {
            return Err(why.clone().into());
        }
        let inputs = serde_json::to_string(&c.inputs)
            .map_err(|e| StoreError::Corrupt(format!("entradas do IPEI: {e}")))?;
        let result = serde_json::to_string(&c.report)
            .map_err(|e| StoreError::Corrupt(format!("resultado do IPEI: {e}")))?;
        let month = c.report.month.to_string();
        let frozen = <Ipei as Program>::freeze(&c.report.stage);
        let run = NewRun {
            period: &month,
            baseline: None,
            config_id: c.config_id,
            config: &c.config,
            inputs: &inputs,
            result: &result,
            frozen: frozen.as_deref(),
            sources: None,
            audit: serde_json::json!({"month": month, "stage": c.report.stage,
                "total_cents": c.report.total_cents}),
        };
        self.save_run(CycleKind::Ipei, &run, actor, now).await
    }

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

/// A month computed with what it was computed from.
#[derive(Debug, Clone)]
pub struct IpeiComputed {
    /// The configuration version (none: the decree's defaults).
    pub config_id: Option<i64>,
    /// The configuration document.
    pub config: String,
    /// The inputs.
    pub inputs: MonthInputs,
    /// The result; without payments while the month may not pay (`not_closed`).
    pub report: IpeiReport,
    /// Why the month may not pay yet (`atalaia_core::closing`), or `None` when it may.
    pub not_closed: Option<atalaia_core::closing::NotClosed>,
}

/// A replayed IPEI run.
pub type IpeiReplay = crate::runs::Replay<Ipei>;

/// The file of an evidence in the storage folder: `DIR/ab/abcdef…` (content-addressed by SHA-256).
pub fn evidence_path(dir: &std::path::Path, sha256: &str) -> std::path::PathBuf {
    dir.join(sha256.get(..2).unwrap_or("xx")).join(sha256)
}

/// Writes `bytes` under their SHA-256 (once: the same content is the same file), atomically (a
/// temporary file renamed into place), and returns the hash.
pub fn write_evidence(dir: &std::path::Path, bytes: &[u8]) -> Result<String> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let path = evidence_path(dir, &sha);
    if path.exists() {
        return Ok(sha);
    }
    let io =
        |what: &str, e: std::io::Error| StoreError::Io(format!("{what} {}: {e}", path.display()));
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| io("criar a pasta de", e))?;
    let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io("gravar", e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io("mover para", e))?;
    Ok(sha)
}

impl Db {
    /// Attaches a BO copy to a seizure (Art. 11–12): the file checked by content and size, written to
    /// `dir` under its SHA-256, recorded, linked and audited (`ipei.bo_attached`). Before the unit
    /// delivers the month, freely; after, only through one of the unit's appeals of that month (Art. 14:
    /// attaching a missing document of a listed seizure). A refused attach writes nothing to the database.
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_bo_file(
        &self,
        seizure_id: i64,
        dir: &std::path::Path,
        file_name: &str,
        bytes: &[u8],
        max_bytes: usize,
        appeal_id: Option<i64>,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<String> {
        let kind = match atalaia_core::evidence::check(file_name, bytes, max_bytes) {
            Ok(k) => k,
            Err(e) => return Err(Refusal::Evidence(e).into()),
        };
        let Some(seizure) = self.seizure(seizure_id).await? else {
            return Refusal::invalid(format!("apreensão {seizure_id} inexistente"));
        };
        let unit = seizure.record.unit_code.clone();
        let month = seizure.month.clone();
        let mut tx = self.begin().await?;
        if tx.ipei_delivered(&unit, &month).await? {
            let Some(appeal) = appeal_id else {
                return Refusal::invalid(format!(
                    "a unidade {unit} já enviou o mês {month}: a cópia do BO de uma apreensão entregue só se anexa por recurso (Art. 14)"
                ));
            };
            let n: i64 = on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM cycle_acts a JOIN cycles c ON c.id = a.cycle_id
                     WHERE a.id = $1 AND a.act = 'appeal' AND a.unit_code = $2
                       AND c.kind = 'ipei' AND c.period = $3",
                )
                .bind(appeal)
                .bind(&unit)
                .bind(&month)
                .fetch_one(c)
                .await?
            });
            if n == 0 {
                return Refusal::invalid(format!(
                    "o recurso {appeal} não é desta unidade neste mês"
                ));
            }
        }
        let sha = write_evidence(dir, bytes)?;
        tx.put_evidence_file(&sha, kind.mime(), bytes.len() as i64, file_name, actor, now)
            .await?;
        tx.attach_bo(seizure_id, &sha).await?;
        tx.audit(
            &crate::audit::AuditEvent::new(actor, "ipei.bo_attached")
                .object(format!("seizure:{seizure_id}"))
                .details(serde_json::json!({"unit": unit, "month": month, "bo_number": seizure.record.bo_number,
                    "sha256": sha, "content_type": kind.mime(), "size": bytes.len(),
                    "file_name": file_name, "appeal_id": appeal_id,
                    "replaced": seizure.bo_sha256})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(sha)
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
                on_tx!(self, |c| {
                    sqlx::query(
                        "UPDATE seizures SET item = $1, serial = $2, seized_on = $3, flagrante = $4,
                         registrations = $5, weapon_kind = $6, caliber = $7, brand = $8 WHERE id = $9",
                    )
                    .bind(i64::from(v.item))
                    .bind(&v.serial)
                    .bind(v.seized_on)
                    .bind(v.flagrante)
                    .bind(&registrations)
                    .bind(&v.weapon_kind)
                    .bind(&v.caliber)
                    .bind(&v.brand)
                    .bind(seizure_id)
                    .execute(c)
                    .await?;
                });
            }
            on_tx!(self, |c| {
                sqlx::query("UPDATE seizure_revisions SET status = $1 WHERE id = $2")
                    .bind(if granted { "applied" } else { "refused" })
                    .bind(id)
                    .execute(c)
                    .await?;
            });
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
        if !delivered || old.record.unit_code != unit || old.month != month {
            return Refusal::invalid(format!(
                "a apreensão {seizure_id} não consta do envio da unidade {unit} em {month}: um recurso não acrescenta apreensão (Art. 14)"
            ));
        }
        if c.record.unit_code != unit || c.record.bo_number != old.record.bo_number {
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
            bo_number: old.record.bo_number,
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
        let Some(cycle) = self
            .cycle(CycleKind::Ipei, CyclePeriod::Month(period))
            .await?
        else {
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
                &unit,
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
