//! Self-contained HTML reports with inline SVG charts.
//!
//! * [`chart`]: SVG charts (histogram, bars, line/area, scatter, heatmap, treemap) generated in
//!   Rust, bilingual, escaped, responsive, and robust to empty and non-finite data.
//! * [`page`]: a generic report model ([`Report`] → [`Section`] → [`Block`]) and [`render`], which
//!   writes one HTML page with no network references: inline CSS, inline SVG, a little inline
//!   script for the zh/en toggle.
//! * [`value_sections`]: ready-made sections for the customer-value analysis, built from plain
//!   numbers.
//! * [`labels`]: Chinese and English names for RFM segments, time units and common words.
//! * [`format`]: numbers for people (thousands separators, percentages, money, `1.2万`).

pub mod chart;
pub mod demo;
pub mod format;
pub mod labels;
pub mod page;
mod stats;
pub mod text;
pub mod value_sections;

pub use chart::{ChartSpec, Svg};
pub use page::{render, Block, KeyFigure, Report, Section, Table};
pub use text::{Lang, Text};
