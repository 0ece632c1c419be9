//! The rejects file of an import: each refused line with its reason and its cells, written beside the
//! final name and renamed into place only when the import commits.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use atalaia_core::spreadsheet::safe_cell;

use crate::ImportError;

pub(crate) struct Rejects {
    pub(crate) path: PathBuf,
    partial: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

impl Rejects {
    pub(crate) fn create(path: PathBuf) -> Result<Rejects, ImportError> {
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .map_err(|e| ImportError::Rejects(partial.display().to_string(), e))?;
        Ok(Rejects {
            path,
            partial,
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(BufWriter::new(file)),
        })
    }

    fn err(&self, e: impl Into<std::io::Error>) -> ImportError {
        ImportError::Rejects(self.path.display().to_string(), e.into())
    }

    pub(crate) fn header(&mut self, header: &[String]) -> Result<(), ImportError> {
        let mut row = vec!["line".to_string(), "reason".to_string()];
        // The file's own cells are echoed to whoever opens the rejects file in a spreadsheet.
        row.extend(header.iter().map(|h| safe_cell(h).into_owned()));
        self.writer.write_record(&row).map_err(|e| self.err(e))
    }

    pub(crate) fn write(
        &mut self,
        line: u64,
        reason: &str,
        fields: &[String],
    ) -> Result<(), ImportError> {
        let line = line.to_string();
        let mut row: Vec<std::borrow::Cow<'_, str>> = vec![line.as_str().into(), reason.into()];
        row.extend(fields.iter().map(|f| safe_cell(f)));
        self.writer
            .write_record(row.iter().map(|c| c.as_bytes()))
            .map_err(|e| self.err(e))
    }

    pub(crate) fn commit(mut self) -> Result<(), ImportError> {
        self.writer.flush().map_err(|e| self.err(e))?;
        std::fs::rename(&self.partial, &self.path).map_err(|e| self.err(e))
    }

    /// Commits under another final name (the server's, known once the import has its number).
    pub(crate) fn commit_as(mut self, path: PathBuf) -> Result<(), ImportError> {
        self.path = path;
        self.commit()
    }

    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}
