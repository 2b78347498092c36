//! xinli's domain types.
//!
//! Everything the analysis core touches is built here, once, at the edge (the importers):
//! identifiers that are never empty, timestamps that are always valid UTC instants, money
//! that is always finite. The core never sees raw strings.

mod ids;
mod money;
mod records;
mod time;

pub use ids::{CampaignId, Category, CustomerId, IdError, OrderId, ProductId, ReviewId};
pub use money::{Money, MoneyError, Quantity};
pub use records::{
    CampaignTouch, Customer, Event, EventType, Gender, Language, OrderLine, OrderStatus, Product,
    Review, Shop, Subject, Transaction,
};
pub use time::{TimeUnit, Timestamp, TimestampError};
