// Words of the tenant portal and the kiosk (en, zh-Hans). Supply states and reasons in plain
// words: the policy's machine strings (control/model.py) are the keys.

export type Language = "en" | "zh-Hans";
export const LANGUAGES: readonly Language[] = ["en", "zh-Hans"];

export interface Words {
  title: string;
  balance: string;
  daysLeft: (days: string) => string;
  noTenancy: string;
  supply: string;
  thisCycle: string;
  byMeter: string;
  energy: string;
  cost: string;
  freeLeft: string;
  priceNow: string;
  perKwh: string;
  usage30: string;
  topUps: string;
  noTopUps: string;
  statements: string;
  noStatements: string;
  view: string;
  download: string;
  cycleTo: (start: string, end: string) => string;
  buttons: Record<string, string>;
  confirm: Record<string, string>;
  cancel: string;
  done: Record<string, string>;
  pressFailed: string;
  updated: (time: string) => string;
  gone: string;
  tooMany: string;
  offline: string;
  states: Record<string, string>;
  reasons: Record<string, string>;
  methods: Record<string, string>;
  switchTo: string;
  emergencyOwed: (amount: string) => string;
  kiosk: string;
  payment: string;
  paymentReference: string;
  paymentTo: string;
  paymentScan: string;
}

const en: Words = {
  title: "Electricity",
  balance: "Balance",
  daysLeft: (days) => `about ${days} days of credit left`,
  noTenancy: "No tenancy in this room at the moment.",
  supply: "Supply",
  thisCycle: "This billing cycle",
  byMeter: "One balance pays for these meters",
  energy: "Energy used",
  cost: "Cost",
  freeLeft: "Free energy left",
  priceNow: "Price now",
  perKwh: "per kWh",
  usage30: "Daily use, last 30 days (kWh)",
  topUps: "Top-ups",
  noTopUps: "No top-ups yet.",
  statements: "Statements",
  noStatements: "No finished billing cycle yet.",
  view: "View",
  download: "Download",
  cycleTo: (start, end) => `${start} to ${end}`,
  buttons: {
    restore_after_warning: "Restore after warning",
    use_emergency_credit: "Use emergency credit",
  },
  confirm: {
    restore_after_warning: "Switch the supply back on? It will be cut again at cut-off.",
    use_emergency_credit: "Take the emergency credit? Your next top-up pays it back.",
  },
  cancel: "Cancel",
  done: {
    restore_after_warning: "The supply is being switched back on.",
    use_emergency_credit: "Emergency credit taken: the supply stays on.",
  },
  pressFailed: "That did not work:",
  updated: (time) => `Updated ${time}`,
  gone: "This link no longer works. Ask your landlord for the new one.",
  tooMany: "Too many attempts from this network. Wait a minute and reload.",
  offline: "Cannot reach the server; retrying.",
  states: {
    on: "On",
    low: "On, balance low",
    warning_cut: "Cut: warning level reached",
    cut_off: "Cut off",
    friendly_hold: "On (friendly hours, on credit)",
    scheduled_off: "Off by schedule",
    overload: "Off: overload",
    forced_off: "Switched off by the landlord",
    protected: "On (kept on by the landlord)",
    fault: "Fault: the switch does not answer",
  },
  reasons: {
    balance_ok: "Your balance is fine.",
    balance_low: "Your balance is low: top up soon.",
    warning_level_crossed:
      "Your balance reached the warning level, so the supply was cut once. You can switch it back on yourself.",
    warning_cut_deferred: "Your balance reached the warning level; the warning cut waits for friendly hours to end.",
    grace_period: "Your balance is used up; the supply stays on for a short grace period.",
    balance_exhausted: "Your balance is used up. A top-up switches the supply back on.",
    cut_off_due: "Your balance is used up; the landlord will switch the supply off.",
    friendly_hours:
      "Your balance is used up, but the supply stays on during friendly hours; what you use becomes debt.",
    schedule_off: "The room's supply schedule has it off now.",
    overload_tripped: "Too much power was drawn; the supply comes back on by itself shortly.",
    overload_locked: "Too much power was drawn too often; the landlord must switch it back on.",
    forced_off: "The landlord switched the supply off.",
    protected: "The landlord keeps the supply on whatever the balance.",
    actuator_fault: "The switch of this room does not answer; the landlord has been told.",
    vacant: "No tenancy: the supply is off.",
    vacant_preset: "No tenancy: the supply is on for the landlord's preset energy.",
  },
  methods: { cash: "cash", transfer: "transfer", card: "card", app: "app", other: "other" },
  switchTo: "中文",
  emergencyOwed: (amount) => `Emergency credit in use: ${amount}, paid back by the next top-up.`,
  kiosk: "Balances",
  payment: "Pay by bank transfer",
  paymentReference: "Put this reference on your bank transfer:",
  paymentTo: "To",
  paymentScan: "Or scan this code with your banking app (the reference is filled in; enter the amount).",
};

const zh: Words = {
  title: "电费",
  balance: "余额",
  daysLeft: (days) => `约可再用 ${days} 天`,
  noTenancy: "本房间目前没有租户。",
  supply: "供电",
  thisCycle: "本计费周期",
  byMeter: "同一余额支付以下电表",
  energy: "已用电量",
  cost: "电费",
  freeLeft: "剩余免费电量",
  priceNow: "当前电价",
  perKwh: "每千瓦时",
  usage30: "近 30 天每日用电（千瓦时）",
  topUps: "充值记录",
  noTopUps: "还没有充值。",
  statements: "账单",
  noStatements: "还没有结束的计费周期。",
  view: "查看",
  download: "下载",
  cycleTo: (start, end) => `${start} 至 ${end}`,
  buttons: {
    restore_after_warning: "预警断电后恢复供电",
    use_emergency_credit: "使用应急额度",
  },
  confirm: {
    restore_after_warning: "恢复供电吗？余额用尽时仍会断电。",
    use_emergency_credit: "使用应急额度吗？下次充值时会先扣回。",
  },
  cancel: "取消",
  done: {
    restore_after_warning: "正在恢复供电。",
    use_emergency_credit: "已使用应急额度，保持供电。",
  },
  pressFailed: "操作未成功：",
  updated: (time) => `更新于 ${time}`,
  gone: "此链接已失效，请向房东索取新链接。",
  tooMany: "此网络的尝试次数过多，请稍候一分钟再刷新。",
  offline: "无法连接服务器，正在重试。",
  states: {
    on: "供电中",
    low: "供电中，余额不足",
    warning_cut: "已断电：达到预警余额",
    cut_off: "已断电",
    friendly_hold: "供电中（友好时段，欠费使用）",
    scheduled_off: "按时间表断电",
    overload: "已断电：过载",
    forced_off: "房东已断电",
    protected: "供电中（房东保电）",
    fault: "故障：开关无响应",
  },
  reasons: {
    balance_ok: "余额充足。",
    balance_low: "余额不足，请尽快充值。",
    warning_level_crossed: "余额达到预警线，已断电一次。您可以自行恢复供电。",
    warning_cut_deferred: "余额达到预警线，预警断电将在友好时段结束后执行。",
    grace_period: "余额已用尽，宽限期内暂时保持供电。",
    balance_exhausted: "余额已用尽。充值后自动恢复供电。",
    cut_off_due: "余额已用尽，房东将断开供电。",
    friendly_hours: "余额已用尽，友好时段内保持供电，所用电量计为欠费。",
    schedule_off: "按本房间的供电时间表，现在不供电。",
    overload_tripped: "用电功率过大，稍后自动恢复供电。",
    overload_locked: "多次过载，需由房东恢复供电。",
    forced_off: "房东已断开供电。",
    protected: "房东设置为不论余额都保持供电。",
    actuator_fault: "本房间的开关无响应，已通知房东。",
    vacant: "无租户：不供电。",
    vacant_preset: "无租户：在房东预设电量内供电。",
  },
  methods: { cash: "现金", transfer: "转账", card: "刷卡", app: "应用", other: "其他" },
  switchTo: "English",
  emergencyOwed: (amount) => `正在使用应急额度 ${amount}，下次充值时扣回。`,
  kiosk: "余额一览",
  payment: "银行转账充值",
  paymentReference: "银行转账时请填写此参考号：",
  paymentTo: "收款人",
  paymentScan: "或用银行 App 扫描此二维码（已填入参考号，请输入金额）。",
};

export const WORDS: Record<Language, Words> = { en, "zh-Hans": zh };

const STORED = "prepaid-power-language";

/** The language chosen on this device before, else the browser's. */
export function initialLanguage(): Language {
  const stored = localStorage.getItem(STORED);
  if (stored === "en" || stored === "zh-Hans") return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return lower.includes("hant") || lower.endsWith("-tw") || lower.endsWith("-hk") ? "en" : "zh-Hans";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

export function rememberLanguage(language: Language): void {
  localStorage.setItem(STORED, language);
}
