//! Reading tabular files record by record, streaming: CSV (`,` or `;`, detected; UTF-8 or
//! Windows-1252/Latin-1, detected) and XLSX (first sheet). Each record keeps its line number in the
//! original file (header = line 1; for XLSX, the sheet's row number).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use encoding_rs::WINDOWS_1252;

use crate::ImportError;

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM, if any, is skipped).
    Utf8,
    /// Windows-1252, the superset of Latin-1 that Brazilian spreadsheets export.
    Windows1252,
}

/// How a file was read, reported to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// `csv` or `xlsx`.
    pub container: &'static str,
    /// Field delimiter (CSV).
    pub delimiter: u8,
    /// Encoding (CSV).
    pub encoding: Encoding,
}

impl Format {
    /// Whether numbers may use a decimal comma (`;`-separated files, contracts.md §2).
    pub fn decimal_comma(&self) -> bool {
        self.delimiter == b';'
    }
}

/// One data record.
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    /// Line of the record's start in the original file (header = 1).
    pub line: u64,
    /// Fields, decoded and untrimmed.
    pub fields: Vec<String>,
    /// Bytes of the file consumed so far (for progress).
    pub offset: u64,
}

/// Called once with the file's format and header fields.
pub type HeaderFn<'a> = dyn FnMut(&Format, Vec<String>) -> Result<(), ImportError> + 'a;
/// Called for each data record, in order.
pub type RecordFn<'a> = dyn FnMut(RawRecord) -> Result<(), ImportError> + 'a;

/// The first bytes of a ZIP archive, and so of an XLSX workbook: anything else is read as CSV.
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// How much of a CSV file the delimiter and encoding are guessed from.
const SAMPLE_LEN: usize = 64 * 1024;

/// The read buffer of a CSV file.
const FILE_BUFFER: usize = 1 << 20;

/// Reads `path` and calls `on_header` once with the header fields, then `on_record` for each data
/// record, in order. Stops early when a callback returns an error.
pub fn read_table(
    path: &Path,
    on_header: &mut HeaderFn<'_>,
    on_record: &mut RecordFn<'_>,
) -> Result<(), ImportError> {
    let name = path.display().to_string();
    let io = |e| ImportError::Io(name.clone(), e);
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(io)?;
    drop(file);
    if n == 4 && magic == *ZIP_MAGIC {
        return read_xlsx(&name, calamine::open_workbook(path), on_header, on_record);
    }
    let mut file = File::open(path).map_err(io)?;
    let mut sample = vec![0u8; SAMPLE_LEN];
    let mut filled = 0;
    while filled < sample.len() {
        let n = file.read(&mut sample[filled..]).map_err(io)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    sample.truncate(filled);
    let file = BufReader::with_capacity(FILE_BUFFER, File::open(path).map_err(io)?);
    read_csv(&name, &sample, file, FILE_BUFFER, on_header, on_record)
}

/// The header of the table in `path`, read as [`read_table`] reads it (no record is parsed).
pub fn read_header(path: &Path) -> Result<Vec<String>, ImportError> {
    const HEADER_READ: &str = "cabeçalho lido";
    let mut header = Vec::new();
    let read = read_table(
        path,
        &mut |_, h| {
            header = h;
            Err(ImportError::Interrupted(HEADER_READ.into()))
        },
        &mut |_| Ok(()),
    );
    match read {
        Err(ImportError::Interrupted(why)) if why == HEADER_READ => Ok(header),
        Err(e) => Err(e),
        Ok(()) => Ok(header),
    }
}

/// Reads a table held in memory exactly as [`read_table`] reads a file of the same bytes (the same
/// CSV/XLSX dispatch, sniffing, decoding, line numbers and errors); `name` stands for the file in
/// messages. No thread, no file and no buffer larger than the input: fit for many small inputs.
pub fn read_table_bytes(
    bytes: &[u8],
    name: &str,
    on_header: &mut HeaderFn<'_>,
    on_record: &mut RecordFn<'_>,
) -> Result<(), ImportError> {
    if bytes.starts_with(ZIP_MAGIC) {
        let wb = Xlsx::new(std::io::Cursor::new(bytes));
        return read_xlsx(name, wb, on_header, on_record);
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_LEN)];
    // The parser's buffer only bounds how much it reads at a time: the input's size is enough.
    let buffer = bytes.len().clamp(64, FILE_BUFFER);
    read_csv(name, sample, bytes, buffer, on_header, on_record)
}

fn sniff(sample: &[u8]) -> (u8, Encoding) {
    let encoding = match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // A sample cut inside a multi-byte character is still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    };
    // The delimiter is the more frequent of `;` and `,` on the header line, outside quotes.
    let header_end = sample
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(sample.len());
    let (mut semis, mut commas, mut quoted) = (0, 0, false);
    for &b in &sample[..header_end] {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => semis += 1,
            b',' if !quoted => commas += 1,
            _ => {}
        }
    }
    (if semis > commas { b';' } else { b',' }, encoding)
}

fn decode(bytes: &[u8], enc: Encoding) -> String {
    match enc {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            // A stray Latin-1 byte in a UTF-8 file: decode that field as Windows-1252 rather than lose it.
            Err(_) => WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        },
        Encoding::Windows1252 => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Counts the lines of the bytes the CSV parser reads, so that each record gets the line where it
/// starts. (The `csv` crate's own line numbers lag by one after a CRLF terminator, and Brazilian
/// spreadsheet exports use CRLF.)
struct LineCounter<R> {
    inner: R,
    offset: u64,
    newlines: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.newlines.borrow_mut();
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            q.push_back(self.offset + i as u64);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Reads a CSV table from `file`, whose first bytes are `sample` (at most [`SAMPLE_LEN`]); `buffer` is
/// the parser's read buffer. `name` is the file in messages.
fn read_csv<R: Read>(
    name: &str,
    sample: &[u8],
    mut file: R,
    buffer: usize,
    on_header: &mut HeaderFn<'_>,
    on_record: &mut RecordFn<'_>,
) -> Result<(), ImportError> {
    let io = |e| ImportError::Io(name.to_string(), e);
    let bom = sample.starts_with(&[0xEF, 0xBB, 0xBF]);
    let (delimiter, encoding) = sniff(if bom { &sample[3..] } else { sample });
    let format = Format {
        container: "csv",
        delimiter,
        encoding,
    };
    if bom {
        let mut skip = [0u8; 3];
        file.read_exact(&mut skip).map_err(io)?;
    }
    let newlines = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
    let reader = LineCounter {
        inner: file,
        offset: 0,
        newlines: std::rc::Rc::clone(&newlines),
    };
    let mut lines_before = 0u64;
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(buffer)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let mut header_seen = false;
    let bom_len = if bom { 3 } else { 0 };
    loop {
        match csv.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(ImportError::Unreadable {
                    file: name.to_string(),
                    line,
                    detail: e.to_string(),
                });
            }
        }
        let start = rec.position().map(|p| p.byte()).unwrap_or(0);
        {
            let mut q = newlines.borrow_mut();
            // After a CRLF the parser reports the record as starting on the `\n`: count it as before.
            while q.front().is_some_and(|&nl| nl <= start) {
                q.pop_front();
                lines_before += 1;
            }
        }
        let line = lines_before + 1;
        let fields: Vec<String> = rec.iter().map(|f| decode(f, encoding)).collect();
        if !header_seen {
            header_seen = true;
            on_header(&format, fields)?;
            continue;
        }
        // Skip wholly blank lines (a trailing newline, a spreadsheet's empty rows).
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        on_record(RawRecord {
            line,
            fields,
            offset: csv.position().byte() + bom_len,
        })?;
    }
    if !header_seen {
        return Err(ImportError::NoHeader(name.to_string()));
    }
    Ok(())
}

fn cell_text(c: &DataRef<'_>) -> String {
    match c {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => {
                d.date().format("%Y-%m-%d").to_string()
            }
            Some(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

/// Reads the first sheet of a workbook just opened (or not); `name` is the file in messages.
fn read_xlsx<RS: Read + Seek>(
    name: &str,
    opened: Result<Xlsx<RS>, XlsxError>,
    on_header: &mut HeaderFn<'_>,
    on_record: &mut RecordFn<'_>,
) -> Result<(), ImportError> {
    let unreadable = |detail: String| ImportError::Unreadable {
        file: name.to_string(),
        line: 0,
        detail,
    };
    let mut wb = opened.map_err(|e| unreadable(format!("{e}")))?;
    let sheet = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("a planilha não tem nenhuma aba".into()))?;
    let format = Format {
        container: "xlsx",
        delimiter: b',',
        encoding: Encoding::Utf8,
    };
    let mut cells = wb
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable(format!("{e}")))?;
    let mut header: Option<usize> = None;
    let mut row: Vec<String> = Vec::new();
    let mut row_no: Option<u32> = None;
    let mut flush = |row_no: u32,
                     row: &mut Vec<String>,
                     header: &mut Option<usize>|
     -> Result<(), ImportError> {
        let mut fields = std::mem::take(row);
        // A sheet stores no trailing empty cells: pad to the header's width, and drop empty cells
        // beyond it (only a filled cell outside the header is an extra field).
        if let Some(width) = *header {
            if fields.len() < width {
                fields.resize(width, String::new());
            } else if fields[width..].iter().all(|f| f.trim().is_empty()) {
                fields.truncate(width);
            }
        }
        match header {
            None => {
                *header = Some(fields.len());
                on_header(&format, fields)
            }
            Some(_) if fields.iter().all(|f| f.trim().is_empty()) => Ok(()),
            Some(_) => on_record(RawRecord {
                line: u64::from(row_no) + 1,
                fields,
                offset: 0,
            }),
        }
    };
    loop {
        let cell = cells.next_cell().map_err(|e| unreadable(format!("{e}")))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        if row_no != Some(r) {
            if let Some(prev) = row_no {
                flush(prev, &mut row, &mut header)?;
            }
            row_no = Some(r);
        }
        let c = c as usize;
        if c >= 16_384 {
            continue;
        }
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = cell_text(cell.get_value());
    }
    if let Some(prev) = row_no {
        flush(prev, &mut row, &mut header)?;
    }
    if header.is_none() {
        return Err(ImportError::NoHeader(name.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_read_without_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reds.csv");
        std::fs::write(&path, "NUM_REDS;DATA_FATO\n1;05/01/2022\n\"broken\n").unwrap();
        assert_eq!(read_header(&path).unwrap(), ["NUM_REDS", "DATA_FATO"]);
        std::fs::write(&path, "").unwrap();
        assert!(matches!(read_header(&path), Err(ImportError::NoHeader(_))));
    }

    #[test]
    fn sniffs_delimiter_and_encoding() {
        assert_eq!(sniff(b"id;crime;lat\n1;x;-16,5\n"), (b';', Encoding::Utf8));
        assert_eq!(sniff(b"id,crime,lat\n1,x,-16.5\n"), (b',', Encoding::Utf8));
        assert_eq!(
            sniff(b"id;bairro\n1;S\xe3o Jos\xe9\n"),
            (b';', Encoding::Windows1252)
        );
        // A sample cut in the middle of "ã" is still UTF-8.
        assert_eq!(sniff(b"id,bairro\n1,S\xc3"), (b',', Encoding::Utf8));
        // Quoted delimiters in the header do not count.
        assert_eq!(sniff(b"\"a;b;c\",d,e\n"), (b',', Encoding::Utf8));
    }

    /// Everything a read reports, in order: the header, then each record, then the outcome.
    fn transcript(
        read: impl FnOnce(&mut HeaderFn<'_>, &mut RecordFn<'_>) -> Result<(), ImportError>,
    ) -> Vec<String> {
        let out = std::cell::RefCell::new(Vec::new());
        let result = read(
            &mut |format, header| {
                out.borrow_mut().push(format!("{format:?} {header:?}"));
                Ok(())
            },
            &mut |rec| {
                out.borrow_mut().push(format!("{rec:?}"));
                Ok(())
            },
        );
        let mut out = out.into_inner();
        out.push(format!("{result:?}"));
        out
    }

    #[test]
    fn bytes_read_as_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let name = path.display().to_string();
        let mut xlsx = rust_xlsxwriter::Workbook::new();
        let ws = xlsx.add_worksheet();
        ws.write_string(0, 0, "id").unwrap();
        ws.write_string(0, 2, "lat").unwrap();
        ws.write_string(2, 0, "A-1").unwrap();
        ws.write_number(2, 2, -16.5).unwrap();
        let xlsx = xlsx.save_to_buffer().unwrap();
        let mut broken_zip = xlsx.clone();
        broken_zip.truncate(200);
        let inputs: Vec<Vec<u8>> = vec![
            b"id;crime;lat\r\n1;x;-16,5\r\n\r\n2;\"a\r\nb\";3\r\n".to_vec(),
            b"\xef\xbb\xbfid,bairro\n1,S\xe3o Jos\xe9\n2\n".to_vec(),
            b"a,b\n\"x\"y,\"".to_vec(),
            b"".to_vec(),
            b"PK\x03".to_vec(),
            xlsx,
            broken_zip,
        ];
        for bytes in inputs {
            std::fs::write(&path, &bytes).unwrap();
            let from_file = transcript(|h, r| read_table(&path, h, r));
            let from_bytes = transcript(|h, r| read_table_bytes(&bytes, &name, h, r));
            assert_eq!(from_file, from_bytes, "{bytes:?}");
        }
    }

    #[test]
    fn decodes_latin1_fields() {
        assert_eq!(decode(b"S\xe3o Jos\xe9", Encoding::Windows1252), "São José");
        assert_eq!(decode("São".as_bytes(), Encoding::Utf8), "São");
        assert_eq!(decode(b"S\xe3o", Encoding::Utf8), "São");
    }
}
