//! Crime concentration over places (igesp.md §2–3): the Lorenz curve, the Gini coefficient, the Gini
//! generalised for sparse counts, and the share of crime in the top 5 % of cells.

/// The Lorenz curve: from (0, 0) to (1, 1), one point per cell with cells sorted from the fewest crimes
/// up: (share of cells, share of crimes). Empty without crimes.
pub fn lorenz(counts: &[f64]) -> Vec<(f64, f64)> {
    let total: f64 = counts.iter().sum();
    if counts.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let mut x = counts.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let mut out = Vec::with_capacity(x.len() + 1);
    out.push((0.0, 0.0));
    let mut cum = 0.0;
    for (k, v) in x.iter().enumerate() {
        cum += v;
        out.push(((k + 1) as f64 / n, cum / total));
    }
    out
}

/// The Gini coefficient, `Σ (2i − n − 1) x_(i) / (n Σ x)` with `x` sorted ascending and `i` from 1: 0
/// when every cell has as many crimes, `(n − 1)/n` when one cell has them all. 0 without crimes.
pub fn gini(counts: &[f64]) -> f64 {
    let total: f64 = counts.iter().sum();
    if counts.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let mut x = counts.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let s: f64 = x
        .iter()
        .enumerate()
        .map(|(k, v)| (2.0 * (k as f64 + 1.0) - n - 1.0) * v)
        .sum();
    s / (n * total)
}

/// The Gini generalised for fewer crimes than cells (after Bernasco & Steenbeek 2017, "More places than
/// crimes"): with `N` crimes in `n > N` cells the most even spread possible puts one crime in each of `N`
/// cells, whose plain Gini is `(n − N)/n`; the generalised Gini `(n G − (n − N)) / N` reads 0 there and
/// `(N − 1)/N` when one cell has them all. With `N ≥ n` it is the plain Gini. `N` is the sum of the counts,
/// rounded.
pub fn generalised_gini(counts: &[f64]) -> f64 {
    let g = gini(counts);
    let n = counts.len() as f64;
    let crimes = counts.iter().sum::<f64>().round();
    if crimes <= 0.0 || crimes >= n {
        return g;
    }
    ((n * g - (n - crimes)) / crimes).max(0.0)
}

/// The share of crimes in the top `fraction` of cells (igesp.md §2: 5 %), at least one cell.
pub fn top_share(counts: &[f64], fraction: f64) -> f64 {
    let total: f64 = counts.iter().sum();
    if counts.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let mut x = counts.to_vec();
    x.sort_by(|a, b| b.total_cmp(a));
    let k = ((counts.len() as f64 * fraction).ceil() as usize).clamp(1, counts.len());
    x[..k].iter().sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn by_hand() {
        // [0, 0, 0, 4]: Σ(2i − 5)x = 3·4 = 12, over 4·4: 0.75; the top 5 % is one cell, all of it.
        let x = [0.0, 4.0, 0.0, 0.0];
        close(gini(&x), 0.75);
        close(generalised_gini(&x), 0.75);
        close(top_share(&x, 0.05), 1.0);
        assert_eq!(
            lorenz(&x),
            [(0.0, 0.0), (0.25, 0.0), (0.5, 0.0), (0.75, 0.0), (1.0, 1.0)]
        );
        // Everyone equal: 0.
        close(gini(&[3.0; 5]), 0.0);
        // Two crimes in ten cells, one each: plain 0.8, generalised 0 (as even as two crimes can be).
        let mut sparse = [0.0; 10];
        sparse[2] = 1.0;
        sparse[7] = 1.0;
        close(gini(&sparse), 0.8);
        close(generalised_gini(&sparse), 0.0);
        // Both in one cell: plain 0.9, generalised (10·0.9 − 8)/2 = 0.5 = (N − 1)/N.
        let mut one = [0.0; 10];
        one[4] = 2.0;
        close(gini(&one), 0.9);
        close(generalised_gini(&one), 0.5);
        // The top 5 % of 40 cells is 2 cells.
        let mut forty = [1.0; 40];
        forty[0] = 11.0;
        forty[1] = 11.0;
        close(top_share(&forty, 0.05), 22.0 / 60.0);
        assert_eq!(gini(&[]), 0.0);
        assert!(lorenz(&[0.0, 0.0]).is_empty());
    }
}
