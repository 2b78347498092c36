//! MBG/NBD (Batislam, Denizel & Filiztekin 2007, *International Journal of Research in Marketing*
//! 24(3), 201–209). It shares the BG/NBD likelihood machinery (see [`crate::bgnbd`], variant k = 1):
//!
//! L = B(a, b+x+1)/B(a,b) · Γ(r+x) αʳ / (Γ(r) (α+T)^{r+x}) + B(a+1, b+x)/B(a,b) · Γ(r+x) αʳ / (Γ(r) (α+t_x)^{r+x}),
//!
//! the second term present for every customer (dropout is possible right after the first purchase).

pub use crate::bgnbd::MbgNbd;
