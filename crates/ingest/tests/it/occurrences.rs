//! The occurrences import: good rows stored once with their areas, every bad row rejected with its line
//! and reason, idempotent re-import, the same result from a Latin-1 `;` twin and from XLSX.

use atalaia_store::per_backend;
use std::path::Path;

use atalaia_ingest::Kind;
use atalaia_store::Db;
use atalaia_store::testing::TestDb;
use chrono::NaiveDate;

use crate::{import, rejects, squares_geojson};

const HEADER: [&str; 9] = [
    "id",
    "occurred_at",
    "crime",
    "lat",
    "lon",
    "territory_code",
    "victims",
    "unit_code",
    "bairro",
];

/// (line, fields, expected reason fragments — empty for a good row).
fn rows() -> Vec<(u64, Vec<&'static str>, &'static [&'static str])> {
    vec![
        (
            2,
            vec![
                "BO-1",
                "2024-03-01T10:00:00",
                "roubo_veiculo",
                "-16.65",
                "-49.25",
                "",
                "",
                "PM-1BPM",
                "Setor Bueno",
            ],
            &[],
        ),
        (
            3,
            vec![
                "BO-2",
                "2024-03-01T22:30:00",
                "furto_veiculo",
                "-16.75",
                "-49.35",
                "",
                "1",
                "",
                "Vila São José",
            ],
            &[],
        ),
        (
            4,
            vec![
                "BO-3",
                "2024-03-02T08:00:00",
                "homicidio_doloso",
                "-12.97",
                "-38.5",
                "",
                "2",
                "",
                "Jardim América",
            ],
            &[],
        ),
        (
            5,
            vec![
                "BO-4",
                "2024-03-03T00:00:00",
                "roubo_veiculo",
                "",
                "",
                "X",
                "",
                "",
                "",
            ],
            &[],
        ),
        (
            6,
            vec![
                "BO-5",
                "2024-03-03T01:00:00",
                "sequestro_de_alien",
                "-16.65",
                "-49.25",
                "",
                "",
                "",
                "",
            ],
            &["`crime`", "sequestro_de_alien", "catálogo"],
        ),
        (
            7,
            vec![
                "BO-6",
                "2023-02-30T10:00:00",
                "furto_veiculo",
                "-16.65",
                "-49.25",
                "",
                "",
                "",
                "",
            ],
            &["`occurred_at`"],
        ),
        (
            8,
            vec![
                "BO-7",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "-95.1",
                "-49.25",
                "",
                "",
                "",
                "",
            ],
            &["`lat`", "-95"],
        ),
        (
            9,
            vec![
                "BO-8",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "-16.65",
                "",
                "",
                "",
                "",
                "",
            ],
            &["`lon`"],
        ),
        (
            10,
            vec![
                "BO-9",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            &["`territory_code`"],
        ),
        (
            11,
            vec![
                "BO-10",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "-16.65",
                "-49.25",
                "",
                "0",
                "",
                "",
            ],
            &["`victims`", "`0`"],
        ),
        (
            12,
            vec![
                "BO-11",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "-16.65",
                "-49.25",
                "",
                "",
                "",
                "",
                "sobra",
            ],
            &["10 campos", "esperado 9"],
        ),
        (
            13,
            vec![
                "BO-12",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "-16.6x",
                "-49.25",
                "X",
                "",
                "",
                "",
            ],
            &["`lat`", "-16"],
        ),
        (
            14,
            vec![
                "BO-1",
                "2024-03-01T10:00:00",
                "roubo_veiculo",
                "-16.65",
                "-49.25",
                "",
                "",
                "PM-1BPM",
                "Setor Bueno",
            ],
            &["repetido", "linha 2"],
        ),
        (
            15,
            vec![
                "BO-13",
                "2024-03-05T10:00:00",
                "furto_veiculo",
                "",
                "",
                "NAOEXISTE",
                "",
                "",
                "",
            ],
            &["`territory_code`", "NAOEXISTE", "desconhecido"],
        ),
        (
            16,
            vec![
                "BO-14",
                "2024-03-04T12:00:00",
                "C01157V",
                "-16.61",
                "-49.21",
                "",
                "",
                "",
                "",
            ],
            &[],
        ),
        (
            17,
            vec![
                "BO-15",
                "2025-07-15T12:00:00",
                "furto_veiculo",
                "-16.65",
                "-49.25",
                "",
                "",
                "",
                "",
            ],
            &["futuro"],
        ),
        (
            // Every fault of a row is reported, not only the first.
            18,
            vec![
                "BO-16",
                "2024-13-45T10:00:00",
                "crime_inexistente",
                "",
                "",
                "",
                "0",
                "",
                "",
            ],
            &[
                "`occurred_at`",
                "`crime_inexistente`",
                "`victims`",
                "informe as coordenadas ou o território",
            ],
        ),
    ]
}

fn write_utf8(path: &Path) {
    let mut s = HEADER.join(",");
    s.push('\n');
    for (_, f, _) in rows() {
        s.push_str(&f.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// The same rows as a Brazilian spreadsheet exports them: Windows-1252, `;`, CRLF, decimal commas,
/// DD/MM/YYYY dates.
fn write_latin1(path: &Path) {
    write_latin1_with(path, &HEADER);
}

/// The header a records system's export might carry, in Portuguese and in its own case and accents.
const HEADER_PT: [&str; 9] = [
    "BO",
    "Data e hora",
    "Natureza",
    "Latitude",
    "Longitude",
    "Município",
    "Vítimas",
    "Unidade",
    "bairro",
];

/// `header`'s rows as a spreadsheet exports them; with the Portuguese header, the crimes of the
/// catalog are named as people type them ("Roubo a transeunte", "ROUBO DE VEÍCULO"), not coded.
fn write_latin1_with(path: &Path, header: &[&str]) {
    let named = header == HEADER_PT;
    let to_br = |v: &str| -> String {
        if v.len() == 19 && v.as_bytes()[10] == b'T' {
            format!("{}/{}/{} {}", &v[8..10], &v[5..7], &v[0..4], &v[11..])
        } else {
            v.to_string()
        }
    };
    let mut s = header.join(";");
    s.push_str("\r\n");
    for (_, f, _) in rows() {
        let fields: Vec<String> = f
            .iter()
            .enumerate()
            .map(|(i, v)| match i {
                1 => to_br(v),
                2 if named => match v
                    .parse::<atalaia_core::CrimeCode>()
                    .ok()
                    .and_then(|c| atalaia_core::crime::catalog_entry(&c))
                {
                    Some(e) if v.len() % 2 == 0 => e.name_pt().to_uppercase(),
                    Some(e) => e.name_pt().to_string(),
                    None => v.to_string(),
                },
                3 | 4 => v.replace('.', ","),
                _ => v.to_string(),
            })
            .collect();
        s.push_str(&fields.join(";"));
        s.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&s);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the twin must really be Latin-1"
    );
    std::fs::write(path, bytes).unwrap();
}

fn write_xlsx(path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (_, f, _)) in rows().into_iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in f.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            // Valid coordinates as numbers, as a spreadsheet holds them.
            match (c, v.parse::<f64>()) {
                (3 | 4, Ok(x)) => ws.write_number(r, c as u16, x).unwrap(),
                _ => ws.write_string(r, c as u16, *v).unwrap(),
            };
        }
    }
    wb.save(path).unwrap();
}

async fn setup(db: &Db, dir: &Path) {
    let t = dir.join("territorios.geojson");
    std::fs::write(&t, squares_geojson()).unwrap();
    let s = import(db, Kind::Territories, &t).await;
    assert_eq!((s.inserted, s.rejected), (3, 0));
    let m = dir.join("mapa.csv");
    std::fs::write(&m, "source_code,crime\nC01157V,roubo_veiculo\n").unwrap();
    assert_eq!(import(db, Kind::CrimeMap, &m).await.inserted, 1);
}

/// The whole-file error of an occurrences import that must fail, as users read it.
async fn import_error(db: &Db, path: &Path) -> String {
    atalaia_ingest::import_file(
        db,
        Kind::Occurrences,
        path,
        &crate::opts(None),
        std::sync::Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .unwrap_err()
    .to_string()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, day).unwrap()
}

/// Imports `file` (whose header is `names`, in [`HEADER`]'s order) and checks the counts, the rejected
/// lines and their reasons, which name each column as the file does.
async fn check_first_import(db: &Db, file: &Path, label: &str, names: &[&str]) {
    let as_named = |f: &str| -> String {
        HEADER
            .iter()
            .position(|h| format!("`{h}`") == f)
            .map_or_else(|| f.to_string(), |i| format!("`{}`", names[i]))
    };
    let s = import(db, Kind::Occurrences, file).await;
    assert_eq!(
        (
            s.read,
            s.inserted,
            s.updated,
            s.unchanged,
            s.rejected,
            s.unassigned
        ),
        (17, 5, 0, 0, 12, Some(1)),
        "{label}: {s:?}"
    );
    let got = rejects(&s.rejects_file);
    let expected: Vec<_> = rows()
        .into_iter()
        .filter(|(_, _, r)| !r.is_empty())
        .collect();
    assert_eq!(
        got.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        expected.iter().map(|(l, _, _)| *l).collect::<Vec<_>>(),
        "{label}: rejected lines"
    );
    for ((line, reason), (_, _, fragments)) in got.iter().zip(&expected) {
        for f in fragments.iter().map(|f| as_named(f)) {
            assert!(
                reason.contains(&f),
                "{label}: line {line}: {reason:?} should mention {f:?}"
            );
        }
    }
    let cells: Vec<_> = db
        .daily_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.territory_code, c.crime, c.day, c.occurrences, c.victims))
        .collect();
    let c = |t: &str, cr: &str, day| (t.to_string(), cr.to_string(), day, 1, 1);
    assert_eq!(
        cells,
        vec![
            c("M", "furto_veiculo", d(3, 1)),
            c("M", "roubo_veiculo", d(3, 1)),
            // BO-4 names X without coordinates: it is in X's municipality M as well.
            c("M", "roubo_veiculo", d(3, 3)),
            c("M", "roubo_veiculo", d(3, 4)),
            c("X", "roubo_veiculo", d(3, 1)),
            c("X", "roubo_veiculo", d(3, 3)),
            c("X", "roubo_veiculo", d(3, 4)),
        ],
        "{label}: aggregate"
    );
}

per_backend! {
    async fn occurrences_csv_with_bad_rows_then_reimport_then_reclassification(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("ocorrencias.csv");
        write_utf8(&file);
        check_first_import(&t.db, &file, t.label, &HEADER).await;

        // Again: nothing changes, the same rows are rejected.
        let s = import(&t.db, Kind::Occurrences, &file).await;
        assert_eq!(
            (
                s.read,
                s.inserted,
                s.updated,
                s.unchanged,
                s.rejected,
                s.unassigned
            ),
            (17, 0, 0, 5, 12, Some(1))
        );
        assert!(
            rejects(&s.rejects_file)
                .iter()
                .any(|(l, r)| *l == 14 && r.contains("linha 2"))
        );

        // A later export downgrades BO-2 (vehicle theft → street theft): counted as an update, logged.
        let text = std::fs::read_to_string(&file).unwrap().replace(
            "BO-2,2024-03-01T22:30:00,furto_veiculo",
            "BO-2,2024-03-01T22:30:00,furto_transeunte",
        );
        std::fs::write(&file, text).unwrap();
        let s = import(&t.db, Kind::Occurrences, &file).await;
        assert_eq!(
            (s.inserted, s.updated, s.unchanged, s.rejected),
            (0, 1, 4, 12)
        );
        let changes = t.db.occurrence_changes(Some("BO-2"), 10).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].old_crime.as_str(), changes[0].new_crime.as_str()),
            ("furto_veiculo", "furto_transeunte")
        );
        assert_eq!(changes[0].import_id, s.import_id);
        let recomputed: Vec<_> = t.db.daily_counts_recomputed().await.unwrap();
        assert_eq!(t.db.daily_counts().await.unwrap(), recomputed);
        println!("backend {}: occurrences import (UTF-8) ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// The Latin-1, semicolon-separated twin of the UTF-8 file imports to the same result.
    async fn a_latin1_semicolon_twin_gives_the_same_result(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("ocorrencias_latin1.csv");
        write_latin1(&file);
        check_first_import(&t.db, &file, "latin-1", &HEADER).await;
        println!("backend {}: Latin-1 twin ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// The Latin-1 twin with the Portuguese header of a spreadsheet (`BO`, `Data e hora`, `Natureza`,
    /// `Latitude`…) imports to the same result: the names are matched to the columns they stand for.
    async fn a_portuguese_headed_twin_gives_the_same_result(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("ocorrencias_pt.csv");
        write_latin1_with(&file, &HEADER_PT);
        check_first_import(&t.db, &file, "cabeçalho em português", &HEADER_PT).await;
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// The same rows as an XLSX workbook import to the same result.
    async fn an_xlsx_twin_gives_the_same_result(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("ocorrencias.xlsx");
        write_xlsx(&file);
        check_first_import(&t.db, &file, "xlsx", &HEADER).await;
        println!("backend {}: XLSX ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    async fn a_file_that_cannot_be_read_changes_nothing(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let before = t.db.recent_imports(100).await.unwrap().len();
        let file = dir.path().join("sem_crime.csv");
        std::fs::write(
            &file,
            "id,occurred_at,lat,lon\nBO-1,2024-03-01,-16.65,-49.25\n",
        )
        .unwrap();
        let err = import_error(&t.db, &file).await;
        assert!(
            err.contains("sem_crime.csv") && err.contains("linha 1") && err.contains("crime"),
            "{err}"
        );
        assert_eq!(
            t.db.recent_imports(100).await.unwrap().len(),
            before,
            "no import recorded"
        );
        assert!(t.db.daily_counts().await.unwrap().is_empty());
        let missing = dir.path().join("nao_existe.csv");
        let err = import_error(&t.db, &missing).await;
        assert!(err.contains("nao_existe.csv"), "{err}");
        println!("backend {}: unreadable files change nothing ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// A redraw of an area moves the counts of the occurrences it now holds (territories import).
    async fn a_territory_redraw_moves_counts(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("ocorrencias.csv");
        write_utf8(&file);
        import(&t.db, Kind::Occurrences, &file).await;
        // From 2024-03-02 X covers the south-west quarter of M instead: BO-2 (-16.75, -49.35) on
        // 2024-03-01 stays out (the old version applies on its date); BO-14 (-16.61, -49.21) on
        // 2024-03-04 leaves X.
        let redraw = dir.path().join("redesenho.geojson");
        std::fs::write(
            &redraw,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X","name":"AISP X","kind":"aisp","parent":"M","valid_from":"2024-03-02"},"geometry":{"type":"Polygon","coordinates":[[[-49.4,-16.8],[-49.3,-16.8],[-49.3,-16.7],[-49.4,-16.7],[-49.4,-16.8]]]}}]}"#,
        )
        .unwrap();
        let s = import(&t.db, Kind::Territories, &redraw).await;
        assert_eq!((s.inserted, s.reassigned), (1, Some(1)));
        let x: i64 =
            t.db.daily_counts()
                .await
                .unwrap()
                .iter()
                .filter(|c| c.territory_code == "X")
                .map(|c| c.occurrences)
                .sum();
        // X keeps BO-1 (before the redraw, old polygon) and BO-4 (given by territory code).
        assert_eq!(x, 2);
        assert_eq!(
            t.db.daily_counts().await.unwrap(),
            t.db.daily_counts_recomputed().await.unwrap()
        );
        println!("backend {}: territory redraw ok", t.label);
        t.cleanup().await.unwrap();
    }
}

/// A rejects file echoes the imported cells to whoever opens it in a spreadsheet: a text that starts like
/// a formula is written with a leading `'` (CSV injection), numbers stay numbers (issue 17).
#[tokio::test]
async fn rejects_files_do_not_carry_formulas() {
    let t = TestDb::sqlite().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup(&t.db, dir.path()).await;
    let file = dir.path().join("ocorrencias.csv");
    let mut text = HEADER.join(",");
    text.push_str("\n=HYPERLINK(\"http://evil.example\"),2024-03-01T10:00:00,@SUM(1+1),-16.65,-49.25,,,PM-1BPM,-2+3+cmd\n");
    std::fs::write(&file, text).unwrap();
    let s = import(&t.db, Kind::Occurrences, &file).await;
    assert_eq!((s.read, s.rejected), (1, 1), "{s:?}");
    let written = std::fs::read_to_string(&s.rejects_file).unwrap();
    let row = written.lines().nth(1).unwrap();
    assert!(row.starts_with("2,"), "{row}");
    assert!(
        row.ends_with(",\"'=HYPERLINK(\"\"http://evil.example\"\")\",2024-03-01T10:00:00,'@SUM(1+1),-16.65,-49.25,,,PM-1BPM,'-2+3+cmd"),
        "{row}"
    );
    t.cleanup().await.unwrap();
}

/// Reports rows as batches go, and cancels after `after` batches.
#[derive(Default)]
struct Watch {
    after: usize,
    asked: std::sync::atomic::AtomicUsize,
    rows: std::sync::Mutex<Vec<(u64, u64, u64)>>,
}

impl atalaia_ingest::Progress for Watch {
    fn start(&self, _: u64) {}
    fn position(&self, _: u64) {}
    fn finish(&self) {}
    fn rows(&self, read: u64, written: u64, rejected: u64) {
        self.rows.lock().unwrap().push((read, written, rejected));
    }
    fn cancelled(&self) -> bool {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.after
    }
}

/// 20,000 rows, every tenth without a date: two batches of the loader (16,384 and 3,616).
fn twenty_thousand(path: &Path) {
    let mut text = String::from("id,occurred_at,crime,lat,lon\n");
    for i in 0..20_000 {
        let date = if i % 10 == 9 { "" } else { "2024-03-01" };
        text.push_str(&format!("BO-{i},{date},roubo_veiculo,-16.65,-49.25\n"));
    }
    std::fs::write(path, text).unwrap();
}

per_backend! {
    /// A cancelled import rolls back whole: neither its rows nor its import record stay.
    async fn a_cancelled_import_keeps_nothing_and_the_rows_are_reported_by_batch(t) {
        let dir = tempfile::tempdir().unwrap();
        setup(&t.db, dir.path()).await;
        let file = dir.path().join("vinte_mil.csv");
        twenty_thousand(&file);
        let before = t.db.recent_imports(100).await.unwrap().len();
        let watch = std::sync::Arc::new(Watch { after: 1, ..Watch::default() });
        let err = atalaia_ingest::import_file(
            &t.db,
            Kind::Occurrences,
            &file,
            &crate::opts(None),
            watch.clone(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, atalaia_ingest::ImportError::Cancelled), "{err}");
        assert_eq!(err.to_string(), "importação cancelada: nada foi gravado");
        // The first batch went through before the cancel was seen: 16,384 rows, every tenth rejected.
        assert_eq!(*watch.rows.lock().unwrap(), [(16_384, 14_746, 1_638)]);
        assert_eq!(t.db.recent_imports(100).await.unwrap().len(), before);
        assert!(t.db.daily_counts().await.unwrap().is_empty());

        // Not cancelled: both batches reported, the last with the whole file's counts.
        let watch = std::sync::Arc::new(Watch { after: usize::MAX, ..Watch::default() });
        let s = atalaia_ingest::import_file(
            &t.db,
            Kind::Occurrences,
            &file,
            &crate::opts(None),
            watch.clone(),
        )
        .await
        .unwrap();
        assert_eq!((s.read, s.inserted, s.rejected), (20_000, 18_000, 2_000));
        assert_eq!(
            *watch.rows.lock().unwrap(),
            [(16_384, 14_746, 1_638), (20_000, 18_000, 2_000)]
        );
        println!("backend {}: cancelled import ok", t.label);
        t.cleanup().await.unwrap();
    }
}
