//! What happens in the data set: the crime map, three years of occurrences with a reclassifying
//! re-export, the IPEI month's seizures and laudos, and the program configuration.

use crate::*;
use atalaia_core::{Month, Quarter};
use atalaia_ingest::Kind;
use chrono::{Datelike, Days, NaiveDateTime, NaiveTime};
use rand::Rng;
use std::fmt::Write as _;

/// Crime map.
pub(crate) async fn crime_map(d: &mut Demo<'_>) -> Result<(), DemoError> {
    let db = d.db;
    let today = d.today;
    let files = &d.files;
    let report = &mut d.report;
    let mut map = String::from("source_code,crime\n");
    for (s, c) in SOURCE_CODES {
        let _ = writeln!(map, "{s},{c}");
    }
    import(
        db,
        Kind::CrimeMap,
        &files.write("mapa_crimes.csv", &map)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    Ok(())
}

/// Three years of occurrences (monthly Poisson counts × seasonality × trend, 40 % around hot spots),
/// then a later re-export that quietly downgrades some of AISP3's vehicle robberies to street theft.
pub(crate) async fn occurrences(d: &mut Demo<'_>, areas: Vec<Area>) -> Result<(), DemoError> {
    let db = d.db;
    let today = d.today;
    let first_day = d.first_day;
    let scale = d.scale;
    let files = &d.files;
    let rng = &mut d.rng;
    let report = &mut d.report;
    let pops = populations();
    let pop_of = |code: &str, year: i32| population_of(&pops, code, year);
    let last_quarter = Quarter::of(today)
        .ok()
        .and_then(|q| q.previous())
        .ok_or_else(|| DemoError::Embedded(format!("data fora do intervalo aceito: {today}")))?;
    // 6. Occurrences: monthly Poisson counts × seasonality × trend; 40 % around hot spots.
    let mut areas = areas;
    for a in &mut areas {
        let k = if a.share < 1.0 { 2 } else { 3 };
        a.hot_spots = (0..k).map(|_| point_in(rng, &a.prepared)).collect();
        report
            .hot_spots
            .extend(a.hot_spots.iter().map(|&(x, y)| (a.code.clone(), x, y)));
    }
    let mut occ = String::from("id,occurred_at,crime,lat,lon,territory_code,victims,unit_code\n");
    let mut month = Month::of(first_day)
        .map_err(|e| DemoError::Embedded(format!("data fora do intervalo aceito: {e}")))?;
    let last_month = Month::of(today).unwrap_or(month);
    let mut seq = 0u64;
    let mut reclass = Vec::new();
    loop {
        let years_from_start = (month.first_day() - first_day).num_days() as f64 / 365.25;
        let season =
            1.0 + 0.12 * (2.0 * std::f64::consts::PI * (month.month() as f64 - 12.0) / 12.0).cos();
        let days_in = if month == last_month {
            today.day()
        } else {
            month.days()
        };
        for a in &areas {
            let pop = pop_of(a.municipality, month.year()) * a.share;
            let factor =
                season * a.trend.powf(years_from_start) * days_in as f64 / month.days() as f64;
            for (crime, rate) in RATES {
                let n = poisson(rng, rate * pop / 100_000.0 * factor * 0.6 * scale);
                for _ in 0..n {
                    seq += 1;
                    let day = month.first_day() + Days::new(rng.random_range(0..days_in) as u64);
                    let hour = [0, 1, 2, 7, 9, 12, 14, 17, 18, 19, 20, 21, 22, 23]
                        [rng.random_range(0..14)];
                    let at = NaiveDateTime::new(
                        day,
                        NaiveTime::from_hms_opt(hour, rng.random_range(0..60), 0)
                            .unwrap_or(NaiveTime::MIN),
                    );
                    let id = format!("DEMO-{}-{seq:07}", day.year());
                    let victims = if crime == "homicidio_doloso" && rng.random::<f64>() < 0.1 {
                        2
                    } else {
                        1
                    };
                    let code = if rng.random::<f64>() < 0.05 {
                        SOURCE_CODES
                            .iter()
                            .find(|(_, c)| *c == crime)
                            .map(|(s, _)| *s)
                            .unwrap_or(crime)
                    } else {
                        crime
                    };
                    if rng.random::<f64>() < 0.08 {
                        // No coordinates: the BO only names the area.
                        let _ = writeln!(
                            occ,
                            "{id},{},{code},,,{},{victims},",
                            at.format("%Y-%m-%dT%H:%M:%S"),
                            a.code
                        );
                        continue;
                    }
                    let (lon, lat) = if rng.random::<f64>() < 0.4 {
                        let (hx, hy) = a.hot_spots[rng.random_range(0..a.hot_spots.len())];
                        // ~400 m around the hot spot; fall back inside the area if it drifts out.
                        let (x, y) = (hx + normal(rng) * 0.004, hy + normal(rng) * 0.004);
                        if a.prepared.contains(x, y) {
                            (x, y)
                        } else {
                            point_in(rng, &a.prepared)
                        }
                    } else {
                        point_in(rng, &a.prepared)
                    };
                    let _ = writeln!(
                        occ,
                        "{id},{},{code},{lat:.6},{lon:.6},,{victims},",
                        at.format("%Y-%m-%dT%H:%M:%S")
                    );
                    if a.code == "AISP3"
                        && crime == "roubo_veiculo"
                        && last_quarter.contains(day)
                        && reclass.len() < 25
                    {
                        reclass.push(format!(
                            "{id},{},furto_transeunte,{lat:.6},{lon:.6},,{victims},",
                            at.format("%Y-%m-%dT%H:%M:%S")
                        ));
                    }
                }
            }
        }
        if month >= last_month {
            break;
        }
        match month.succ() {
            Some(m) => month = m,
            None => break,
        }
    }
    // A handful of occurrences just outside Goiás' areas (kept, listed as unassigned).
    for i in 0..12 {
        let _ = writeln!(
            occ,
            "DEMO-FORA-{i:03},{}T10:00:00,roubo_transeunte,{:.6},{:.6},,1,",
            today - Days::new(i * 17 + 3),
            -12.9 - i as f64 * 0.01,
            -38.5
        );
    }
    import(
        db,
        Kind::Occurrences,
        &files.write("ocorrencias.csv", &occ)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    // 7. A later re-export that quietly downgrades some vehicle robberies of AISP3 to street theft:
    //    the store keeps every such reclassification visible.
    let mut re = String::from("id,occurred_at,crime,lat,lon,territory_code,victims,unit_code\n");
    for l in &reclass {
        re.push_str(l);
        re.push('\n');
    }
    import(
        db,
        Kind::Occurrences,
        &files.write("ocorrencias_reexportadas.csv", &re)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    Ok(())
}

/// IPEI: firearm seizures of the month whose cycle runs now (the month before today's), as the units'
/// spreadsheets would bring them — without BO copies, which the unit heads attach in the application —
/// and two SPTC laudos. One seizure was not in flagrante, one has no serial (its item tells it apart),
/// one repeats another's serial (DUPLICATE), one names a prison officer and a PM.
pub(crate) async fn seizures(d: &mut Demo<'_>, regs_of: &Registrations) -> Result<(), DemoError> {
    let db = d.db;
    let today = d.today;
    let files = &d.files;
    let report = &mut d.report;
    if let Some(month) = atalaia_core::Month::of(today).ok().and_then(|m| m.pred()) {
        let reg = |unit: &str, i: usize| {
            regs_of
                .get(unit)
                .and_then(|v| v.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let day = |d: u32| month.first_day() + Days::new(u64::from(d.min(month.days()) - 1));
        let rows = [
            (
                "PM-1BPM",
                "DEMO-IPEI-001",
                3,
                "sim",
                vec![reg("PM-1BPM", 0), reg("PM-1BPM", 1)],
                "TX1001",
                "",
                "pistola",
                ".40",
                "Taurus",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-002",
                7,
                "sim",
                vec![reg("PM-1BPM", 0)],
                "TX1002",
                "",
                "revólver",
                ".38",
                "Rossi",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-003",
                12,
                "nao",
                vec![reg("PM-1BPM", 2)],
                "TX1003",
                "",
                "pistola",
                "9mm",
                "Glock",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-004",
                15,
                "sim",
                vec![reg("PM-1BPM", 0), reg("PM-1BPM", 3)],
                "",
                "1",
                "espingarda",
                "12",
                "",
            ),
            (
                "PM-7BPM",
                "DEMO-IPEI-101",
                5,
                "sim",
                vec![reg("PM-7BPM", 0)],
                "TX2001",
                "",
                "pistola",
                ".380",
                "Imbel",
            ),
            (
                "PM-7BPM",
                "DEMO-IPEI-102",
                20,
                "sim",
                vec![reg("PM-7BPM", 1)],
                "TX1001",
                "",
                "pistola",
                ".40",
                "Taurus",
            ),
            (
                "PC-1DRP",
                "DEMO-IPEI-201",
                9,
                "sim",
                vec![reg("PC-1DRP", 0), reg("PP-POG", 0)],
                "TX3001",
                "",
                "submetralhadora",
                "9mm",
                "Taurus",
            ),
        ];
        let mut sz = String::from(
            "bo_number,seized_on,unit_code,registrations,flagrante,serial,item,weapon_kind,caliber,brand\n",
        );
        for (unit, bo, d, fl, regs, serial, item, kind, cal, brand) in rows {
            let _ = writeln!(
                sz,
                "{bo},{},{unit},{},{fl},{serial},{item},{kind},{cal},{brand}",
                day(d),
                regs.join(";")
            );
        }
        import(
            db,
            Kind::Seizures,
            &files.write("apreensoes.csv", &sz)?,
            Origin::Synthetic,
            today,
            report,
        )
        .await?;
        let mut laudos = String::from("bo_number,serial,expert_registration,signed_on\n");
        for (bo, serial, d) in [
            ("DEMO-IPEI-001", "TX1001", 6),
            ("DEMO-IPEI-201", "TX3001", 14),
        ] {
            let signed = day(d).min(today);
            let _ = writeln!(laudos, "{bo},{serial},{},{signed}", reg("SPTC-IC", 0));
        }
        import(
            db,
            Kind::ForensicReports,
            &files.write("laudos.csv", &laudos)?,
            Origin::Synthetic,
            today,
            report,
        )
        .await?;
    }
    Ok(())
}

/// A program configuration: the decree's rules with illustrative amounts (the decree leaves them to the
/// committee), in force from the first day of the demo's data.
pub(crate) async fn program_config(d: &mut Demo<'_>) -> Result<(), DemoError> {
    let db = d.db;
    let today = d.today;
    let first_day = d.first_day;
    let mut doc = atalaia_core::program::ProgramDocument::decree_default();
    doc.payment =
        std::collections::BTreeMap::from([("RECAP1".into(), 1500.0), ("RECAP2".into(), 750.0)]);
    let text = serde_json::to_string(&doc).map_err(|e| DemoError::Embedded(e.to_string()))?;
    let mut tx = db.begin().await?;
    tx.put_program_config(
        first_day,
        &text,
        "Configuração de demonstração (valores ilustrativos)",
        "demo",
        today.and_time(NaiveTime::MIN),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
