//! `atalaia hotspots`: Gi* straight from a points file, or the full analysis of an area of the database.

use crate::{OutputFormat, connect};
use clap::Subcommand;
use std::process::ExitCode;
#[derive(Subcommand, Debug)]
pub(crate) enum HotspotsCommand {
    /// Gi* (vizinhança queen, a própria célula incluída) numa grade quadrada, direto de um arquivo de pontos, sem banco.
    Gistar {
        /// Arquivo de pontos (CSV ou XLSX): x, y em metros, ou lon, lat (WGS84); weight opcional.
        #[arg(long)]
        points: std::path::PathBuf,
        /// Lado da célula, em metros.
        #[arg(long)]
        cell: f64,
        /// Correção de Benjamini–Hochberg nas classes (padrão: true).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        fdr: bool,
        /// Onde gravar as linhas rejeitadas (padrão: ARQUIVO.rejects.csv).
        #[arg(long)]
        rejects: Option<std::path::PathBuf>,
    },
    /// Análise completa de uma área do banco (município, AISP, área de intervenção…): Gi* do período com
    /// classes, Gi* mês a mês com a classe emergente, densidade kernel e concentração.
    Area {
        /// Código da área (ex.: 5208707 para Goiânia, AISP1).
        #[arg(long)]
        area: String,
        /// Primeiro mês, AAAA-MM.
        #[arg(long)]
        from: String,
        /// Último mês, AAAA-MM (inclusive).
        #[arg(long)]
        to: String,
        /// Crimes do catálogo, separados por vírgula (padrão: todos).
        #[arg(long)]
        crimes: Option<String>,
        /// Lado da célula em metros (padrão: lado menor da área / 50, em múltiplos de 100 m, mínimo 50 m).
        #[arg(long)]
        cell: Option<f64>,
        /// Hexágonos H3 em vez de quadrados (resolução de área mais próxima da célula).
        #[arg(long)]
        hex: bool,
        /// Vizinhança por distância, em metros (padrão: contiguidade rainha).
        #[arg(long)]
        band: Option<f64>,
        /// Inferência por permutações (ex.: 999) em vez do p analítico.
        #[arg(long)]
        permutations: Option<usize>,
        /// Semente das permutações.
        #[arg(long, default_value_t = 12345)]
        seed: u64,
        /// Correção de Benjamini–Hochberg nas classes (padrão: true).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        fdr: bool,
        /// Raio da densidade kernel, em metros (padrão: regra de Silverman espacial, como no ArcGIS).
        #[arg(long)]
        bandwidth: Option<f64>,
    },
}

/// `hotspots gistar` (contracts.md §1, §3): one row per cell of the points' bounding grid.
/// Prints a stored area's hot-spot analysis: one row per study cell (CSV/table), everything (JSON), or
/// the cells as WGS84 polygons (GeoJSON); the method and the counts go to stderr.
pub(crate) fn print_hotspots(
    run: &atalaia_store::hotspots::HotspotRun,
    format: OutputFormat,
) -> anyhow::Result<()> {
    use std::io::Write;
    let a = &run.analysis;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let months: Vec<String> = run.months.iter().map(|m| m.to_string()).collect();
    match format {
        OutputFormat::Geojson => {
            let mut fc = a.feature_collection();
            fc.properties = Some(serde_json::json!({
                "area": run.territory.code, "months": months, "method": a.method_pt()}));
            serde_json::to_writer(&mut out, &fc)?;
            writeln!(out)?;
        }
        OutputFormat::Json => {
            let cells: Vec<serde_json::Value> = a
                .cells
                .iter()
                .map(|c| {
                    let (lon, lat) = atalaia_spatial::utm::from_utm(c.centre.0, c.centre.1, a.zone);
                    serde_json::json!({"id": c.id, "lon": lon, "lat": lat, "count": c.count,
                        "z": c.z, "p": c.p, "p_fdr": c.p_fdr, "class": c.class.as_str(),
                        "emerging": c.emerging.map(|e| e.code()), "density": c.density,
                        "series": c.series, "z_series": c.z_series})
                })
                .collect();
            let v = serde_json::json!({
                "area": run.territory.code, "name": run.territory.name, "months": months,
                "crimes": run.crimes, "method": a.method_pt(), "cell": a.cell,
                "cell_from_rule": a.cell_from_rule(), "hex_resolution": a.resolution,
                "bandwidth": a.bandwidth,
                "utm_zone": format!("{}{}", a.zone.number, if a.zone.south { "S" } else { "N" }),
                "occurrences": run.occurrences, "points_in": a.points_in, "points_out": a.points_out, "points_edge": a.points_edge,
                "without_coordinates": run.without_coordinates,
                "gini": a.gini, "generalised_gini": a.generalised_gini, "top5_share": a.top5_share,
                "cells": cells});
            writeln!(out, "{v}")?;
        }
        OutputFormat::Csv | OutputFormat::Table => a.write_csv(&mut out)?,
    }
    out.flush()?;
    eprintln!(
        "{} — {} a {}: {}",
        run.territory.name,
        run.months
            .first()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        run.months.last().map(|m| m.to_string()).unwrap_or_default(),
        a.method_pt()
    );
    eprintln!(
        "{} células; {} ocorrência(s) georreferenciada(s) na análise, {} em células da borda (centro fora da área), {} da área sem coordenadas; {} fora do polígono (na caixa da área)",
        a.cells.len(),
        a.points_in,
        a.points_edge,
        run.without_coordinates,
        a.points_out
    );
    Ok(())
}

pub(crate) fn hotspots_gistar(
    points: &std::path::Path,
    cell: f64,
    fdr: bool,
    rejects: Option<&std::path::Path>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    use atalaia_spatial::gistar::{HotClass, benjamini_hochberg, gi_star, two_sided_p};
    use atalaia_spatial::grid::{Neighbours, SquareGrid};
    if !cell.is_finite() || cell <= 0.0 {
        eprintln!(
            "erro: --cell `{cell}` inválido: esperado o lado da célula em metros, maior que zero"
        );
        return Ok(ExitCode::from(2));
    }
    let p = match atalaia_ingest::points::read_points(points, rejects) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("erro: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(grid) = SquareGrid::bounding(p.xyw.iter().map(|&(x, y, _)| (x, y)), cell) else {
        eprintln!(
            "erro: {}: nenhum ponto válido ({} linha(s) lida(s), {} rejeitada(s))",
            points.display(),
            p.read,
            p.rejected
        );
        return Ok(ExitCode::from(1));
    };
    if grid.nx.saturating_mul(grid.ny) > 50_000_000 {
        eprintln!(
            "erro: a grade teria {} × {} células; use uma célula maior que {cell} m",
            grid.nx, grid.ny
        );
        return Ok(ExitCode::from(2));
    }
    let counts = grid.counts(p.xyw.iter().copied());
    // No study-area polygon: every cell of the bounding grid enters (igesp.md §3).
    let cells: Vec<(usize, usize)> = (0..grid.ny)
        .flat_map(|j| (0..grid.nx).map(move |i| (i, j)))
        .collect();
    let z = gi_star(&counts, &Neighbours::queen(&grid, &cells));
    let pv: Vec<f64> = z.iter().map(|&z| two_sided_p(z)).collect();
    let adj = benjamini_hochberg(&pv);
    let rows = cells.iter().enumerate().map(|(k, &(i, j))| {
        let class = HotClass::of(z[k], if fdr { adj[k] } else { pv[k] });
        (
            i,
            j,
            grid.x0 + i as f64 * cell,
            grid.y0 + j as f64 * cell,
            counts[k],
            z[k],
            pv[k],
            adj[k],
            class,
        )
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    use std::io::Write;
    match format {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .map(|(i, j, x, y, c, z, p, a, class)| {
                    serde_json::json!({"i": i, "j": j, "x_min": x, "y_min": y, "count": c, "z": z,
                        "p": p, "p_fdr": a, "class": class.as_str()})
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(v))?;
        }
        OutputFormat::Geojson => {
            let features: Vec<serde_json::Value> = rows
                .map(|(i, j, x, y, c, z, p, a, class)| {
                    serde_json::json!({"type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + cell, y],
                            [x + cell, y + cell], [x, y + cell], [x, y]]]},
                        "properties": {"i": i, "j": j, "x_min": x, "y_min": y, "count": c, "z": z,
                            "p": p, "p_fdr": a, "class": class.as_str()}})
                })
                .collect();
            let mut fc = serde_json::json!({"type": "FeatureCollection", "features": features});
            if let Some(zone) = p.zone {
                fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": format!(
                    "EPSG:{}", if zone.south { 32700 } else { 32600 } + u32::from(zone.number))}});
            }
            writeln!(out, "{fc}")?;
        }
        OutputFormat::Csv | OutputFormat::Table => {
            writeln!(out, "i,j,x_min,y_min,count,z,p,p_fdr,class")?;
            for (i, j, x, y, c, z, p, a, class) in rows {
                writeln!(out, "{i},{j},{x},{y},{c},{z},{p},{a},{}", class.as_str())?;
            }
        }
    }
    out.flush()?;
    if let Some(zone) = p.zone {
        eprintln!(
            "pontos em WGS84 projetados em UTM {}{} (EPSG:{})",
            zone.number,
            if zone.south { "S" } else { "N" },
            if zone.south { 32700 } else { 32600 } + u32::from(zone.number)
        );
    }
    eprintln!(
        "{} × {} células de {cell} m; método: Gi* analítico (vizinhança queen), classes com {}",
        grid.nx,
        grid.ny,
        if fdr {
            "p ajustado por Benjamini–Hochberg"
        } else {
            "p sem ajuste"
        }
    );
    Ok(if p.rejected > 0 {
        eprintln!(
            "{} linha(s) rejeitada(s): {}",
            p.rejected,
            p.rejects_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        );
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) async fn run(
    command: HotspotsCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    match command {
        HotspotsCommand::Gistar {
            points,
            cell,
            fdr,
            rejects,
        } => hotspots_gistar(&points, cell, fdr, rejects.as_deref(), format),
        HotspotsCommand::Area {
            area,
            from,
            to,
            crimes,
            cell,
            hex,
            band,
            permutations,
            seed,
            fdr,
            bandwidth,
        } => {
            use atalaia_spatial::hotspot::{Contiguity, Inference, Params, Shape};
            let month = |flag: &str, v: &str| {
                atalaia_core::Month::parse(v)
                    .map_err(|e| anyhow::anyhow!("--{flag} `{v}` inválido: {e}"))
            };
            let (from, to) = match (month("from", &from), month("to", &to)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("erro: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let query = atalaia_store::hotspots::HotspotQuery {
                area,
                from,
                to,
                crimes: crimes
                    .iter()
                    .flat_map(|c| c.split(','))
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
                params: Params {
                    shape: if hex { Shape::Hexagon } else { Shape::Square },
                    cell,
                    contiguity: band.map_or(Contiguity::Queen, Contiguity::Band),
                    inference: permutations.map_or(Inference::Analytic, |permutations| {
                        Inference::Permutation { permutations, seed }
                    }),
                    fdr,
                    bandwidth,
                },
            };
            let db = connect(database).await?;
            let run = db.hotspots(&query).await;
            db.close().await;
            match run {
                Ok(run) => {
                    print_hotspots(&run, format)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(atalaia_store::hotspots::HotspotError::Store(e)) => {
                    Err(anyhow::Error::new(e).context("a análise não foi feita"))
                }
                Err(e) => {
                    eprintln!("erro: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
