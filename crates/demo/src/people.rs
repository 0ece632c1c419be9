//! The people of the data set: units with their circunscrições (Art. 7), operators with assignments,
//! loans and absences (Art. 9), all synthetic.

use crate::*;
use atalaia_core::{Cpf, Quarter};
use atalaia_ingest::Kind;
use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use std::fmt::Write as _;

/// A unit: code, name, institution and the areas of its circunscrição.
pub(crate) type UnitSpec = (&'static str, &'static str, &'static str, Vec<&'static str>);

/// The registrations of each unit's operators, in the order they were made.
pub(crate) type Registrations = std::collections::BTreeMap<&'static str, Vec<String>>;

/// Units with their circunscrição (some over several areas, Art. 7).
pub(crate) async fn units(d: &mut Demo<'_>) -> Result<Vec<UnitSpec>, DemoError> {
    let db = d.db;
    let today = d.today;
    let files = &d.files;
    let report = &mut d.report;
    let units: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            "PM-1BPM",
            "1º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP1"],
        ),
        (
            "PM-7BPM",
            "7º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP2"],
        ),
        (
            "PM-9BPM",
            "9º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP3"],
        ),
        (
            "PM-13BPM",
            "13º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP4"],
        ),
        (
            "PM-28BPM",
            "28º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP5"],
        ),
        (
            "PM-37BPM",
            "37º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP6", "AISP7"],
        ),
        (
            "PM-8BPM",
            "8º Batalhão de Polícia Militar (Aparecida)",
            "PM",
            vec!["AIS8"],
        ),
        (
            "PM-4BPM",
            "4º Batalhão de Polícia Militar (Anápolis)",
            "PM",
            vec!["AIS9"],
        ),
        (
            "PC-1DRP",
            "1ª Delegacia Regional de Polícia de Goiânia",
            "PC",
            vec!["AISP1", "AISP2", "AISP3"],
        ),
        (
            "PC-2DRP",
            "2ª Delegacia Regional de Polícia de Goiânia",
            "PC",
            vec!["AISP4", "AISP5", "AISP6", "AISP7"],
        ),
        (
            "PC-DRP-APA",
            "Delegacia Regional de Aparecida de Goiânia",
            "PC",
            vec!["AIS8"],
        ),
        (
            "BM-1BBM",
            "1º Batalhão Bombeiro Militar",
            "BM",
            vec!["AISP1", "AISP2", "AISP3", "AISP4"],
        ),
        (
            "BM-2BBM",
            "2º Batalhão Bombeiro Militar",
            "BM",
            vec!["AISP5", "AISP6", "AISP7"],
        ),
        (
            "SPTC-IC",
            "Instituto de Criminalística Leonardo Rodrigues",
            "SPTC",
            vec![
                "AISP1", "AISP2", "AISP3", "AISP4", "AISP5", "AISP6", "AISP7",
            ],
        ),
        (
            "PP-POG",
            "Penitenciária Odenir Guimarães",
            "PP",
            vec!["AIS8"],
        ),
    ];
    let mut csv = String::from("code,name,institution,territory_codes,valid_from\n");
    for (code, name, inst, t) in &units {
        let _ = writeln!(csv, "{code},{name},{inst},{},2013-04-30", t.join(";"));
    }
    import(
        db,
        Kind::Units,
        &files.write("unidades.csv", &csv)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    Ok(units)
}

/// Operators, assignments, loans and absences (some right at the 60 % line of Art. 9).
pub(crate) async fn operators(
    d: &mut Demo<'_>,
    units: &[UnitSpec],
) -> Result<Registrations, DemoError> {
    let db = d.db;
    let today = d.today;
    let first_day = d.first_day;
    let files = &d.files;
    let rng = &mut d.rng;
    let report = &mut d.report;
    const FIRST: [&str; 20] = [
        "Ana",
        "Bruno",
        "Carla",
        "Diego",
        "Elaine",
        "Fábio",
        "Gabriela",
        "Henrique",
        "Isabela",
        "João",
        "Karina",
        "Lucas",
        "Mariana",
        "Nelson",
        "Otávio",
        "Patrícia",
        "Rafael",
        "Simone",
        "Thiago",
        "Vanessa",
    ];
    const LAST: [&str; 16] = [
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Rodrigues",
        "Ferreira",
        "Alves",
        "Pereira",
        "Lima",
        "Gomes",
        "Costa",
        "Ribeiro",
        "Martins",
        "Carvalho",
        "Almeida",
        "Barbosa",
    ];
    let mut ops = String::from("registration,name,institution,cpf\n");
    let mut asg = String::from("registration,unit_code,from,to,kind\n");
    let mut abs = String::from("registration,from,to,reason\n");
    let start = NaiveDate::from_ymd_opt(today.year() - 4, 1, 1).unwrap_or(first_day);
    let last_quarter = Quarter::of(today)
        .ok()
        .and_then(|q| q.previous())
        .ok_or_else(|| DemoError::Embedded(format!("data fora do intervalo aceito: {today}")))?;
    let mut n = 0u32;
    let mut regs_of: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (code, _, inst, _) in units {
        let size = match *inst {
            "PM" => 24,
            "PC" => 10,
            "BM" => 8,
            "SPTC" => 6,
            _ => 10,
        };
        for _ in 0..size {
            n += 1;
            let reg = format!("{}{:06}", &inst[..1], 100_000 + n * 37);
            let name = format!(
                "{} {} {}",
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())],
                LAST[rng.random_range(0..LAST.len())]
            );
            let nine: String = (0..9)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect();
            let cpf = Cpf::complete(&nine)
                .map(|c| c.digits().to_string())
                .unwrap_or_default();
            let _ = writeln!(ops, "{reg},{name},{inst},{cpf}");
            regs_of.entry(code).or_default().push(reg.clone());
            let _ = writeln!(asg, "{reg},{code},{start},,lotacao");
            // Thirty days of vacation a year.
            for y in (today.year() - 3)..=today.year() {
                let from =
                    NaiveDate::from_ymd_opt(y, rng.random_range(1..=11), rng.random_range(1..=28));
                if let Some(from) = from.filter(|f| *f < today) {
                    let to = from + Days::new(29);
                    let _ = writeln!(abs, "{reg},{from},{to},férias");
                }
            }
            // A few long sick leaves straddling the 60 % line in the last complete quarter.
            if n.is_multiple_of(23) {
                let limit = (last_quarter.days() as f64 * 0.6).ceil() as u64;
                let days = if n.is_multiple_of(46) {
                    limit
                } else {
                    limit - 1
                };
                let from = last_quarter.first_day() + Days::new(3);
                let _ = writeln!(
                    abs,
                    "{reg},{from},{},licença para tratamento de saúde",
                    from + Days::new(days - 1)
                );
            }
            // Some loans (à disposição, Art. 9 §ú) for the last complete quarter.
            if n.is_multiple_of(17) && *code != "PM-1BPM" {
                let _ = writeln!(
                    asg,
                    "{reg},PM-1BPM,{},{},disposicao",
                    last_quarter.first_day(),
                    last_quarter.last_day()
                );
            }
        }
    }
    import(
        db,
        Kind::Operators,
        &files.write("operadores.csv", &ops)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    import(
        db,
        Kind::Assignments,
        &files.write("lotacoes.csv", &asg)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    import(
        db,
        Kind::Absences,
        &files.write("afastamentos.csv", &abs)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    Ok(regs_of)
}
