//! A sparkline as text: one character per point, so it fits in a table cell
//! and survives copy/paste and `NO_COLOR`.

/// Resamples `points` to `width` cells (averaging) and maps each to a ramp
/// level between the series' own minimum and maximum, so the shape of the
/// hour shows. A series that varies by less than 5 % of its maximum is drawn
/// flat at mid height: steady traffic looks steady, not like noise. Missing
/// data is a space.
pub fn sparkline(points: &[Option<f64>], width: usize, ramp: &[char]) -> String {
    if width == 0 || points.is_empty() || ramp.is_empty() {
        return " ".repeat(width);
    }
    let cells: Vec<Option<f64>> = (0..width)
        .map(|cell| {
            let start = cell * points.len() / width;
            let end = ((cell + 1) * points.len() / width).max(start + 1).min(points.len());
            let known: Vec<f64> = points[start..end].iter().flatten().copied().filter(|v| v.is_finite()).collect();
            (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
        })
        .collect();
    let max = cells.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = cells.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let top = ramp.len() - 1;
    let flat = max <= 0.0 || (max - min) < 0.05 * max.abs();
    cells
        .iter()
        .map(|cell| match cell {
            None => ' ',
            Some(_) if max <= 0.0 => ramp[0],
            Some(_) if flat => ramp[top / 2],
            Some(v) => ramp[(((v - min) / (max - min)) * top as f64).round().clamp(0.0, top as f64) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAMP: &[char] = &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

    #[test]
    fn scales_between_the_series_minimum_and_maximum() {
        let points: Vec<Option<f64>> = [0.0, 1.0, 2.0, 7.0].iter().map(|v| Some(*v)).collect();
        assert_eq!(sparkline(&points, 4, RAMP), "▁▂▃█");
        let shifted: Vec<Option<f64>> = [100.0, 101.0, 102.0, 107.0].iter().map(|v| Some(*v)).collect();
        assert_eq!(sparkline(&shifted, 4, RAMP), "▁▂▃█");
    }

    #[test]
    fn steady_series_are_flat_and_idle_ones_low() {
        let steady: Vec<Option<f64>> = [100.0, 101.0, 99.0, 100.5].iter().map(|v| Some(*v)).collect();
        assert_eq!(sparkline(&steady, 4, RAMP), "▄▄▄▄");
        assert_eq!(sparkline(&[Some(0.0), Some(0.0)], 2, RAMP), "▁▁");
    }

    #[test]
    fn resamples_and_marks_gaps() {
        let points = vec![Some(1.0), Some(1.0), None, None, Some(2.0), Some(2.0)];
        assert_eq!(sparkline(&points, 3, RAMP), "▁ █");
        assert_eq!(sparkline(&points, 0, RAMP), "");
        assert_eq!(sparkline(&[], 3, RAMP), "   ");
    }

    #[test]
    fn stretches_short_series_over_wide_cells() {
        let points = vec![Some(1.0), Some(2.0)];
        assert_eq!(sparkline(&points, 4, RAMP).chars().count(), 4);
    }
}
