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
//! * [`demo`]: a complete sample report from synthetic data (`examples/sample_report.rs`).
//!
//! ```
//! use xinli_report::chart::{self, ChartSpec};
//! use xinli_report::{render, value_sections as vs, Block, Lang, Report, Section, Text};
//!
//! let mut custom = Section::new("reviews", Text::new("评价", "Reviews"));
//! let spec = ChartSpec::new(Text::new("评分分布", "Rating distribution")).x_label(Text::new("评分", "Rating"));
//! custom.push(Block::chart(chart::histogram(&spec, &[4.0, 5.0, 5.0, 3.0], 5), Text::new("示例", "Example")));
//! let report = Report::new(Text::new("客户价值分析报告", "Customer value report"))
//!     .generated_at("2024-05-01 14:03 UTC")
//!     .section(vs::pareto(&[120.0, 80.0, 5.0, 1.0], "¥"))
//!     .section(custom);
//! let html = render(&report, Lang::Zh);
//! assert!(html.contains("<svg") && !html.contains("https://"));
//! ```

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
