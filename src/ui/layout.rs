//! Where things go on screen. The reducer uses the same numbers (page size)
//! as the views, so paging always moves by exactly one screenful.

use ratatui::layout::Rect;

/// Header bar, view title line, body, footer.
pub struct Areas {
    pub header: Rect,
    pub title: Rect,
    pub body: Rect,
    pub footer: Rect,
}

pub fn split(area: Rect) -> Areas {
    let line = |y: u16| Rect { x: area.x, y, width: area.width, height: 1.min(area.height) };
    let header = line(area.y);
    let title = line(area.y + 1.min(area.height));
    let footer = line(area.y + area.height.saturating_sub(1));
    let body = Rect { x: area.x, y: area.y + 2, width: area.width, height: area.height.saturating_sub(3) };
    Areas { header, title, body, footer }
}

/// Rows of data the fleet table shows at terminal height `height`
/// (the body minus the column titles).
pub fn fleet_body_rows(height: u16) -> usize {
    height.saturating_sub(4) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_rows_match_the_split() {
        let areas = split(Rect::new(0, 0, 80, 24));
        assert_eq!(areas.body.height as usize - 1, fleet_body_rows(24));
        assert_eq!(areas.footer.y, 23);
        assert_eq!(fleet_body_rows(2), 0);
    }
}
