//! The insight page's chart of questions per day, drawn by the server as inline SVG: a bar a
//! day, stacked by what became of the day's questions, with no script and no library (the
//! page's Content-Security-Policy allows no inline script anyway).

use maud::{Markup, html};

use crate::conversation::DayCounts;

/// The drawing's height, and each day's width, in its own units; it is scaled to the page.
const HEIGHT: i64 = 120;
const DAY_WIDTH: i64 = 10;

/// The colours of the answered, unanswered and handed-off parts of a bar.
pub(super) const COLOURS: [&str; 3] = ["#0f62fe", "#da1e28", "#8a3ffc"];

/// A bar for each of the `days` consecutive days from `first` (days with no row in `counts`
/// stay empty), titled `title`; `labels` name a bar's parts, for its tooltip.
pub(super) fn per_day(
    title: &str,
    labels: &[String; 3],
    first: i64,
    days: i64,
    counts: &[DayCounts],
) -> Markup {
    let most = counts
        .iter()
        .map(|c| c.answered + c.unanswered + c.handed_off)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = days * DAY_WIDTH;
    html! {
        svg.chart role="img" aria-label=(title) viewBox={ "0 0 " (width) " " (HEIGHT) }
            preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1="0" y1=(HEIGHT) x2=(width) y2=(HEIGHT) stroke="#8d8d8d" stroke-width="1" {}
            @for day in counts.iter().filter(|c| (first..first + days).contains(&c.day)) {
                @let x = (day.day - first) * DAY_WIDTH + 1;
                @let parts = [day.answered, day.unanswered, day.handed_off];
                g {
                    title {
                        @for (n, (label, count)) in labels.iter().zip(parts).enumerate() {
                            @if n > 0 { ", " }
                            (label) " " (count)
                        }
                    }
                    @for (top, height, colour) in stacked(parts, most) {
                        rect x=(x) y=(top) width=(DAY_WIDTH - 2) height=(height) fill=(colour) {}
                    }
                }
            }
        }
    }
}

/// Each non-empty part of a bar as (top, height, colour), from the bottom up, scaled so that
/// `most` questions fill the height.
fn stacked(parts: [i64; 3], most: i64) -> Vec<(i64, i64, &'static str)> {
    let mut bottom = HEIGHT;
    let mut below = 0;
    let mut drawn = Vec::new();
    for (count, colour) in parts.into_iter().zip(COLOURS) {
        if count == 0 {
            continue;
        }
        below += count;
        // Rounded from the running total, so that the parts add up to the bar's height.
        let top = HEIGHT - (below * HEIGHT + most / 2) / most;
        drawn.push((top, bottom - top, colour));
        bottom = top;
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_day_fills_the_height_and_parts_stack() {
        assert_eq!(
            stacked([2, 1, 1], 4),
            vec![
                (60, 60, COLOURS[0]),
                (30, 30, COLOURS[1]),
                (0, 30, COLOURS[2])
            ]
        );
        assert_eq!(stacked([0, 1, 0], 4), vec![(90, 30, COLOURS[1])]);
    }
}
