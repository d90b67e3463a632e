//! The cardinality estimate from a register histogram: Otmar Ertl's
//! improved estimator ("New cardinality estimation algorithms for
//! HyperLogLog sketches", arXiv:1702.01284), which Redis 7.0 uses. The
//! arithmetic is in `f64` in the same order as Redis's, so that the same
//! registers give the same number.

use super::{REGISTERS, REGISTER_INDEX_BITS};

/// 0.5 / ln 2, the estimator's constant as m goes to infinity.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's sigma: x + x²·1 + x⁴·2 + x⁸·4 + ..., summed until it no longer
/// changes; infinite at 1.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut weight, mut sum) = (1.0, x);
    loop {
        x *= x;
        let before = sum;
        sum += x * weight;
        weight += weight;
        if sum == before {
            return sum;
        }
    }
}

/// Ertl's tau: (1 - x - Σ (1 - x^(2^-k))² 2^-k) / 3, summed until it no
/// longer changes; 0 at 0 and 1.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut weight, mut sum) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = sum;
        weight *= 0.5;
        sum -= (1.0 - x) * (1.0 - x) * weight;
        if sum == before {
            return sum / 3.0;
        }
    }
}

/// The estimated cardinality of a HyperLogLog whose registers hold each
/// value `histogram[value]` times.
pub fn cardinality(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let top = 64 - REGISTER_INDEX_BITS as usize;
    let mut z = m * tau((m - histogram[top + 1] as f64) / m);
    for j in (1..=top).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_zero_and_small_sets_are_close() {
        let mut histogram = [0u32; 64];
        histogram[0] = REGISTERS as u32;
        assert_eq!(cardinality(&histogram), 0);
        // One register at 1: one element.
        histogram[0] -= 1;
        histogram[1] = 1;
        assert_eq!(cardinality(&histogram), 1);
        // A thousand registers at 1: a little over a thousand elements.
        histogram[0] -= 999;
        histogram[1] = 1000;
        let estimate = cardinality(&histogram);
        assert!((1000..1100).contains(&estimate), "{estimate}");
    }
}
