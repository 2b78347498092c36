//! The signal table: which observed behaviour measures which trait, how it is shrunk, its weight
//! and direction. `docs/psychology.md` justifies each choice.

use crate::traits::Trait;

/// How a signal is observed, hence how it is shrunk (see [`crate::shrink`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// k of n trials: beta-binomial.
    Share,
    /// x events over an exposure (sessions, purchase sessions): gamma-Poisson.
    Rate,
    /// Counts over categories: Dirichlet-multinomial, posterior expected Shannon entropy.
    Spread,
}

#[derive(Clone, Copy, Debug)]
pub struct SignalDef {
    pub id: &'static str,
    pub trait_: Trait,
    pub kind: Kind,
    /// Weight in the trait's average of percentiles.
    pub weight: f64,
    /// What the value is, to complete "71 % …" / "3.2 …".
    pub what_en: &'static str,
    pub what_zh: &'static str,
    /// The unit of the trials / exposure ("order lines", "sessions").
    pub unit_en: &'static str,
    pub unit_zh: &'static str,
    /// A supporting signal is used only alongside a primary signal of the same trait: alone it
    /// is too indirect to report the trait (e.g. buying best sellers, in orders-only data, is not
    /// evidence of social influence by itself).
    pub supporting: bool,
}

/// Supporting signals (see [`SignalDef::supporting`]).
const SUPPORTING: &[&str] = &["trending_line_share", "top_rated_line_share", "return_order_share", "review_order_share"];

const fn is_supporting(id: &str) -> bool {
    let mut i = 0;
    while i < SUPPORTING.len() {
        if const_eq(SUPPORTING[i], id) {
            return true;
        }
        i += 1;
    }
    false
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! signals {
    ($($konst:ident = $id:literal, $t:ident, $kind:ident, $w:literal, $en:literal, $zh:literal, $uen:literal, $uzh:literal;)*) => {
        signals!(@consts 0usize; $($konst)*);
        pub const SIGNALS: &[SignalDef] = &[
            $(SignalDef { id: $id, trait_: Trait::$t, kind: Kind::$kind, weight: $w, what_en: $en, what_zh: $zh, unit_en: $uen, unit_zh: $uzh, supporting: is_supporting($id) },)*
        ];
    };
    (@consts $n:expr; $first:ident $($rest:ident)*) => {
        pub const $first: usize = $n;
        signals!(@consts $n + 1usize; $($rest)*);
    };
    (@consts $n:expr;) => {
        pub const N_SIGNALS: usize = $n;
    };
}

signals! {
    DISCOUNT_LINES = "discount_line_share", PriceSensitivity, Share, 1.0,
        "of order lines bought below the regular price", "低于原价购买的订单行占比", "order lines", "条订单行";
    COUPON_ORDERS = "coupon_order_share", PriceSensitivity, Share, 1.0,
        "of orders used a coupon", "使用优惠券的订单占比", "orders", "个订单";
    COUPON_CLAIMS = "coupon_claims_per_session", PriceSensitivity, Rate, 0.5,
        "coupon claims per session", "每次访问领取优惠券次数", "sessions", "次访问";
    DEAL_PAGES = "deal_page_session_share", PriceSensitivity, Share, 0.5,
        "of sessions visited promotion, deal or coupon pages", "访问促销/优惠页面的访问占比", "sessions", "次访问";
    CAMPAIGN_ARRIVALS = "campaign_arrival_session_share", PriceSensitivity, Share, 0.5,
        "of sessions arrived from a campaign", "经营销活动进入的访问占比", "sessions", "次访问";
    SEARCH_ARRIVALS = "search_arrival_session_share", InfoSeeking, Share, 0.5,
        "of sessions arrived from a search engine", "经搜索进入的访问占比", "sessions", "次访问";
    VIEWS_PER_SESSION = "product_views_per_session", InfoSeeking, Rate, 0.5,
        "product views per session", "每次访问浏览商品次数", "sessions", "次访问";
    RESEARCH_PER_SESSION = "research_per_session", InfoSeeking, Rate, 1.0,
        "review reads, compares and searches per session", "每次访问阅读评价/对比/搜索次数", "sessions", "次访问";
    DEPTH_BEFORE_BUYING = "info_events_per_purchase_session", InfoSeeking, Rate, 0.5,
        "views, review reads, compares and searches per purchase session", "每次购买访问中的浏览/评价/对比/搜索次数", "purchase sessions", "次购买访问";
    REORDER_LINES = "reorder_line_share", Convenience, Share, 1.0,
        "of order lines (after the first order) re-buy a product bought before", "复购同一商品的订单行占比（首单之后）", "order lines", "条订单行";
    NO_CART = "no_cart_purchase_share", Convenience, Share, 1.0,
        "of purchase sessions bought without the cart", "未经购物车直接购买的访问占比", "purchase sessions", "次购买访问";
    APP_SESSIONS = "app_session_share", Convenience, Share, 1.0,
        "of sessions in the app or mini-program", "通过 App/小程序访问的占比", "sessions", "次访问";
    REORDER_PAGES = "reorder_page_session_share", Convenience, Share, 1.0,
        "of sessions used order history or buy-again pages", "使用历史订单/再次购买页面的访问占比", "sessions", "次访问";
    DIRECT_ARRIVALS = "direct_arrival_session_share", Convenience, Share, 0.5,
        "of sessions arrived directly (typed address, bookmark, app icon)", "直接进入的访问占比", "sessions", "次访问";
    APP_ORDERS = "app_order_share", Convenience, Share, 0.5,
        "of orders placed in the app or mini-program", "通过 App/小程序下单的订单占比", "orders", "个订单";
    QUICK_BUY = "quick_purchase_share", Convenience, Share, 1.0,
        "of purchase sessions bought faster than the shop's median time to buy", "购买用时短于全店中位数的访问占比", "purchase sessions", "次购买访问";
    COD_ORDERS = "cod_order_share", TrustConcern, Share, 1.0,
        "of orders paid cash on delivery", "货到付款订单占比", "orders", "个订单";
    PAYMENT_ABANDON = "payment_abandon_share", TrustConcern, Share, 1.0,
        "of sessions reaching payment ended without a purchase", "进入支付但未购买的访问占比", "payment sessions", "次支付访问";
    TRUST_PAGES = "trust_page_session_share", TrustConcern, Share, 1.0,
        "of sessions visited return-policy, security or FAQ pages", "访问退换货/安全/常见问题页面的访问占比", "sessions", "次访问";
    SUPPORT_CONTACTS = "support_contacts_per_session", TrustConcern, Rate, 0.5,
        "support contacts per session", "每次访问联系客服次数", "sessions", "次访问";
    TOP_RATED = "top_rated_line_share", TrustConcern, Share, 0.5,
        "of order lines are top-rated products", "购买高评分商品的订单行占比", "rated order lines", "条有评分的订单行";
    RETURNS = "return_order_share", TrustConcern, Share, 0.5,
        "of orders returned or with a return request", "退货或申请退货的订单占比", "orders", "个订单";
    SOCIAL_ARRIVALS = "social_arrival_session_share", SocialInfluence, Share, 1.0,
        "of sessions arrived via a share or referral", "经分享/推荐链接进入的访问占比", "sessions", "次访问";
    SHARES = "shares_per_session", SocialInfluence, Rate, 1.0,
        "shares and referral sign-ups per session", "每次访问分享/推荐注册次数", "sessions", "次访问";
    TRENDING = "trending_line_share", SocialInfluence, Share, 0.5,
        "of order lines are the week's best sellers", "购买当周热销商品的订单行占比", "order lines", "条订单行";
    REVIEWS_WRITTEN = "review_order_share", SocialInfluence, Share, 0.5,
        "of orders followed by a written review", "写评价的订单占比", "orders", "个订单";
    BESTSELLER_PAGES = "bestseller_page_session_share", SocialInfluence, Share, 0.5,
        "of sessions visited bestseller or trending pages", "访问热销/排行榜页面的访问占比", "sessions", "次访问";
    PURCHASE_SPREAD = "purchase_category_entropy", NoveltySeeking, Spread, 0.5,
        "category entropy of purchases (nats)", "购买品类熵（nats）", "order lines", "条订单行";
    VIEW_SPREAD = "view_category_entropy", NoveltySeeking, Spread, 1.0,
        "category entropy of browsing sessions (nats; a session counts its first viewed category)", "浏览品类熵（nats，每次访问计其首个浏览品类）", "browsing sessions", "次浏览访问";
    NEW_ARRIVALS = "new_arrival_line_share", NoveltySeeking, Share, 0.5,
        "of order lines are new arrivals", "购买新品的订单行占比", "order lines", "条订单行";
    NEW_ARRIVAL_PAGES = "new_arrival_page_session_share", NoveltySeeking, Share, 1.0,
        "of sessions visited new-arrival pages", "访问新品页面的访问占比", "sessions", "次访问";
}
