//! A whole hot-spot analysis of one area (igesp.md §3), as the map page and `atalaia hotspots` run it:
//! points (WGS84, with the time step they fall in) → the study cells (square in UTM metres, or H3
//! hexagons) → Gi* of the whole period with its classes, the KDE surface, the space-time Gi* per step and
//! each cell's emerging class, and the concentration of crime over the cells.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};

use crate::concentration;
use crate::emerging::{self, Emerging};
use crate::gistar::{self, HotClass};
use crate::grid::{Neighbours, SquareGrid};
use crate::study::{self, ProjectedArea};
use crate::utm::{Zone, from_utm, to_utm};

pub use crate::cells_geojson::FeatureCollection;

/// Square cells or H3 hexagons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Square cells in UTM metres.
    Square,
    /// H3 hexagons of the resolution nearest the cell size.
    Hexagon,
}

/// Which cells are neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Contiguity {
    /// Sharing a side or a corner (squares), or a side (hexagons).
    Queen,
    /// Centres within this many metres.
    Band(f64),
}

/// How significance is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Inference {
    /// The normal approximation of the z-score.
    Analytic,
    /// Conditional randomisation with this many draws and this seed.
    Permutation {
        /// Draws (999 by default).
        permutations: usize,
        /// Seed (the result is the same for a seed, whatever the threads).
        seed: u64,
    },
}

/// The team's choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Cell shape.
    pub shape: Shape,
    /// Cell size in metres; `None` → [`study::default_cell_size`].
    pub cell: Option<f64>,
    pub contiguity: Contiguity,
    pub inference: Inference,
    /// Benjamini–Hochberg on the p-values (on by default).
    pub fdr: bool,
    /// KDE search radius in metres; `None` → [`default_bandwidth`].
    pub bandwidth: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            shape: Shape::Square,
            cell: None,
            contiguity: Contiguity::Queen,
            inference: Inference::Analytic,
            fdr: true,
            bandwidth: None,
        }
    }
}

/// One occurrence: where, when (the time step, 0-based) and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Time step (month) from 0.
    pub step: usize,
    /// Weight (1 for an occurrence).
    pub weight: f64,
}

/// Errors of the analysis.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// The area has no geometry.
    #[error("a área não tem polígono")]
    NoPolygon,
    /// A size that is not a positive number of metres.
    #[error("tamanho de célula inválido: {0} (esperado um número de metros maior que zero)")]
    BadCell(f64),
    /// No cell centre falls inside the area at that size.
    #[error("nenhuma célula de {0} m tem o centro dentro da área; use células menores")]
    NoCells(f64),
    /// The analysis would pass one of the bounds of [`crate::budget`].
    #[error(transparent)]
    Exceeded(#[from] crate::budget::Exceeded),
}

/// One study cell and its results.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `i,j` for squares (column from the west, row from the south), the H3 index for hexagons.
    pub id: String,
    /// Its outline, WGS84 (closed ring).
    pub ring: Vec<(f64, f64)>,
    /// Its centre in metres (UTM of the analysis).
    pub centre: (f64, f64),
    /// Occurrences of the whole period (weighted).
    pub count: f64,
    /// Occurrences per time step.
    pub series: Vec<f64>,
    /// Gi* z of the whole period.
    pub z: f64,
    /// Two-sided p (analytic, or the permutation pseudo p).
    pub p: f64,
    /// Benjamini–Hochberg adjusted p.
    pub p_fdr: f64,
    /// Hot/cold class by the p the team chose (adjusted or not).
    pub class: HotClass,
    /// Gi* z per time step.
    pub z_series: Vec<f64>,
    /// Hot/cold class per time step (by the p the team chose, adjusted within each step or not).
    pub class_series: Vec<HotClass>,
    /// Emerging class over the steps (`None` with fewer than two steps).
    pub emerging: Option<Emerging>,
    /// KDE at the centre, occurrences per km².
    pub density: f64,
}

/// The analysis of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The team's choices as given (`cell` or `bandwidth` `None`: from the rules).
    pub params: Params,
    /// The cell size used (m).
    pub cell: f64,
    /// The hexagon resolution, for hexagons.
    pub resolution: Option<u8>,
    /// The KDE bandwidth used (m).
    pub bandwidth: f64,
    /// The UTM zone of the grid.
    pub zone: Zone,
    /// Time steps.
    pub steps: usize,
    /// The cells, in a stable order (row-major from the south-west; hexagons by index).
    pub cells: Vec<Cell>,
    /// Points counted in a study cell.
    pub points_in: usize,
    /// Points outside the area's polygon (the query reads its bounding box).
    pub points_out: usize,
    /// Points inside the polygon but in an edge cell whose centre is outside it (not in the statistic).
    pub points_edge: usize,
    /// Gini of the cells' counts.
    pub gini: f64,
    /// Gini generalised for sparse counts.
    pub generalised_gini: f64,
    /// Share of the occurrences in the top 5 % of cells.
    pub top5_share: f64,
}

impl Analysis {
    /// Whether the cell size came from the default rule (the team gave none).
    pub fn cell_from_rule(&self) -> bool {
        self.params.cell.is_none()
    }

    /// How the map names its method, in Portuguese (igesp.md §3: "every map says which method made it").
    pub fn method_pt(&self) -> String {
        let shape = match self.params.shape {
            Shape::Square => format!("células quadradas de {} m", self.cell),
            Shape::Hexagon => format!(
                "hexágonos H3 de resolução {} (~{} m)",
                self.resolution.unwrap_or_default(),
                self.cell
            ),
        };
        let nb = match self.params.contiguity {
            Contiguity::Queen => "vizinhança por contiguidade (rainha)".to_string(),
            Contiguity::Band(d) => format!("vizinhança por distância de {d} m"),
        };
        let inf = match self.params.inference {
            Inference::Analytic => "p analítico (normal)".to_string(),
            Inference::Permutation { permutations, seed } => {
                format!("p por {permutations} permutações (semente {seed})")
            }
        };
        let fdr = if self.params.fdr {
            "correção de Benjamini–Hochberg (FDR)"
        } else {
            "sem correção para testes múltiplos"
        };
        format!(
            "Getis-Ord Gi* com {shape}{}, {nb}, {inf}, {fdr}; densidade kernel quártica, raio {} m",
            if self.cell_from_rule() {
                " (tamanho pela regra: lado menor / 50)"
            } else {
                ""
            },
            self.bandwidth.round()
        )
    }
}

/// A hot/cold class in Portuguese, as the map's legend reads it.
pub fn class_pt(c: HotClass) -> &'static str {
    match c {
        HotClass::Hot99 => "quente (99 %)",
        HotClass::Hot95 => "quente (95 %)",
        HotClass::Hot90 => "quente (90 %)",
        HotClass::Cold99 => "fria (99 %)",
        HotClass::Cold95 => "fria (95 %)",
        HotClass::Cold90 => "fria (90 %)",
        HotClass::NotSignificant => "não significativa",
    }
}

/// The KDE search radius when the team gives none: ArcGIS Pro's default for Kernel Density (the spatial
/// variant of Silverman's rule), `0.9 · min(SD, √(1/ln 2) · Dm) · n^(−1/5)`, where SD is the standard
/// distance of the points and Dm the median distance to their mean centre; at least one cell. (The
/// one-dimensional normal-reference rule oversmooths a city's several hot spots into one blob.)
pub fn default_bandwidth(xy: &[(f64, f64)], cell: f64) -> f64 {
    let n = xy.len();
    if n < 2 {
        return cell;
    }
    let nf = n as f64;
    let mx = xy.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = xy.iter().map(|p| p.1).sum::<f64>() / nf;
    let sd = (xy
        .iter()
        .map(|p| (p.0 - mx).powi(2) + (p.1 - my).powi(2))
        .sum::<f64>()
        / nf)
        .sqrt();
    let mut d: Vec<f64> = xy.iter().map(|p| (p.0 - mx).hypot(p.1 - my)).collect();
    d.sort_unstable_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        d[n / 2]
    } else {
        (d[n / 2 - 1] + d[n / 2]) / 2.0
    };
    let spread = sd.min((1.0 / std::f64::consts::LN_2).sqrt() * median);
    (0.9 * spread * nf.powf(-0.2)).max(cell)
}

/// Quartic KDE at arbitrary centres (metres), in occurrences per km²: the points are bucketed by the
/// bandwidth so each centre reads only the nine buckets around it.
pub fn quartic_at(centres: &[(f64, f64)], points: &[(f64, f64, f64)], bandwidth: f64) -> Vec<f64> {
    let mut out = vec![0.0; centres.len()];
    if points.is_empty() || !(bandwidth.is_finite() && bandwidth > 0.0) {
        return out;
    }
    let Some(buckets) = SquareGrid::bounding(points.iter().map(|p| (p.0, p.1)), bandwidth) else {
        return out;
    };
    let mut start = vec![0usize; buckets.nx * buckets.ny + 1];
    let cells: Vec<Option<usize>> = points
        .iter()
        .map(|p| buckets.cell_of(p.0, p.1).map(|(i, j)| buckets.index(i, j)))
        .collect();
    for c in cells.iter().flatten() {
        start[c + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut fill = start.clone();
    let mut sorted = vec![(0.0, 0.0, 0.0); start[start.len() - 1]];
    for (p, c) in points.iter().zip(&cells) {
        if let Some(c) = c {
            sorted[fill[*c]] = *p;
            fill[*c] += 1;
        }
    }
    let h2 = bandwidth * bandwidth;
    let norm = 3.0 / (std::f64::consts::PI * h2) * 1e6;
    for (o, &(x, y)) in out.iter_mut().zip(centres) {
        let ci = ((x - buckets.x0) / bandwidth).floor() as i64;
        let cj = ((y - buckets.y0) / bandwidth).floor() as i64;
        let mut sum = 0.0;
        for j in cj - 1..=cj + 1 {
            for i in ci - 1..=ci + 1 {
                if i < 0 || j < 0 || i >= buckets.nx as i64 || j >= buckets.ny as i64 {
                    continue;
                }
                let b = buckets.index(i as usize, j as usize);
                for &(px, py, w) in &sorted[start[b]..start[b + 1]] {
                    let d2 = (px - x).powi(2) + (py - y).powi(2);
                    if d2 < h2 {
                        let u = 1.0 - d2 / h2;
                        sum += w * u * u;
                    }
                }
            }
        }
        *o = norm * sum;
    }
    out
}

/// The lattice the analysis laid.
enum Lattice {
    Square(SquareGrid, Vec<(usize, usize)>),
    Hex(Vec<CellIndex>),
}

/// Runs the analysis of `area` (WGS84) over `steps` time steps.
pub fn analyse(
    area: &MultiPolygon<f64>,
    points: &[Point],
    steps: usize,
    params: Params,
) -> Result<Analysis, Error> {
    let area = ProjectedArea::new(area).ok_or(Error::NoPolygon)?;
    let (w, h) = area.extent();
    let cell = match params.cell {
        Some(c) if !(c.is_finite() && c > 0.0) => return Err(Error::BadCell(c)),
        Some(c) => c,
        None => study::default_cell_size(w, h),
    };
    crate::budget::Plan::check(w, h, cell, steps, &params)?;
    let steps = steps.max(1);
    let zone = area.zone;
    let (lattice, resolution) = match params.shape {
        Shape::Square => {
            let (grid, cells) = study::square_cells(&area, cell).ok_or(Error::BadCell(cell))?;
            (Lattice::Square(grid, cells), None)
        }
        Shape::Hexagon => {
            let res = study::hex_resolution(cell);
            (Lattice::Hex(study::hex_cells(&area, res)), Some(res))
        }
    };
    type Layout = (Vec<(f64, f64)>, Vec<Vec<(f64, f64)>>, Vec<String>);
    let (centres, rings, ids): Layout = match &lattice {
        Lattice::Square(grid, cells) => {
            let mut c = Vec::with_capacity(cells.len());
            let mut r = Vec::with_capacity(cells.len());
            let mut id = Vec::with_capacity(cells.len());
            for &(i, j) in cells {
                c.push(grid.centre(i, j));
                let (x0, y0) = (grid.x0 + i as f64 * cell, grid.y0 + j as f64 * cell);
                let corners = [
                    (x0, y0),
                    (x0 + cell, y0),
                    (x0 + cell, y0 + cell),
                    (x0, y0 + cell),
                    (x0, y0),
                ];
                r.push(corners.iter().map(|&(x, y)| from_utm(x, y, zone)).collect());
                id.push(format!("{i},{j}"));
            }
            (c, r, id)
        }
        Lattice::Hex(cells) => {
            let c = cells
                .iter()
                .map(|&h| {
                    let ll = LatLng::from(h);
                    to_utm(ll.lng(), ll.lat(), zone)
                })
                .collect();
            let r = cells
                .iter()
                .map(|&h| {
                    let mut ring: Vec<(f64, f64)> =
                        h.boundary().iter().map(|ll| (ll.lng(), ll.lat())).collect();
                    if let Some(&first) = ring.first() {
                        ring.push(first);
                    }
                    ring
                })
                .collect();
            (c, r, cells.iter().map(|h| h.to_string()).collect())
        }
    };
    let n = centres.len();
    if n == 0 {
        return Err(Error::NoCells(cell));
    }
    let nb = match (&lattice, params.contiguity) {
        (Lattice::Square(grid, cells), Contiguity::Queen) => Neighbours::queen(grid, cells),
        (Lattice::Square(grid, cells), Contiguity::Band(d)) => Neighbours::band(grid, cells, d),
        (Lattice::Hex(cells), Contiguity::Queen) => study::hex_neighbours(cells, &centres, None),
        (Lattice::Hex(cells), Contiguity::Band(d)) => {
            study::hex_neighbours(cells, &centres, Some(d))
        }
    };

    // Counts per cell and step; a point counts when it is inside the area and in a study cell.
    let slot_of: Box<dyn Fn(f64, f64, f64, f64) -> Option<usize>> = match &lattice {
        Lattice::Square(grid, cells) => {
            let mut slot = vec![u32::MAX; grid.nx * grid.ny];
            for (k, &(i, j)) in cells.iter().enumerate() {
                slot[grid.index(i, j)] = k as u32;
            }
            let grid = *grid;
            Box::new(move |x, y, _, _| {
                let (i, j) = grid.cell_of(x, y)?;
                let s = slot[grid.index(i, j)];
                (s != u32::MAX).then_some(s as usize)
            })
        }
        Lattice::Hex(cells) => {
            let res = resolution.unwrap_or(Resolution::Nine);
            let slot: std::collections::HashMap<CellIndex, usize> =
                cells.iter().enumerate().map(|(k, &c)| (c, k)).collect();
            Box::new(move |_, _, lon, lat| {
                let c = LatLng::new(lat, lon).ok()?.to_cell(res);
                slot.get(&c).copied()
            })
        }
    };
    let mut series = vec![vec![0.0; steps]; n];
    let mut xyw = Vec::new();
    let (mut points_in, mut points_out, mut points_edge) = (0usize, 0usize, 0usize);
    for p in points {
        let usable = p.lon.is_finite() && p.lat.is_finite() && p.weight.is_finite();
        if !usable || !area.prepared_degrees.contains(p.lon, p.lat) {
            points_out += 1;
            continue;
        }
        let (x, y) = to_utm(p.lon, p.lat, zone);
        match slot_of(x, y, p.lon, p.lat) {
            Some(k) => {
                series[k][p.step.min(steps - 1)] += p.weight;
                xyw.push((x, y, p.weight));
                points_in += 1;
            }
            None => points_edge += 1,
        }
    }
    let counts: Vec<f64> = series.iter().map(|s| s.iter().sum()).collect();

    // The whole period.
    let z = gistar::gi_star(&counts, &nb);
    let p: Vec<f64> = match params.inference {
        Inference::Analytic => z.iter().map(|&z| gistar::two_sided_p(z)).collect(),
        Inference::Permutation { permutations, seed } => {
            gistar::gi_star_permutation_p(&counts, &nb, permutations, seed, 0)
        }
    };
    let p_fdr = gistar::benjamini_hochberg(&p);

    // Space-time: Gi* per step; hot/cold = significant after FDR at 90 % (igesp.md §3).
    let mut z_series = vec![Vec::with_capacity(steps); n];
    let mut hot = vec![Vec::with_capacity(steps); n];
    let mut cold = vec![Vec::with_capacity(steps); n];
    let mut class_series = vec![Vec::with_capacity(steps); n];
    if steps >= 2 {
        for t in 0..steps {
            let y: Vec<f64> = series.iter().map(|s| s[t]).collect();
            let zt = gistar::gi_star(&y, &nb);
            let pt: Vec<f64> = zt.iter().map(|&z| gistar::two_sided_p(z)).collect();
            let adj = gistar::benjamini_hochberg(&pt);
            for k in 0..n {
                z_series[k].push(zt[k]);
                hot[k].push(zt[k] > 0.0 && adj[k] < emerging::ALPHA);
                class_series[k].push(HotClass::of(zt[k], if params.fdr { adj[k] } else { pt[k] }));
                cold[k].push(zt[k] < 0.0 && adj[k] < emerging::ALPHA);
            }
        }
    }

    let bandwidth = match params.bandwidth {
        Some(b) if b.is_finite() && b > 0.0 => b,
        _ => default_bandwidth(
            &xyw.iter().map(|&(x, y, _)| (x, y)).collect::<Vec<_>>(),
            cell,
        ),
    };
    crate::budget::Plan::check_kernel(cell, bandwidth, xyw.len())?;
    let density = quartic_at(&centres, &xyw, bandwidth);

    let cells = (0..n)
        .map(|k| Cell {
            id: ids[k].clone(),
            ring: rings[k].clone(),
            centre: centres[k],
            count: counts[k],
            series: series[k].clone(),
            z: z[k],
            p: p[k],
            p_fdr: p_fdr[k],
            class: HotClass::of(z[k], if params.fdr { p_fdr[k] } else { p[k] }),
            emerging: (steps >= 2).then(|| emerging::classify(&hot[k], &cold[k], &z_series[k])),
            z_series: std::mem::take(&mut z_series[k]),
            class_series: std::mem::take(&mut class_series[k]),
            density: density[k],
        })
        .collect();
    Ok(Analysis {
        params,
        cell,
        resolution: resolution.map(u8::from),
        bandwidth,
        zone,
        steps,
        gini: concentration::gini(&counts),
        generalised_gini: concentration::generalised_gini(&counts),
        top5_share: concentration::top_share(&counts, 0.05),
        cells,
        points_in,
        points_out,
        points_edge,
    })
}

impl Analysis {
    /// One CSV row per cell: `id,lon,lat,count,z,p,p_fdr,class,emerging,density` (centre in WGS84; the
    /// emerging class empty with one time step).
    pub fn write_csv(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        writeln!(w, "id,lon,lat,count,z,p,p_fdr,class,emerging,density")?;
        for c in &self.cells {
            let (lon, lat) = from_utm(c.centre.0, c.centre.1, self.zone);
            // Square ids `i,j` hold a comma: quoted.
            writeln!(
                w,
                "\"{}\",{lon:.6},{lat:.6},{},{},{},{},{},{},{}",
                c.id,
                c.count,
                c.z,
                c.p,
                c.p_fdr,
                c.class.as_str(),
                c.emerging.map(|e| e.code()).unwrap_or_default(),
                c.density
            )?;
        }
        Ok(())
    }
}

/// Concentration of crime in an area for the municipality selection (igesp.md §2): the points (WGS84)
/// counted on the area's square study cells at the default size, then the share in the top 5 % of cells
/// and the Gini. `None` without a polygon or without a point in a study cell.
pub fn concentration_in(area: &MultiPolygon<f64>, points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let area = ProjectedArea::new(area)?;
    let (w, h) = area.extent();
    let cell = study::default_cell_size(w, h);
    let (grid, cells) = study::square_cells(&area, cell)?;
    let mut slot = vec![u32::MAX; grid.nx * grid.ny];
    for (k, &(i, j)) in cells.iter().enumerate() {
        slot[grid.index(i, j)] = k as u32;
    }
    let mut counts = vec![0.0; cells.len()];
    let mut any = false;
    for &(lon, lat) in points {
        if !area.prepared_degrees.contains(lon, lat) {
            continue;
        }
        let (x, y) = to_utm(lon, lat, area.zone);
        if let Some((i, j)) = grid.cell_of(x, y) {
            let s = slot[grid.index(i, j)];
            if s != u32::MAX {
                counts[s as usize] += 1.0;
                any = true;
            }
        }
    }
    any.then(|| {
        (
            concentration::top_share(&counts, 0.05),
            concentration::gini(&counts),
        )
    })
}

/// The cells chosen (their rings, WGS84) merged into one (multi)polygon: the new intervention area's
/// outline (igesp.md §3). Shared edges dissolve; cells that do not touch stay separate parts.
pub fn merge_cells(rings: &[Vec<(f64, f64)>]) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> = rings
        .iter()
        .filter(|r| r.len() >= 4)
        .map(|r| {
            Polygon::new(
                LineString::new(r.iter().map(|&(x, y)| Coord { x, y }).collect()),
                vec![],
            )
        })
        .collect();
    geo::unary_union(&polys)
}

#[cfg(test)]
mod tests;
