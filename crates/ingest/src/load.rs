//! The import driver: reader thread → bounded channel → loader, one transaction, rejects file, summary.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use atalaia_spatial::{AreaIndex, AreaVersion};
use atalaia_store::audit::AuditEvent;
use atalaia_store::imports::{ImportCounts, NewImport};
use atalaia_store::occurrences::{OccurrenceRecord, OccurrenceWriter, RowOutcome, Tally};
use atalaia_store::territories::Upsert;
use atalaia_store::{Db, StoreError, Tx};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::fields::Columns;
use crate::kinds::{self, Context, Parsed};
use crate::read::{RawRecord, read_table};
use crate::rejects::Rejects;
use crate::{ImportError, Kind};

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Who imports (user name or `cli:<os user>`).
    pub actor: String,
    /// Mark every record synthetic (the demo data set).
    pub synthetic: bool,
    /// Where to write rejected rows (default `FILE.rejects.csv`).
    pub rejects: Option<PathBuf>,
    /// Today's date in America/Sao_Paulo (occurrences cannot be in the future).
    pub today: NaiveDate,
    /// Now, UTC (recorded on the import and on reclassifications).
    pub now: NaiveDateTime,
    /// Client address of a web upload (empty from the command line), for the audit log.
    pub ip: String,
    /// The units whose rows this import may write (a unit head's upload: their own units only); `None`
    /// for any unit (analysts, the command line). Rows of other units go to the rejects file.
    pub units_allowed: Option<Vec<String>>,
    /// The web job this import runs for, recorded done by the import's own transaction.
    pub job: Option<atalaia_store::jobs::JobClaim>,
    /// A folder where the rejects file ends, as [`kept_rejects_path`], before the import commits (the
    /// server's: its pages find an import's rejects by its number as soon as the import is visible).
    pub rejects_kept_in: Option<PathBuf>,
    /// The source's import profile, when its files are not in Atalaia's columns (`crate::profile`).
    pub profile: Option<crate::profile::Profile>,
}

/// Where an import's rejects file is kept in `folder`: `importacao-N.csv`, N the import's number.
pub fn kept_rejects_path(folder: &Path, import_id: i64) -> PathBuf {
    folder.join(format!("importacao-{import_id}.csv"))
}

/// Progress of a long import (the CLI shows a bar on a terminal; tests and the web use their own).
pub trait Progress: Send + Sync {
    /// The file's size in bytes.
    fn start(&self, total_bytes: u64);
    /// Bytes consumed so far.
    fn position(&self, bytes: u64);
    fn finish(&self);
    /// Rows so far, after each batch: read, written (inserted or changed) and rejected.
    fn rows(&self, _read: u64, _written: u64, _rejected: u64) {}
    /// Whether to stop: asked between batches; the import then rolls back and fails with
    /// [`ImportError::Cancelled`](crate::ImportError::Cancelled).
    fn cancelled(&self) -> bool {
        false
    }
}

/// A progress sink that shows nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn position(&self, _: u64) {}
    fn finish(&self) {}
}

/// The import summary of contracts.md §3.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportSummary {
    pub kind: &'static str,
    /// Data rows (or features) read.
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Path of the rejects file.
    pub rejects_file: String,
    /// Occurrences with coordinates outside every area (occurrences only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<u64>,
    /// Occurrences whose areas changed because territories changed (territories only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassigned: Option<u64>,
    /// Notes that did not reject anything (ignored columns, geometry problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The import run's id.
    pub import_id: i64,
}

struct Item {
    line: u64,
    fields: Vec<String>,
    parsed: Result<Parsed, String>,
}

struct Batch {
    items: Vec<Item>,
    offset: u64,
    /// Its occurrences are in the reader's tally (see `read_stage`).
    counted: bool,
}

/// Rows the reader hands the loader at a time. On PostgreSQL each batch is a look-up, a COPY and an
/// aggregate step: 16k rows made a 1M-row import 9.9 s → 7.0–7.6 s against 4k (BENCHMARKS.md), for
/// about 50 MB more peak memory, still flat in the file's size.
const BATCH_ROWS: usize = 16384;

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn default_rejects(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".rejects.csv");
    PathBuf::from(p)
}

/// Imports `path` as `kind` into `db`. Good rows are stored, bad rows go to the rejects file with
/// their line and reason; the whole import is one transaction, so an error leaves the database as it
/// was. Re-importing the same file changes nothing and reports every row unchanged.
pub async fn import_file(
    db: &Db,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<ImportSummary, ImportError> {
    let meta =
        std::fs::metadata(path).map_err(|e| ImportError::Io(path.display().to_string(), e))?;
    if meta.is_dir() {
        return Err(ImportError::Io(
            path.display().to_string(),
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    let hash_path = path.to_path_buf();
    let hasher = std::thread::spawn(move || sha256_file(&hash_path));
    let rejects_path = opts
        .rejects
        .clone()
        .unwrap_or_else(|| default_rejects(path));
    let mut rejects = Rejects::create(rejects_path)?;
    if kind == Kind::Occurrences {
        keep_partitions(db, opts).await?;
    }
    progress.start(meta.len());
    let result = run(
        db,
        kind,
        path,
        opts,
        progress.as_ref(),
        &mut rejects,
        hasher,
    )
    .await;
    progress.finish();
    match result {
        // Asked once more before committing: a file read whole (territories) or its last batch.
        Ok((tx, _)) if progress.cancelled() => {
            drop(tx);
            rejects.discard();
            Err(ImportError::Cancelled)
        }
        Ok((tx, mut summary)) => {
            match &opts.rejects_kept_in {
                Some(folder) => {
                    std::fs::create_dir_all(folder)
                        .map_err(|e| ImportError::Rejects(folder.display().to_string(), e))?;
                    let kept = kept_rejects_path(folder, summary.import_id);
                    summary.rejects_file = kept.display().to_string();
                    rejects.commit_as(kept)?;
                }
                None => rejects.commit()?,
            }
            tx.commit().await?;
            if kind == Kind::Occurrences {
                // Committed already: a partition that cannot be made now leaves its rows readable in
                // the DEFAULT partition until the next run, so this is logged, not the import's error.
                if let Err(e) = keep_partitions(db, opts).await {
                    tracing::warn!(error = %e, "partições mensais não atualizadas após a importação");
                }
            }
            Ok(summary)
        }
        Err(e) => {
            rejects.discard();
            Err(e)
        }
    }
}

/// PostgreSQL's monthly partitions (`store::partitions`): before an occurrence import, the months
/// around today's, where new records fall; after it, the months of records that found none.
async fn keep_partitions(db: &Db, opts: &ImportOptions) -> Result<(), ImportError> {
    let Ok(this_month) = atalaia_core::Month::of(opts.now.date()) else {
        return Ok(());
    };
    let last_month = this_month.pred().unwrap_or(this_month);
    let report = db.maintain_partitions(last_month, 3).await?;
    for (name, why) in &report.postponed {
        tracing::warn!(partition = %name, reason = %why, "partição mensal adiada");
    }
    Ok(())
}

async fn run(
    db: &Db,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn Progress,
    rejects: &mut Rejects,
    hasher: std::thread::JoinHandle<std::io::Result<String>>,
) -> Result<(Tx, ImportSummary), ImportError> {
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tx = db.begin().await?;
    let import_id = tx
        .create_import(&NewImport {
            kind: kind.as_str(),
            file_name: &file_name,
            file_sha256: "",
            actor: &opts.actor,
            synthetic: opts.synthetic,
            started_at: opts.now,
        })
        .await?;
    let mut summary = ImportSummary {
        kind: kind.as_str(),
        read: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        rejects_file: rejects.path.display().to_string(),
        unassigned: (kind == Kind::Occurrences).then_some(0),
        reassigned: None,
        warnings: Vec::new(),
        import_id,
    };
    if kind == Kind::Territories {
        crate::territories::load(&mut tx, path, opts, import_id, rejects, &mut summary).await?;
    } else {
        tabular(
            &mut tx,
            kind,
            path,
            opts,
            import_id,
            progress,
            rejects,
            &mut summary,
        )
        .await?;
    }
    let sha = hasher
        .join()
        .map_err(|_| ImportError::Interrupted("cálculo do hash do arquivo".into()))?
        .map_err(|e| ImportError::Io(path.display().to_string(), e))?;
    let counts = ImportCounts {
        read: summary.read,
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected: summary.rejected,
        unassigned: summary.unassigned.unwrap_or(0),
    };
    tx.finish_import(import_id, &counts, opts.now).await?;
    tx.set_import_hash(import_id, &sha).await?;
    // The import and its audit entry commit together (platform.md §2: who, which file, what it did).
    tx.audit(
        &AuditEvent::new(opts.actor.clone(), "import.finish")
            .object(format!("import:{import_id}"))
            .details(serde_json::json!({
                "kind": kind.as_str(),
                "file_name": file_name,
                "file_sha256": sha,
                "synthetic": opts.synthetic,
                "counts": counts,
            }))
            .ip(opts.ip.clone()),
        opts.now,
    )
    .await?;
    if let Some(job) = &opts.job {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let done = atalaia_store::jobs::JobProgress {
            bytes_read: n(std::fs::metadata(path).map_or(0, |m| m.len())),
            rows_read: n(summary.read),
            rows_written: n(summary.inserted + summary.updated),
            rows_rejected: n(summary.rejected),
        };
        if !tx.complete_job(job, import_id, done, opts.now).await? {
            return Err(ImportError::TakenOver);
        }
    }
    Ok((tx, summary))
}

pub(crate) fn count(summary: &mut ImportSummary, u: Upsert) {
    match u {
        Upsert::Inserted => summary.inserted += 1,
        Upsert::Updated => summary.updated += 1,
        Upsert::Unchanged => summary.unchanged += 1,
    }
}

pub(crate) async fn load_context(
    tx: &mut Tx,
    kind: Kind,
    opts: &ImportOptions,
) -> Result<Context, ImportError> {
    let mut ctx = Context {
        today: opts.today,
        units_allowed: opts
            .units_allowed
            .as_ref()
            .map(|u| u.iter().cloned().collect()),
        ..Context::default()
    };
    let crimes = tx.crimes().await?;
    ctx.crime_names = crimes
        .iter()
        .map(|c| (atalaia_core::text::folded(&c.name), c.code.clone()))
        .collect();
    ctx.crimes = crimes.into_iter().map(|c| c.code).collect();
    ctx.crime_map = tx.crime_map().await?.into_iter().collect();
    ctx.territories = tx.territory_codes().await?.into_iter().collect();
    if kind == Kind::Occurrences {
        ctx.parents = tx.territory_parents().await?.into_iter().collect();
    }
    ctx.units = tx.unit_codes().await?.into_iter().collect();
    if matches!(kind, Kind::Assignments | Kind::Absences) {
        ctx.registrations = tx.operator_registrations().await?.into_iter().collect();
    }
    if kind == Kind::Occurrences {
        ctx.areas = area_index(tx).await?;
    }
    Ok(ctx)
}

/// Builds the point-in-polygon index over every stored territory version with a geometry.
pub async fn area_index(tx: &mut Tx) -> Result<AreaIndex, ImportError> {
    let mut versions = Vec::new();
    for v in tx.territories_with_geometry().await? {
        let Some(text) = &v.geometry else { continue };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            atalaia_store::StoreError::Corrupt(format!("geometria de {}: {e}", v.code))
        })?;
        let mp = crate::territories::to_multipolygon(&value).map_err(|e| {
            atalaia_store::StoreError::Corrupt(format!("geometria de {}: {e}", v.code))
        })?;
        versions.push(AreaVersion {
            code: v.code,
            valid_from: v.valid_from,
            valid_to: v.valid_to,
            geometry: mp,
        });
    }
    Ok(AreaIndex::new(versions))
}

enum Msg {
    Header {
        header: Vec<String>,
        unknown: Vec<String>,
    },
    Batch(Batch),
    /// Aggregate counts of the occurrences read so far (since the last tally), each counted as new.
    Tally(Tally),
    Fatal(ImportError),
}

/// The reader stage: decode, parse and assign areas; send bounded batches.
fn read_stage(
    kind: Kind,
    path: PathBuf,
    profile: Option<crate::profile::Profile>,
    ctx: Arc<Context>,
    send: tokio::sync::mpsc::Sender<Msg>,
    spent: std::sync::mpsc::Receiver<Spent>,
    precount: Arc<AtomicBool>,
) {
    let file = path.display().to_string();
    let (required, optional) = kinds::columns(kind);
    let columns: std::cell::OnceCell<Columns> = std::cell::OnceCell::new();
    let adapter: std::cell::OnceCell<crate::profile::Adapter> = std::cell::OnceCell::new();
    let mut batch = Batch {
        items: Vec::with_capacity(BATCH_ROWS),
        offset: 0,
        counted: precount.load(Ordering::Relaxed),
    };
    let stopped = || ImportError::Interrupted("a gravação parou antes do fim da leitura".into());
    // The aggregate is counted here rather than on the loader thread, the import's bound (BENCHMARKS.md):
    // every occurrence as new; the loader corrects the few that are not (OccurrenceWriter::write_counted).
    // While the loader finds most rows already stored (a re-import) it asks, through `precount`, for
    // batches not counted here: it then counts only what changed.
    let mut tally = Tally::default();
    let result = read_table(
        &path,
        &mut |format, header| {
            // With a profile the kind's columns are the ones it computes; the rejects keep the source's.
            let (c, a) = crate::profile::bind(
                &file,
                &header,
                format,
                (required, optional),
                profile.as_ref(),
            )?;
            if let Some(a) = a {
                let _ = adapter.set(a);
            }
            let unknown = c.unknown.clone();
            let _ = columns.set(c);
            send.blocking_send(Msg::Header { header, unknown })
                .map_err(|_| stopped())
        },
        &mut |mut rec: RawRecord| {
            let Some(cols) = columns.get() else {
                return Err(ImportError::NoHeader(file.clone()));
            };
            let parse = |r: &RawRecord| {
                cols.row(r)
                    .and_then(|row| kinds::parse(kind, &row, &ctx))
                    .map_err(|why| cols.in_file_words(&why))
            };
            // A profile computes the kind's rows (several, when it unpivots a wide row); each keeps
            // the source's row for the rejects file.
            let results: Vec<_> = match adapter.get() {
                None => vec![parse(&rec)],
                Some(a) => a.records(&rec).iter().map(parse).collect(),
            };
            batch.offset = rec.offset;
            let last = results.len().saturating_sub(1);
            for (i, parsed) in results.into_iter().enumerate() {
                if let (true, Ok(Parsed::Occurrence(o))) = (batch.counted, &parsed) {
                    tally.count(o);
                }
                let fields = if i == last {
                    std::mem::take(&mut rec.fields)
                } else {
                    rec.fields.clone()
                };
                batch.items.push(Item {
                    line: rec.line,
                    fields,
                    parsed,
                });
            }
            if batch.items.len() >= BATCH_ROWS {
                let full = std::mem::replace(
                    &mut batch,
                    Batch {
                        items: Vec::with_capacity(BATCH_ROWS),
                        offset: 0,
                        counted: precount.load(Ordering::Relaxed),
                    },
                );
                send.blocking_send(Msg::Batch(full))
                    .map_err(|_| stopped())?;
                if tally.is_full() {
                    send.blocking_send(Msg::Tally(std::mem::take(&mut tally)))
                        .map_err(|_| stopped())?;
                }
                // Free what the loader is done with, here where it was allocated.
                while let Ok(done) = spent.try_recv() {
                    drop(done);
                }
            }
            Ok(())
        },
    );
    match result {
        Ok(()) => {
            if !batch.items.is_empty() {
                let _ = send.blocking_send(Msg::Batch(batch));
            }
            if !tally.is_empty() {
                let _ = send.blocking_send(Msg::Tally(tally));
            }
        }
        Err(e) => {
            let _ = send.blocking_send(Msg::Fatal(e));
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn tabular(
    tx: &mut Tx,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions,
    import_id: i64,
    progress: &dyn Progress,
    rejects: &mut Rejects,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let ctx = Arc::new(load_context(tx, kind, opts).await?);
    let (send, mut recv) = tokio::sync::mpsc::channel::<Msg>(4);
    let (give_back, spent) = std::sync::mpsc::channel::<Spent>();
    let precount = Arc::new(AtomicBool::new(true));
    let reader_precount = Arc::clone(&precount);
    let reader_path = path.to_path_buf();
    let profile = opts.profile.clone();
    let reader = std::thread::Builder::new()
        .name("atalaia-reader".into())
        .spawn(move || {
            read_stage(
                kind,
                reader_path,
                profile,
                ctx,
                send,
                spent,
                reader_precount,
            )
        })
        .map_err(|e| {
            ImportError::Interrupted(format!("não foi possível iniciar a leitura: {e}"))
        })?;
    let mut writer = OccurrenceWriter::new(import_id, opts.synthetic, opts.now);
    let mut outcome = Ok(());
    while let Some(msg) = recv.recv().await {
        let step = match msg {
            Msg::Header { header, unknown } => {
                if !unknown.is_empty() {
                    summary.warnings.push(format!(
                        "colunas ignoradas (não fazem parte do tipo `{}`): {}",
                        kind.as_str(),
                        unknown.join(", ")
                    ));
                }
                rejects.header(&header)
            }
            Msg::Batch(_) if progress.cancelled() => Err(ImportError::Cancelled),
            Msg::Batch(batch) => {
                progress.position(batch.offset);
                write_batch(
                    tx,
                    &mut writer,
                    opts,
                    import_id,
                    batch,
                    rejects,
                    summary,
                    &precount,
                )
                .await
                // Once the reader has finished, the batch is freed here instead.
                .map(|done| {
                    progress.rows(
                        summary.read,
                        summary.inserted + summary.updated,
                        summary.rejected,
                    );
                    drop(give_back.send(done))
                })
            }
            Msg::Tally(t) => writer.apply(tx, t).await.map_err(ImportError::from),
            Msg::Fatal(e) => Err(e),
        };
        if let Err(e) = step {
            outcome = Err(e);
            break;
        }
    }
    // Dropping the receiver stops the reader at its next send.
    drop(recv);
    reader
        .join()
        .map_err(|_| ImportError::Interrupted("a leitura do arquivo falhou".into()))?;
    outcome?;
    if kind == Kind::Occurrences {
        writer.finish(tx).await?;
    }
    Ok(())
}

/// Where a row of a batch went: to the occurrence writer (its index there) or nowhere yet.
enum Slot {
    Occurrence(usize),
    Other(Result<Parsed, String>),
}

/// A written batch's rows, sent back to the reader thread to be freed there: they were allocated there,
/// and freeing them on the loader thread (the import's bound) cost it about a tenth of its time in the
/// allocator's cross-thread path (BENCHMARKS.md, issue #2).
struct Spent {
    _occurrences: Vec<OccurrenceRecord>,
    _slots: Vec<(u64, Vec<String>, Slot)>,
}

#[allow(clippy::too_many_arguments)]
async fn write_batch(
    tx: &mut Tx,
    writer: &mut OccurrenceWriter,
    opts: &ImportOptions,
    import_id: i64,
    batch: Batch,
    rejects: &mut Rejects,
    summary: &mut ImportSummary,
    precount: &AtomicBool,
) -> Result<Spent, ImportError> {
    summary.read += batch.items.len() as u64;
    // Occurrences go to the store in one call per batch (moved out, not copied); the other kinds row by
    // row. `slots` keeps the file's order for the rejects.
    let mut occurrences: Vec<OccurrenceRecord> = Vec::new();
    let mut slots: Vec<(u64, Vec<String>, Slot)> = Vec::with_capacity(batch.items.len());
    for item in batch.items {
        let slot = match item.parsed {
            Ok(Parsed::Occurrence(mut o)) => {
                o.line = item.line;
                occurrences.push(o);
                Slot::Occurrence(occurrences.len() - 1)
            }
            other => Slot::Other(other),
        };
        slots.push((item.line, item.fields, slot));
    }
    let occ_outcomes = if occurrences.is_empty() {
        Vec::new()
    } else if batch.counted {
        writer.write_counted(tx, &occurrences).await?
    } else {
        writer.write(tx, &occurrences).await?
    };
    if !occ_outcomes.is_empty() {
        let new = occ_outcomes
            .iter()
            .filter(|o| matches!(o, RowOutcome::Inserted))
            .count();
        precount.store(new * 2 >= occ_outcomes.len(), Ordering::Relaxed);
    }
    for (line, fields, slot) in &slots {
        let result: Result<Upsert, String> = match slot {
            Slot::Occurrence(i) => {
                let o = &occurrences[*i];
                match occ_outcomes.get(*i) {
                    Some(RowOutcome::Inserted) => {
                        unassigned(summary, o);
                        Ok(Upsert::Inserted)
                    }
                    Some(RowOutcome::Updated) => {
                        unassigned(summary, o);
                        Ok(Upsert::Updated)
                    }
                    Some(RowOutcome::Unchanged) => {
                        unassigned(summary, o);
                        Ok(Upsert::Unchanged)
                    }
                    Some(RowOutcome::DuplicateInFile { first_line }) => Err(format!(
                        "coluna `id`: valor `{}` repetido no arquivo (já lido na linha {first_line}); cada ocorrência deve aparecer uma vez",
                        o.source_id
                    )),
                    None => Err("ocorrência sem resultado de gravação".into()),
                }
            }
            Slot::Other(Err(reason)) => Err(reason.clone()),
            Slot::Other(Ok(Parsed::Occurrence(_))) => Err("ocorrência fora do lote".into()),
            Slot::Other(Ok(Parsed::Population {
                code,
                year,
                population,
            })) => Ok(tx
                .put_population(code, *year, *population, import_id, opts.synthetic)
                .await?),
            Slot::Other(Ok(Parsed::Unit(u))) => tx.put_unit(u, import_id, opts.synthetic).await?,
            Slot::Other(Ok(Parsed::Operator(o))) => {
                Ok(tx.put_operator(o, import_id, opts.synthetic).await?)
            }
            Slot::Other(Ok(Parsed::Assignment(a))) => {
                Ok(tx.put_assignment(a, import_id, opts.synthetic).await?)
            }
            Slot::Other(Ok(Parsed::Absence(a))) => {
                Ok(tx.put_absence(a, import_id, opts.synthetic).await?)
            }
            Slot::Other(Ok(Parsed::Count {
                code,
                crime,
                month,
                count,
            })) => Ok(tx
                .put_monthly_count(code, crime, *month, *count, import_id, opts.synthetic)
                .await?),
            Slot::Other(Ok(Parsed::CrimeMap { source, crime })) => {
                Ok(tx.put_crime_map(source, crime, import_id).await?)
            }
            // A seizure the IPEI rules refuse is a rejected row with the rule's sentence.
            Slot::Other(Ok(Parsed::Seizure(sz))) => match tx
                .put_seizure(sz, Some(import_id), opts.synthetic, &opts.actor, opts.now)
                .await
            {
                Ok((u, _)) => Ok(u),
                Err(StoreError::Refused(why)) => Err(why.to_string()),
                Err(e) => return Err(e.into()),
            },
            Slot::Other(Ok(Parsed::Forensic(f))) => Ok(tx
                .put_forensic_report(f, Some(import_id), opts.synthetic)
                .await?),
        };
        match result {
            Ok(u) => count(summary, u),
            Err(reason) => {
                summary.rejected += 1;
                rejects.write(*line, &reason, fields)?;
            }
        }
    }
    Ok(Spent {
        _occurrences: occurrences,
        _slots: slots,
    })
}

fn unassigned(summary: &mut ImportSummary, o: &OccurrenceRecord) {
    if o.lat.is_some() && o.areas.is_empty() {
        *summary.unassigned.get_or_insert(0) += 1;
    }
}
