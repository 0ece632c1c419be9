//! Bounds on one hot-spot analysis, checked before anything of its size is allocated.
//!
//! Every number a user can send (cell size, distance band, KDE radius, months, permutations; the hexagon
//! resolution follows the cell size) decides how many cells, neighbour links and kernel terms an analysis
//! computes. Unbounded, one GET asking for a 10 km band on 50 m cells reserved cells × (2r+1)² offsets and
//! took the server past 10 GB. Each quantity below is capped so that one request stays within about 2 s
//! and 256 MB on a 2-core machine at the demo's scale; the caps and how they were measured are in
//! BENCHMARKS.md ("Bounded analyses"). The messages name the bound, in Portuguese, because the web
//! layer shows them as they are.

use crate::hotspot::{Contiguity, Inference, Params, Shape};

/// Metres and counts in a message, as people in Brazil read them (`10.000.000`, `12,5`).
fn m(value: f64) -> String {
    atalaia_core::numbers::measure(value)
}

fn n(count: usize) -> String {
    atalaia_core::numbers::integer(count as i128)
}

/// Smallest cell side accepted (m): below it a municipality's grid is millions of cells.
pub const MIN_CELL_M: f64 = 25.0;
/// Largest cell side accepted (m).
pub const MAX_CELL_M: f64 = 50_000.0;
/// Most cells laid over the area's bounding box.
pub const MAX_CELLS: usize = 200_000;
/// Most cell × month values (each cell keeps its monthly series, z and class per month).
pub const MAX_CELL_MONTHS: usize = 3_000_000;
/// Widest distance band (m).
pub const MAX_BAND_M: f64 = 5_000.0;
/// Most neighbour links (cells × neighbours each), which Gi* walks once per month.
pub const MAX_LINKS: usize = 4_000_000;
/// Widest KDE radius (m).
pub const MAX_BANDWIDTH_M: f64 = 10_000.0;
/// Most kernel terms (each occurrence against the cell centres within its radius).
pub const MAX_KERNEL_TERMS: f64 = 300_000_000.0;
/// Most permutations.
pub const MAX_PERMUTATIONS: usize = 9_999;
/// Most permutation terms (neighbour links × permutations).
pub const MAX_PERMUTATION_TERMS: f64 = 400_000_000.0;

/// An analysis that would pass one of the bounds above.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Exceeded {
    /// The cell side is outside `[MIN_CELL_M, MAX_CELL_M]`.
    #[error(
        "tamanho de célula de {} m fora do intervalo aceito: de {} m a {} m",
        m(*.0), m(MIN_CELL_M), m(MAX_CELL_M)
    )]
    CellSize(f64),
    /// Too many cells over the area.
    #[error(
        "células de {} m sobre esta área seriam cerca de {}, acima do limite de {}; use células maiores",
        m(*.cell), n(*.cells), n(MAX_CELLS)
    )]
    Cells {
        /// The side asked for (m).
        cell: f64,
        /// Cells the grid would have.
        cells: usize,
    },
    /// Too many cell × month values.
    #[error(
        "{} células × {months} meses passam do limite de {} valores; use células maiores ou um período menor",
        n(*.cells), n(MAX_CELL_MONTHS)
    )]
    CellMonths { cells: usize, months: usize },
    /// The distance band is not a number of metres up to `MAX_BAND_M`.
    #[error(
        "distância de vizinhança de {} m fora do intervalo aceito: até {} m",
        m(*.0), m(MAX_BAND_M)
    )]
    Band(f64),
    /// The band links too many pairs of cells.
    #[error(
        "a vizinhança de {} m com células de {} m ligaria cerca de {} pares de células, acima do limite de {}; use uma distância menor ou células maiores",
        m(*.band), m(*.cell), n(*.links), n(MAX_LINKS)
    )]
    Links {
        /// Band (m).
        band: f64,
        /// Cell side (m).
        cell: f64,
        /// Links estimated.
        links: usize,
    },
    /// The KDE radius is not a number of metres up to `MAX_BANDWIDTH_M`.
    #[error(
        "raio da densidade de {} m fora do intervalo aceito: até {} m",
        m(*.0), m(MAX_BANDWIDTH_M)
    )]
    Bandwidth(f64),
    /// The kernel would evaluate too many terms.
    #[error(
        "a densidade com raio de {} m, células de {} m e {} ocorrências passa do limite de cálculo; use um raio menor, células maiores ou menos meses",
        m(*.bandwidth), m(*.cell), n(*.points)
    )]
    Kernel {
        /// Radius (m).
        bandwidth: f64,
        /// Cell side (m).
        cell: f64,
        points: usize,
    },
    /// Too many permutations.
    #[error("{} permutações passam do limite de {}", n(*.0), n(MAX_PERMUTATIONS))]
    Permutations(usize),
    /// Permutations × links too many.
    #[error(
        "{} permutações sobre {} pares de células passam do limite de cálculo; use menos permutações, células maiores ou a inferência analítica",
        n(*.permutations), n(*.links)
    )]
    PermutationTerms {
        permutations: usize,
        /// Neighbour links.
        links: usize,
    },
}

/// Checks the numbers of `params` that do not depend on the area: sizes within their ranges, the
/// permutations within theirs. The web layer calls it when it reads a form, before any database read.
pub fn check_params(params: &Params) -> Result<(), Exceeded> {
    if let Some(c) = params.cell
        && !(c.is_finite() && (MIN_CELL_M..=MAX_CELL_M).contains(&c))
    {
        return Err(Exceeded::CellSize(c));
    }
    if let Contiguity::Band(d) = params.contiguity
        && !(d.is_finite() && d > 0.0 && d <= MAX_BAND_M)
    {
        return Err(Exceeded::Band(d));
    }
    if let Some(b) = params.bandwidth
        && !(b.is_finite() && b > 0.0 && b <= MAX_BANDWIDTH_M)
    {
        return Err(Exceeded::Bandwidth(b));
    }
    if let Inference::Permutation { permutations, .. } = params.inference
        && permutations > MAX_PERMUTATIONS
    {
        return Err(Exceeded::Permutations(permutations));
    }
    Ok(())
}

/// The size of an analysis before it is laid: cells, neighbour links and their cost, from the
/// area's extent in metres, the cell side used and the number of months.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Cells laid over the bounding box (an upper bound of the study cells).
    pub cells: usize,
    /// Neighbour links estimated (cells × neighbours of an inner cell).
    pub links: usize,
}

impl Plan {
    /// Plans an analysis of an area of `width` × `height` metres at `cell` metres over `months`,
    /// refusing it when it passes a bound. Only arithmetic: nothing of the analysis' size is allocated.
    pub fn check(
        width: f64,
        height: f64,
        cell: f64,
        months: usize,
        params: &Params,
    ) -> Result<Plan, Exceeded> {
        check_params(params)?;
        let laid = match params.shape {
            Shape::Square => ((width / cell).ceil() + 1.0) * ((height / cell).ceil() + 1.0),
            // Hexagons of the resolution nearest the cell's area, over the box grown by two edges.
            Shape::Hexagon => {
                let res = crate::study::hex_resolution(cell);
                let grow = 4.0 * res.edge_length_m();
                (width + grow) * (height + grow) / res.area_m2()
            }
        };
        if !laid.is_finite() || laid > MAX_CELLS as f64 {
            return Err(Exceeded::Cells {
                cell,
                cells: if laid.is_finite() {
                    laid as usize
                } else {
                    usize::MAX
                },
            });
        }
        let cells = laid as usize;
        if cells.saturating_mul(months.max(1)) > MAX_CELL_MONTHS {
            return Err(Exceeded::CellMonths { cells, months });
        }
        let per_cell = match (params.shape, params.contiguity) {
            (_, Contiguity::Queen) => 8.0,
            (Shape::Square, Contiguity::Band(d)) => {
                let r = (d / cell).floor();
                (2.0 * r + 1.0).powi(2)
            }
            (Shape::Hexagon, Contiguity::Band(d)) => {
                let res = crate::study::hex_resolution(cell);
                let rings = (d / (3f64.sqrt() * res.edge_length_m() * 0.85)).ceil() + 1.0;
                3.0 * rings * (rings + 1.0) + 1.0
            }
        };
        let links = laid * per_cell;
        if links > MAX_LINKS as f64 {
            let band = match params.contiguity {
                Contiguity::Band(d) => d,
                Contiguity::Queen => cell,
            };
            return Err(Exceeded::Links {
                band,
                cell,
                links: links as usize,
            });
        }
        let links = links as usize;
        if let Inference::Permutation { permutations, .. } = params.inference
            && links as f64 * permutations as f64 > MAX_PERMUTATION_TERMS
        {
            return Err(Exceeded::PermutationTerms {
                permutations,
                links,
            });
        }
        Ok(Plan { cells, links })
    }

    /// Checks the kernel density of `points` occurrences at `bandwidth` metres on `cell`-metre cells:
    /// each occurrence meets at most the centres of the 3 × 3 radius-wide buckets around it.
    pub fn check_kernel(cell: f64, bandwidth: f64, points: usize) -> Result<(), Exceeded> {
        let centres_per_point = (3.0 * bandwidth / cell + 1.0).powi(2);
        if centres_per_point * points as f64 > MAX_KERNEL_TERMS {
            return Err(Exceeded::Kernel {
                bandwidth: bandwidth.round(),
                cell,
                points,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(d: f64) -> Params {
        Params {
            contiguity: Contiguity::Band(d),
            ..Params::default()
        }
    }

    /// The request that took the server down: Goiânia (about 30 × 40 km) with a 10,000 km band.
    #[test]
    fn the_ten_thousand_km_band_is_refused_by_its_range() {
        assert_eq!(
            Plan::check(30_000.0, 40_000.0, 600.0, 12, &band(10_000_000.0)),
            Err(Exceeded::Band(10_000_000.0))
        );
    }

    /// A band within range but too wide for small cells: 5 km on 100 m cells over 30 × 40 km is
    /// 301 × 401 = 120,701 cells, each with (2·50+1)² = 10,201 offsets: 1.23 billion links.
    #[test]
    fn a_wide_band_on_small_cells_is_refused_by_its_links() {
        let e = Plan::check(30_000.0, 40_000.0, 100.0, 12, &band(5_000.0)).unwrap_err();
        assert_eq!(
            e,
            Exceeded::Links {
                band: 5_000.0,
                cell: 100.0,
                links: 120_701 * 10_201
            }
        );
        assert!(
            e.to_string().contains("acima do limite de 4.000.000"),
            "{e}"
        );
    }

    /// 50 m cells over 30 × 40 km are 601 × 801 = 481,401 cells: over the cell bound.
    #[test]
    fn fifty_metre_cells_over_a_capital_are_refused() {
        assert_eq!(
            Plan::check(30_000.0, 40_000.0, 50.0, 12, &Params::default()),
            Err(Exceeded::Cells {
                cell: 50.0,
                cells: 481_401
            })
        );
    }

    /// 200 m cells over 30 × 40 km: 151 × 201 = 30,351 cells, 242,808 queen links; 120 months would
    /// be 3,642,120 values, over the series bound, and 98 are 2,974,398, under it.
    #[test]
    fn months_and_cells_together() {
        let p = Params::default();
        assert_eq!(
            Plan::check(30_000.0, 40_000.0, 200.0, 98, &p),
            Ok(Plan {
                cells: 30_351,
                links: 242_808
            })
        );
        assert_eq!(
            Plan::check(30_000.0, 40_000.0, 200.0, 120, &p),
            Err(Exceeded::CellMonths {
                cells: 30_351,
                months: 120
            })
        );
    }

    #[test]
    fn ranges_of_each_number() {
        let with = |f: fn(&mut Params)| {
            let mut p = Params::default();
            f(&mut p);
            check_params(&p)
        };
        assert_eq!(with(|p| p.cell = Some(24.9)), Err(Exceeded::CellSize(24.9)));
        assert_eq!(with(|p| p.cell = Some(25.0)), Ok(()));
        assert_eq!(
            with(|p| p.cell = Some(f64::INFINITY)),
            Err(Exceeded::CellSize(f64::INFINITY))
        );
        assert_eq!(
            with(|p| p.bandwidth = Some(10_001.0)),
            Err(Exceeded::Bandwidth(10_001.0))
        );
        assert_eq!(with(|p| p.bandwidth = Some(10_000.0)), Ok(()));
        assert_eq!(
            with(|p| p.inference = Inference::Permutation {
                permutations: 10_000,
                seed: 1
            }),
            Err(Exceeded::Permutations(10_000))
        );
        assert!(matches!(
            with(|p| p.contiguity = Contiguity::Band(f64::NAN)),
            Err(Exceeded::Band(_))
        ));
    }

    /// 100,000 occurrences with a 1 km radius on 100 m cells: (3·10 + 1)² = 961 centres each, 96.1
    /// million terms, under the bound; on 50 m cells, 61² = 3,721 each, 372 million, over it.
    #[test]
    fn kernel_terms() {
        assert_eq!(Plan::check_kernel(100.0, 1_000.0, 100_000), Ok(()));
        assert_eq!(
            Plan::check_kernel(50.0, 1_000.0, 100_000),
            Err(Exceeded::Kernel {
                bandwidth: 1_000.0,
                cell: 50.0,
                points: 100_000
            })
        );
    }

    #[test]
    fn permutations_over_many_links() {
        let p = Params {
            inference: Inference::Permutation {
                permutations: 9_999,
                seed: 1,
            },
            ..Params::default()
        };
        // 151 × 201 = 30,351 cells × 8 = 242,808 links × 9,999 = 2.43 billion terms.
        assert_eq!(
            Plan::check(30_000.0, 40_000.0, 200.0, 12, &p),
            Err(Exceeded::PermutationTerms {
                permutations: 9_999,
                links: 242_808
            })
        );
    }
}
