//! Imports (contracts.md §2): CSV/XLSX/GeoJSON files read as streams, each row parsed into a typed
//! record or rejected with a Portuguese reason naming the column, the value and what was expected; good
//! rows stored through `atalaia-store` in one transaction per import (a failed import changes nothing).
//!
//! The importer is split in two stages that run side by side: a reader thread that decodes, parses and
//! assigns areas (point-in-polygon), and the async loader that writes batches. Memory stays flat in
//! the file's size: batches are bounded and the channel between the stages holds at most a few.

pub mod fields;
pub mod help;
pub mod kinds;
pub mod load;
pub mod points;
pub mod preview;
pub mod profile;
pub mod read;
mod rejects;
pub mod territories;

pub use load::{ImportOptions, ImportSummary, Progress, import_file};

/// The import kinds of contracts.md §2 handled by this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GeoJSON FeatureCollection of territories.
    Territories,
    /// Population per territory and year.
    Population,
    /// Operational units and their circunscrição.
    Units,
    /// Security operators.
    Operators,
    /// Lotação and à disposição.
    Assignments,
    Absences,
    /// Occurrences (BO/REDS).
    Occurrences,
    /// Monthly totals.
    Counts,
    /// Source crime code → catalog code.
    CrimeMap,
    /// Firearm seizures a unit declares for the IPEI (Arts. 10–12).
    Seizures,
    /// Laudos of SPTC experts (Art. 10 §ú).
    ForensicReports,
}

impl Kind {
    /// Every kind, in the order a full load needs them.
    pub const ALL: [Kind; 11] = [
        Kind::Territories,
        Kind::Population,
        Kind::Units,
        Kind::Operators,
        Kind::Assignments,
        Kind::Absences,
        Kind::CrimeMap,
        Kind::Occurrences,
        Kind::Counts,
        Kind::Seizures,
        Kind::ForensicReports,
    ];

    /// The kind's name on the command line and in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Territories => "territories",
            Kind::Population => "population",
            Kind::Units => "units",
            Kind::Operators => "operators",
            Kind::Assignments => "assignments",
            Kind::Absences => "absences",
            Kind::Occurrences => "occurrences",
            Kind::Counts => "counts",
            Kind::CrimeMap => "crime-map",
            Kind::Seizures => "seizures",
            Kind::ForensicReports => "forensic-reports",
        }
    }

    /// The kind's name for people (pt-BR), from `atalaia_core::audit`'s table.
    pub fn label_pt(self) -> &'static str {
        atalaia_core::audit::import_kind_pt(self.as_str()).unwrap_or("arquivo")
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The reason of an I/O failure in Portuguese (the operating system's own text is English).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "arquivo ou pasta não encontrado".into(),
        K::PermissionDenied => "sem permissão de acesso".into(),
        K::IsADirectory => "é uma pasta, não um arquivo".into(),
        K::StorageFull => "disco cheio".into(),
        K::InvalidData | K::UnexpectedEof => "conteúdo ilegível".into(),
        _ => e.to_string(),
    }
}

/// Why an import failed as a whole (exit status 1: nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{0}: não foi possível ler o arquivo: {reason}", reason = io_reason(.1))]
    Io(String, std::io::Error),
    /// The file is not a readable table or GeoJSON.
    #[error("{file}, linha {line}: arquivo ilegível: {detail}")]
    Unreadable {
        file: String,
        /// Line (0 when unknown).
        line: u64,
        /// What went wrong.
        detail: String,
    },
    /// The file has no header line.
    #[error("{0}: arquivo vazio; esperado um cabeçalho na linha 1")]
    NoHeader(String),
    /// Required columns are missing: probably another kind of file.
    #[error(
        "{file}, linha 1: faltam as colunas obrigatórias {missing}; cabeçalho encontrado: {found}"
    )]
    MissingColumns {
        file: String,
        /// Missing columns.
        missing: String,
        /// Header found.
        found: String,
    },
    /// The file does not fit the import profile chosen for it.
    #[error("{0}, linha 1: {1}")]
    Profile(String, String),
    /// A column appears twice in the header.
    #[error("{file}, linha 1: a coluna `{column}` aparece duas vezes no cabeçalho")]
    DuplicateColumn { file: String, column: String },
    /// The rejects file could not be written.
    #[error("{0}: não foi possível gravar o arquivo de rejeitados: {reason}", reason = io_reason(.1))]
    Rejects(String, std::io::Error),
    /// The database failed; the import was rolled back.
    #[error("importação desfeita; nada foi alterado: {0}")]
    Store(#[from] atalaia_store::StoreError),
    /// The reader thread stopped unexpectedly.
    #[error("importação interrompida: {0}")]
    Interrupted(String),
    /// The web job it ran for was given up for dead and queued again before it ended; it rolled back
    /// so that the job's next run is the one that imports the file.
    #[error("importação desfeita; nada foi alterado: o trabalho passou a outro servidor")]
    TakenOver,
    /// Someone cancelled it (`Progress::cancelled`); the transaction rolled back.
    #[error("importação cancelada: nada foi gravado")]
    Cancelled,
}
