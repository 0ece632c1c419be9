//! Small-count suppression for the public transparency page (igesp.md §7, platform.md §2: "the public
//! page shows aggregates only, suppressing cells under a small-count threshold").
//!
//! Suppressing the small cells alone is not enough: a published total minus the published parts gives
//! back a lone suppressed part. So, after the primary suppression (every count from 1 to `k − 1`), a
//! secondary suppression runs over every published *equation* (a total and its parts: an area's total
//! and its crime groups; a municipality's count and its areas' counts): no equation may be left with
//! exactly one hidden cell, and where the total is published the hidden parts must add up to 0 or at
//! least `k` (else their sum, a small count, would be published in effect). Cells are added smallest
//! first (the least information lost). Zero is published: "no crimes" identifies nobody.
//!
//! This is the classic cell-suppression heuristic of statistical offices (primary plus complementary
//! suppression over the table's additive relations). It does not solve the full interval-inference
//! problem; the test that tries to break it plays the attacker who solves every equation with one
//! unknown, repeatedly, and reads the sums of the hidden parts.

/// A published additive relation: `total = Σ parts` (indices into the cell list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    /// The total's cell.
    pub total: usize,
    /// The parts' cells.
    pub parts: Vec<usize>,
}

/// Which of `values` to hide so that no count from 1 to `k − 1` can be read or derived through
/// `equations` (see the module's docs). `k ≤ 1` hides nothing.
pub fn suppress(values: &[u64], equations: &[Equation], k: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| v > 0 && v < k).collect();
    if k <= 1 {
        return hidden;
    }
    loop {
        let mut changed = false;
        for eq in equations {
            let cells = std::iter::once(eq.total).chain(eq.parts.iter().copied());
            let count = cells.clone().filter(|&c| hidden[c]).count();
            let hidden_sum: u64 = eq
                .parts
                .iter()
                .filter(|&&c| hidden[c])
                .map(|&c| values[c])
                .sum();
            let small_sum = !hidden[eq.total] && hidden_sum > 0 && hidden_sum < k;
            if count != 1 && !small_sum {
                continue;
            }
            // The smallest visible non-zero part raises the hidden sum; failing that any visible part;
            // failing that the total.
            let visible_parts = eq.parts.iter().copied().filter(|&c| !hidden[c]);
            let pick = visible_parts
                .clone()
                .filter(|&c| values[c] > 0)
                .min_by_key(|&c| (values[c], c))
                .or_else(|| {
                    if small_sum {
                        None
                    } else {
                        visible_parts.min_by_key(|&c| (values[c], c))
                    }
                })
                .or_else(|| (!hidden[eq.total]).then_some(eq.total));
            if let Some(c) = pick {
                hidden[c] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(total: usize, parts: &[usize]) -> Equation {
        Equation {
            total,
            parts: parts.to_vec(),
        }
    }

    #[test]
    fn small_cells_and_their_complements_are_hidden() {
        // total 20 = 3 + 9 + 8: the 3 is small; hiding it alone would give it back as 20 − 9 − 8, so the
        // smallest other part (8) goes too. Hidden sum 11 ≥ 5.
        let v = [20, 3, 9, 8];
        assert_eq!(
            suppress(&v, &[eq(0, &[1, 2, 3])], 5),
            [false, true, false, true]
        );
        // total 12 = 1 + 2 + 9: both small ones hidden, but 1 + 2 = 3 would be read as 12 − 9: the 9 goes
        // too (then the hidden parts add up to the total, 12 ≥ 5).
        let v = [12, 1, 2, 9];
        assert_eq!(
            suppress(&v, &[eq(0, &[1, 2, 3])], 5),
            [false, true, true, true]
        );
        // A small total and its small part are both hidden; the zero stays.
        let v = [4, 4, 0];
        assert_eq!(suppress(&v, &[eq(0, &[1, 2])], 5), [true, true, false]);
        // Nothing small, nothing hidden; zeros are published.
        let v = [10, 0, 10];
        assert_eq!(suppress(&v, &[eq(0, &[1, 2])], 5), [false, false, false]);
        // k = 1 (or 0): nothing to protect.
        assert_eq!(suppress(&[3, 1, 2], &[eq(0, &[1, 2])], 1), [false; 3]);
    }

    #[test]
    fn hiding_spreads_across_crossing_equations() {
        // Two areas (rows) × two groups, plus the municipality's cells for each group, as a table:
        //            g1  g2  total
        //   area A    2  10    12      cells 0 1 2
        //   area B    7   6    13      cells 3 4 5
        //   munic.    9  16    25      cells 6 7 8
        let v = [2, 10, 12, 7, 6, 13, 9, 16, 25];
        let eqs = [
            eq(2, &[0, 1]),
            eq(5, &[3, 4]),
            eq(8, &[6, 7]),
            eq(6, &[0, 3]),
            eq(7, &[1, 4]),
            eq(8, &[2, 5]),
        ];
        let h = suppress(&v, &eqs, 5);
        // The 2 is hidden; row A then hides the 10; column g1 hides the 7; row B the 6; column g2 is
        // then fine (10 + 6 hidden, 16 ≥ 5). No equation has a lone hidden cell.
        assert_eq!(
            h,
            [true, true, false, true, true, false, false, false, false]
        );
        for e in &eqs {
            let n = std::iter::once(e.total)
                .chain(e.parts.iter().copied())
                .filter(|&c| h[c])
                .count();
            assert_ne!(n, 1, "{e:?}");
        }
    }
}
