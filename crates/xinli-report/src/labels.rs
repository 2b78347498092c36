//! Chinese and English names for the things reports talk about.

use crate::text::Text;
use xinli_core::TimeUnit;

/// The RFM segment keys, best to worst.
pub const SEGMENTS: [&str; 8] = ["Champions", "Loyal", "Potential loyalist", "New", "At risk", "Can't lose", "Hibernating", "Lost"];

fn canonical(key: &str) -> String {
    key.trim().to_ascii_lowercase().replace(['_', '-'], " ").replace('’', "'")
}

/// The bilingual name of an RFM segment, from its English key (case-insensitive; `_`/`-` count as
/// spaces). Unknown keys are shown as they are in both languages.
pub fn segment(key: &str) -> Text {
    let zh = match canonical(key).as_str() {
        "champions" | "champion" => "冠军客户",
        "loyal" | "loyal customers" => "忠诚客户",
        "potential loyalist" | "potential loyalists" => "潜力客户",
        "new" | "new customers" | "recent customers" => "新客户",
        "promising" => "有望客户",
        "need attention" | "needs attention" => "需要关注",
        "about to sleep" => "即将沉睡",
        "at risk" => "流失风险",
        "can't lose" | "cant lose" | "can't lose them" | "cannot lose" => "不能失去",
        "hibernating" => "沉睡客户",
        "lost" => "已流失",
        _ => return Text::same(key),
    };
    Text::new(zh, key)
}

/// A colour per RFM segment (greens for the best, reds for those slipping away, greys for the
/// gone), readable with white text on top. Unknown segments get a palette colour.
pub fn segment_color(key: &str, fallback_index: usize) -> &'static str {
    match canonical(key).as_str() {
        "champions" | "champion" => "#047857",
        "loyal" | "loyal customers" => "#059669",
        "potential loyalist" | "potential loyalists" => "#0891b2",
        "new" | "new customers" | "recent customers" => "#2563eb",
        "promising" => "#4f46e5",
        "need attention" | "needs attention" => "#ca8a04",
        "about to sleep" => "#d97706",
        "at risk" => "#ea580c",
        "can't lose" | "cant lose" | "can't lose them" | "cannot lose" => "#dc2626",
        "hibernating" => "#6b7280",
        "lost" => "#4b5563",
        _ => crate::chart::palette(fallback_index),
    }
}

/// What a segment is and what to do about it, for shop owners.
pub fn segment_advice(key: &str) -> Option<Text> {
    let (zh, en) = match canonical(key).as_str() {
        "champions" | "champion" => ("最近买过、买得多、花得多。奖励他们，邀请试用新品、撰写评价。", "Bought recently, often and a lot. Reward them; invite them to try new products and write reviews."),
        "loyal" | "loyal customers" => ("经常购买、消费稳定。推荐高价值商品，提供会员权益。", "Buy regularly and spend steadily. Upsell higher-value products; offer loyalty perks."),
        "potential loyalist" | "potential loyalists" => ("近期客户，已买过几次。提供会员计划和个性化推荐。", "Recent customers with a few purchases. Offer membership and personalised recommendations."),
        "new" | "new customers" | "recent customers" => ("刚完成首单。做好新客引导，促成第二次购买。", "Just made their first purchase. Onboard them well and encourage a second order."),
        "at risk" => ("曾经经常购买，但已有一段时间没来。发送个性化召回信息和优惠。", "Used to buy often but haven't for a while. Send personalised win-back messages and offers."),
        "can't lose" | "cant lose" | "can't lose them" | "cannot lose" => ("曾是高价值客户，但很久没有购买。优先联系，了解原因。", "Once high-value, long gone quiet. Reach out first and find out why."),
        "hibernating" => ("很久以前少量购买。用低成本方式唤醒，或提供相关新品信息。", "Bought a little, long ago. Wake them with low-cost campaigns or relevant new products."),
        "lost" => ("最近度、频率和金额都最低。一般不值得投入太多营销成本。", "Lowest recency, frequency and spend. Usually not worth much marketing spend."),
        _ => return None,
    };
    Some(Text::new(zh, en))
}

/// The bilingual plural name of a time unit: 天 / days, 周 / weeks.
pub fn time_unit(unit: TimeUnit) -> Text {
    match unit {
        TimeUnit::Days => Text::new("天", "days"),
        TimeUnit::Weeks => Text::new("周", "weeks"),
    }
}

/// Yes / no.
pub fn yes_no(b: bool) -> Text {
    if b {
        Text::new("是", "yes")
    } else {
        Text::new("否", "no")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_is_translated() {
        for s in SEGMENTS {
            let t = segment(s);
            assert!(t.is_bilingual(), "{s}");
            assert_eq!(t.en, s);
            assert!(segment_advice(s).is_some(), "{s}");
            assert!(segment_color(s, 0).starts_with('#'));
        }
        assert_eq!(segment("champions").zh, "冠军客户");
        assert_eq!(segment("AT_RISK").zh, "流失风险");
        assert_eq!(segment("Can’t lose").zh, "不能失去");
        assert_eq!(segment("Whales"), Text::same("Whales"));
    }
}
