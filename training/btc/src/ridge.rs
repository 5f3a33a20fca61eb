//! Closed-form ridge regression with an unpenalised intercept.

// Matrix code reads best with explicit indices, as in the textbook algorithms.
#![allow(clippy::needless_range_loop)]

use btc_forecast::meta::Linear;

/// Fits ridge on standardised features (so `lambda` means the same whatever the
/// scale), then folds the standardisation back into raw weights and bias.
/// Deterministic: a fixed order of floating-point operations.
pub fn fit(rows: &[Vec<f64>], targets: &[f64], lambda: f64) -> Option<Linear> {
    let n = rows.len();
    let d = rows.first()?.len();
    if n == 0 || n != targets.len() {
        return None;
    }
    let mean: Vec<f64> = (0..d)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let std: Vec<f64> = (0..d)
        .map(|j| {
            let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n as f64;
            if var > 0.0 { var.sqrt() } else { 1.0 }
        })
        .collect();
    let y_mean = targets.iter().sum::<f64>() / n as f64;

    // Normal equations (ZᵀZ + λI) w = Zᵀ(y - ȳ) on standardised Z.
    let mut a = vec![vec![0.0; d]; d];
    let mut b = vec![0.0; d];
    for (row, y) in rows.iter().zip(targets) {
        let z: Vec<f64> = (0..d).map(|j| (row[j] - mean[j]) / std[j]).collect();
        for i in 0..d {
            b[i] += z[i] * (y - y_mean);
            for j in 0..=i {
                a[i][j] += z[i] * z[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            a[j][i] = a[i][j];
        }
        a[i][i] += lambda;
    }
    let w = cholesky_solve(a, b)?;
    let weights: Vec<f64> = (0..d).map(|j| w[j] / std[j]).collect();
    let bias = y_mean - (0..d).map(|j| weights[j] * mean[j]).sum::<f64>();
    Some(Linear { weights, bias })
}

/// Solves `a x = b` for a symmetric positive-definite `a`.
fn cholesky_solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let d = b.len();
    for j in 0..d {
        let mut diag = a[j][j];
        for k in 0..j {
            diag -= a[j][k] * a[j][k];
        }
        if diag <= 0.0 {
            return None;
        }
        let diag = diag.sqrt();
        a[j][j] = diag;
        for i in (j + 1)..d {
            let mut v = a[i][j];
            for k in 0..j {
                v -= a[i][k] * a[j][k];
            }
            a[i][j] = v / diag;
        }
    }
    for i in 0..d {
        for k in 0..i {
            b[i] -= a[i][k] * b[k];
        }
        b[i] /= a[i][i];
    }
    for i in (0..d).rev() {
        for k in (i + 1)..d {
            b[i] -= a[k][i] * b[k];
        }
        b[i] /= a[i][i];
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_relation_without_penalty() {
        let rows: Vec<Vec<f64>> = (0..50)
            .map(|i| vec![i as f64, ((i * 7) % 11) as f64])
            .collect();
        let targets: Vec<f64> = rows.iter().map(|r| 3.0 + 2.0 * r[0] - 0.5 * r[1]).collect();
        let model = fit(&rows, &targets, 0.0).unwrap();
        assert!((model.bias - 3.0).abs() < 1e-9, "{model:?}");
        assert!((model.weights[0] - 2.0).abs() < 1e-9);
        assert!((model.weights[1] + 0.5).abs() < 1e-9);
    }

    #[test]
    fn penalty_shrinks_towards_the_mean() {
        let rows: Vec<Vec<f64>> = (0..20).map(|i| vec![i as f64]).collect();
        let targets: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let strong = fit(&rows, &targets, 1e9).unwrap();
        assert!(strong.weights[0].abs() < 1e-6);
        assert!((strong.bias - 9.5).abs() < 1e-5);
    }
}
