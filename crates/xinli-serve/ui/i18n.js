// Every label of the dashboard in Chinese and English, and locale formatting of numbers and
// dates. The language is kept in localStorage; `t(key)` reads the current one.

const TEXT = {
  title: ['心理 · 客户洞察', 'xinli · customer insight'],
  nav_overview: ['总览', 'Overview'],
  nav_psychology: ['心理', 'Psychology'],
  nav_value: ['价值', 'Value'],
  nav_voice: ['客户之声', 'Voice of customer'],
  nav_customer: ['客户 360', 'Customer 360'],
  nav_segments: ['分群', 'Segments'],
  lang_switch: ['English', '中文'],
  logout: ['退出', 'Sign out'],
  login_title: ['登录仪表盘', 'Sign in to the dashboard'],
  login_help: ['输入 API 密钥（analyst 或 admin 角色）。密钥只保存在本标签页中。', 'Enter an API key (analyst or admin role). It is kept in this tab only.'],
  login_key: ['API 密钥', 'API key'],
  login_button: ['登录', 'Sign in'],
  login_failed: ['密钥无效或已吊销', 'Unknown or revoked key'],
  loading: ['加载中…', 'Loading…'],
  no_analysis: ['尚无分析结果。运行 xinli analyze --db … 写回评分后，这里会显示图表。', 'No analysis yet. Run xinli analyze --db … to write the scores back; the charts appear here.'],
  as_of: ['数据截至', 'Data as of'],
  run: ['分析批次', 'Analysis run'],
  kpi_customers: ['客户数', 'Customers'],
  kpi_active: ['活跃客户', 'Active customers'],
  kpi_active_note: ['P(存活) ≥ 50%', 'P(alive) ≥ 50%'],
  kpi_repeat: ['复购率', 'Repeat rate'],
  kpi_revenue: ['销售额', 'Revenue'],
  kpi_clv: ['预测 12 个月 CLV', 'Predicted 12-month CLV'],
  kpi_churn: ['高流失风险', 'High churn risk'],
  kpi_churn_note: ['流失风险 ≥ 50%', 'churn risk ≥ 50%'],
  trends: ['趋势（按月）', 'Trends (monthly)'],
  trend_customers: ['客户', 'customers'],
  trend_active: ['活跃', 'active'],
  trend_revenue: ['销售额', 'revenue'],
  trend_repeat: ['复购率', 'repeat rate'],
  persona_mix: ['人格画像分布', 'Persona mix'],
  rfm_grid: ['RFM 网格（点击查看客户）', 'RFM grid (click a cell for its members)'],
  rfm_r: ['最近度 R', 'Recency R'],
  rfm_f: ['频率 F', 'Frequency F'],
  members: ['客户名单', 'Members'],
  members_of: ['客户名单：', 'Members: '],
  total: ['共', 'total'],
  prev: ['上一页', 'Previous'],
  next: ['下一页', 'Next'],
  col_customer: ['客户', 'Customer'],
  col_persona: ['人格', 'Persona'],
  col_segment: ['RFM 分群', 'RFM segment'],
  col_clv: ['CLV', 'CLV'],
  col_churn: ['流失风险', 'Churn risk'],
  col_spend: ['累计消费', 'Total spend'],
  col_orders: ['订单', 'Orders'],
  col_action: ['下一步最佳行动', 'Next best action'],
  col_customers: ['客户数', 'Customers'],
  col_value_at_stake: ['风险价值', 'Value at stake'],
  col_stage: ['旅程阶段', 'Journey stage'],
  // The customer 360 shows both: the batch analysis's stage (as of its date) and the one the
  // live profile computes now; they differ when the customer acted since the analysis.
  stage_at_analysis: ['旅程阶段（截至上次分析）', 'Journey stage (at last analysis)'],
  stage_live: ['旅程阶段（实时）', 'Journey stage (live)'],
  col_last_seen: ['最近活动', 'Last seen'],
  trait_distributions: ['六大心理特质分布', 'Trait distributions'],
  unknown: ['未知', 'unknown'],
  persona_segment: ['人格 × 分群：价值与行动', 'Persona × segment: value and action'],
  journey_stages: ['决策旅程阶段', 'Decision-journey stages'],
  funnel: ['转化漏斗与流失', 'Journey funnel and drop-off'],
  drop_off: ['流失', 'drop-off'],
  barriers: ['主要购买障碍', 'Main barriers'],
  churn_drivers: ['流失驱动因素', 'Churn drivers'],
  odds_ratio: ['优势比', 'odds ratio'],
  clv_distribution: ['CLV 分布', 'CLV distribution'],
  palive_recency: ['P(存活) 与距上次购买天数', 'P(alive) vs days since last purchase'],
  days_since: ['距上次购买（天）', 'days since last purchase'],
  p_alive: ['P(存活)', 'P(alive)'],
  cohort_heatmap: ['同期群留存', 'Cohort retention'],
  cohort: ['同期群', 'cohort'],
  month_n: ['第 N 月', 'month N'],
  pareto: ['帕累托曲线', 'Pareto curve'],
  pareto_x: ['客户占比（按价值排序）', 'share of customers (by value)'],
  pareto_y: ['销售额占比', 'share of revenue'],
  value_tiers: ['价值分层', 'Value tiers'],
  sentiment_trend: ['情感趋势', 'Sentiment trend'],
  positive: ['正面', 'positive'],
  negative: ['负面', 'negative'],
  avg_rating: ['平均评分', 'average rating'],
  aspects: ['评价维度', 'Aspects'],
  share_negative: ['负面占比', 'share negative'],
  mentions: ['提及', 'mentions'],
  emotions: ['情绪', 'Emotions'],
  ratings: ['评分分布', 'Ratings'],
  complaints: ['投诉队列', 'Complaint queue'],
  severity: ['严重度', 'Severity'],
  text: ['内容', 'Text'],
  rating: ['评分', 'Rating'],
  date: ['日期', 'Date'],
  search_placeholder: ['客户 ID、邮箱或电话', 'customer id, email or phone'],
  search: ['搜索', 'Search'],
  no_match: ['没有找到客户', 'No customer found'],
  profile: ['档案', 'Profile'],
  pii: ['个人信息', 'Personal data'],
  pii_masked: ['（仅管理员可见完整信息）', '(shown in full to admins only)'],
  traits_evidence: ['心理特质与证据', 'Traits with evidence'],
  evidence: ['证据', 'Evidence'],
  percentile: ['百分位', 'percentile'],
  shop_median: ['店铺中位数', 'shop median'],
  timeline: ['时间线', 'Timeline'],
  event: ['事件', 'event'],
  order: ['订单', 'order'],
  review: ['评价', 'review'],
  nba: ['下一步最佳行动', 'Next best action'],
  recommendations: ['推荐商品', 'Recommendations'],
  product: ['商品', 'Product'],
  score: ['得分', 'Score'],
  reason: ['理由', 'Reason'],
  not_scored: ['此客户尚无分析评分', 'This customer has no analysis scores yet'],
  segments_title: ['分群', 'Segments'],
  seg_name: ['名称', 'Name'],
  seg_expression: ['表达式', 'Expression'],
  seg_description: ['说明', 'Description'],
  seg_save: ['保存分群', 'Save segment'],
  seg_update: ['更新分群', 'Update segment'],
  seg_new: ['新建', 'New'],
  seg_delete: ['删除', 'Delete'],
  seg_live_size: ['实时人数', 'Live size'],
  seg_preview: ['预览', 'Preview'],
  seg_estimate: ['估计值：按 {n} 位客户的抽样计算（journey_stage 由服务器逐个计算）。', 'Estimate from a sample of {n} customers (journey_stage is evaluated customer by customer).'],
  seg_counting: ['正在后台精确计数…', 'Counting exactly in the background…'],
  seg_saved: ['已保存', 'Saved'],
  seg_size: ['人数', 'Size'],
  seg_history: ['人数变化', 'Size over time'],
  seg_members: ['成员', 'Members'],
  seg_admin_only: ['保存分群需要 admin 密钥', 'Saving a segment needs an admin key'],
  seg_help: ['例：orders >= 2 且 journey_stage = "dormant"；支持 and/or/not（且/或/非）、in [..]、between、is null', 'e.g. orders >= 2 and journey_stage = "dormant"; and/or/not (且/或/非), in [..], between, is null'],
  seg_list: ['已有分群', 'Saved segments'],
  error: ['出错了', 'Something went wrong'],
  line: ['行', 'line'],
  column: ['列', 'column'],
  count: ['数量', 'count'],
  first_seen: ['首次出现', 'First seen'],
  consent: ['授权', 'Consent'],
  identities: ['身份标识', 'Identities'],
};

const LABELS = {
  persona: {
    price_sensitive: ['价格敏感型', 'Price-sensitive'], info_seeker: ['信息搜索型', 'Information seeker'],
    convenience_seeker: ['便利优先型', 'Convenience seeker'], trust_seeker: ['信任关注型', 'Trust seeker'],
    socially_influenced: ['社交影响型', 'Socially influenced'], novelty_seeker: ['求新尝鲜型', 'Novelty seeker'],
    balanced: ['均衡型', 'Balanced'],
  },
  segment: {
    'Champions': ['冠军客户', 'Champions'], 'Loyal': ['忠诚客户', 'Loyal'], 'Potential loyalist': ['潜力客户', 'Potential loyalist'],
    'New': ['新客户', 'New'], 'At risk': ['流失风险', 'At risk'], "Can't lose": ['不能失去', "Can't lose"],
    'Hibernating': ['沉睡客户', 'Hibernating'], 'Lost': ['已流失', 'Lost'],
  },
  stage: {
    need_recognition: ['需求识别', 'Need recognition'], information_search: ['信息搜索', 'Information search'],
    evaluation: ['方案评估', 'Evaluation'], purchase: ['购买', 'Purchase'], post_purchase: ['购后', 'Post-purchase'],
    dormant: ['沉睡', 'Dormant'],
  },
  trait: {
    price_sensitivity: ['价格敏感', 'Price sensitivity'], info_seeking: ['信息搜索', 'Information seeking'],
    convenience: ['便利偏好', 'Convenience'], trust_concern: ['信任关注', 'Trust concern'],
    social_influence: ['社交影响', 'Social influence'], novelty_seeking: ['求新', 'Novelty seeking'],
  },
  barrier: {
    quality: ['质量', 'Quality'], price: ['价格', 'Price'], trust: ['信任', 'Trust'], logistics: ['物流', 'Logistics'],
    service: ['服务', 'Service'], range: ['品类', 'Product range'],
  },
  action: {
    vip_care: ['VIP 专属关怀', 'VIP care'], service_recovery: ['客服回访与补偿', 'Service recovery'],
    delivery_guarantee: ['准时达承诺', 'On-time delivery promise'], quality_assurance: ['品质保障', 'Quality assurance'],
    trust_reassurance: ['正品保障、货到付款、退换无忧', 'Guarantees, cash on delivery, easy returns'],
    price_drop_alert: ['降价提醒与优惠券', 'Price-drop alerts and coupons'],
    range_suggestions: ['相近商品推荐与到货通知', 'Similar picks and back-in-range alerts'], win_back: ['召回关怀', 'Win-back'],
    onboarding: ['新客引导', 'Onboarding'], first_purchase_offer: ['首单礼', 'First-purchase offer'],
    detailed_content: ['详细内容与对比', 'Detailed content and comparisons'], subscription: ['订阅自动补货', 'Subscribe and save'],
    one_click_reorder: ['一键复购', 'One-click reorder'], referral_invite: ['邀请好友与拼团', 'Referral and group-buy invitation'],
    new_arrival_picks: ['新品精选', 'New-arrival picks'], nurture: ['常规关怀', 'Regular newsletter'],
  },
  tier: { high: ['高价值', 'High value'], mid: ['中价值', 'Mid value'], low: ['低价值', 'Low value'] },
  funnel: {
    page_view: ['浏览页面', 'Page view'], search: ['搜索', 'Search'], product_view: ['浏览商品', 'Product view'],
    add_to_cart: ['加入购物车', 'Add to cart'], checkout_start: ['开始结算', 'Checkout'], payment_start: ['开始支付', 'Payment'],
    purchase: ['购买', 'Purchase'],
  },
  emotion: {
    joy: ['喜悦', 'joy'], anger: ['愤怒', 'anger'], sadness: ['失望', 'sadness'], surprise: ['惊讶', 'surprise'],
    fear: ['担忧', 'fear'], disgust: ['厌恶', 'disgust'], neutral: ['中性', 'neutral'], trust: ['信任', 'trust'],
  },
  aspect: {
    quality: ['质量', 'quality'], logistics: ['物流', 'logistics'], service: ['服务', 'service'], price: ['价格', 'price'],
    packaging: ['包装', 'packaging'], description: ['描述相符', 'as described'], usability: ['使用体验', 'usability'],
  },
  kind: { event: ['事件', 'event'], order: ['订单', 'order'], review: ['评价', 'review'] },
};

let lang = (() => {
  try { return localStorage.getItem('xinli.lang') === 'en' ? 'en' : 'zh'; } catch { return 'zh'; }
})();

export function currentLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('xinli.lang', lang); } catch { /* private mode: the choice lasts this page only */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

const pick = (pair) => pair[lang === 'zh' ? 0 : 1];

/** The label of `key` in the current language (the key itself when unknown). */
export function t(key) {
  const pair = TEXT[key];
  return pair ? pick(pair) : key;
}

/** The name of a data value (a persona key, an RFM segment, …); unknown values as they are. */
export function label(kind, value) {
  if (value === null || value === undefined || value === '') return t('unknown');
  const pair = LABELS[kind] && LABELS[kind][value];
  return pair ? pick(pair) : String(value);
}

/** A server error `{error, error_zh}` in the current language. */
export function errorText(e) {
  if (e && typeof e === 'object') return (lang === 'zh' ? e.error_zh : e.error) || e.error || t('error');
  return String(e);
}

const locale = () => (lang === 'zh' ? 'zh-CN' : 'en-US');

export function fmtInt(x) {
  return x === null || x === undefined ? '–' : new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(x);
}

export function fmtNum(x, digits = 2) {
  return x === null || x === undefined ? '–' : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(x);
}

export function fmtPct(x, digits = 1) {
  return x === null || x === undefined ? '–'
    : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits, minimumFractionDigits: digits }).format(x);
}

/** Money without a currency (shops differ): compact above ten thousand (万 / K, M). */
export function fmtMoney(x) {
  if (x === null || x === undefined) return '–';
  const compact = Math.abs(x) >= 10000;
  return new Intl.NumberFormat(locale(), { notation: compact ? 'compact' : 'standard', maximumFractionDigits: compact ? 1 : 2 }).format(x);
}

export function fmtCompact(x) {
  return x === null || x === undefined ? '–' : new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 }).format(x);
}

/** A date from milliseconds since the epoch or an ISO string. */
export function fmtDate(v) {
  if (v === null || v === undefined || v === '') return '–';
  const d = typeof v === 'number' ? new Date(v) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

export function fmtDateTime(ms) {
  if (ms === null || ms === undefined) return '–';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(ms));
}

/** A month `YYYY-MM` in the locale's short form. */
export function fmtMonth(ym) {
  const m = /^(\d{4})-(\d{2})/.exec(String(ym));
  if (!m) return String(ym);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(Date.UTC(+m[1], +m[2] - 1, 1));
}
