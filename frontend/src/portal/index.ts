// The tenant portal (one room, behind its private link) and the kiosk (chosen rooms'
// balances). The page is a static shell from custom_components/prepaid_power/portal.py; the
// token is the page's own address, so every request goes to `location.pathname + ...`.
import { LitElement, css, html, svg, nothing, type TemplateResult } from "lit";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import { WORDS, initialLanguage, rememberLanguage, type Language, type Words } from "../common/portal-i18n";

interface Supply {
  state: string | null;
  reason: string | null;
  on: boolean | null;
}

interface RoomData {
  kind: "room";
  room: string;
  tenant: string | null;
  currency: string;
  occupied: boolean;
  balance: string | null;
  live_balance: string | null;
  days_of_credit_left: string | null;
  energy_this_cycle_kwh: string | null;
  cost_this_cycle: string | null;
  // A shared account's meters (empty for a room with its own account).
  meters: { room: string; energy_this_cycle_kwh: string | null; cost_this_cycle: string | null }[];
  allowance_left_kwh: string | null;
  has_allowance: boolean;
  price: string | null;
  emergency_credit_outstanding: string | null;
  supply: Supply;
  buttons: string[];
  csrf: string;
  refresh_seconds: number;
  top_ups: { at: string; amount: string; method: string | null }[];
  statements: { cycle: string; last_day: string }[];
  daily_usage: { date: string; kwh: string }[];
  // The room's payment reference and, with the landlord's payee, the EPC QR code (SVG made
  // by the integration with segno: no text of anyone in it).
  payment: {
    reference: string | null;
    payee: string | null;
    iban: string | null;
    bic: string | null;
    qr_svg: string | null;
  } | null;
}

interface KioskData {
  kind: "kiosk";
  name: string | null;
  refresh_seconds: number;
  rooms: {
    room: string;
    currency: string;
    live_balance: string | null;
    days_of_credit_left: string | null;
    supply: Supply;
  }[];
}

type Problem = "gone" | "tooMany" | "offline" | null;

const base = location.pathname.replace(/\/+$/, "");

const shared = css`
  :host {
    display: block;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Noto Sans CJK SC", sans-serif;
    color: #1c1c1e;
    background: #f2f2f7;
    min-height: 100vh;
    padding: 12px;
    box-sizing: border-box;
    max-width: 560px;
    margin: 0 auto;
  }
  header {
    display: flex;
    justify-content: space-between;
    align-items: center;
    margin: 4px 2px 12px;
  }
  h1 {
    font-size: 1.3rem;
    margin: 0;
  }
  h2 {
    font-size: 0.95rem;
    margin: 0 0 8px;
    color: #3a3a3c;
  }
  .card {
    background: #fff;
    border-radius: 14px;
    padding: 14px 16px;
    margin-bottom: 12px;
    box-shadow: 0 1px 2px rgba(0, 0, 0, 0.06);
  }
  .big {
    font-size: 2.2rem;
    font-weight: 650;
    letter-spacing: -0.02em;
  }
  .muted {
    color: #6c6c70;
    font-size: 0.9rem;
  }
  .lang {
    border: 1px solid #c7c7cc;
    background: #fff;
    border-radius: 999px;
    padding: 6px 12px;
    font: inherit;
    font-size: 0.9rem;
  }
  .dot {
    display: inline-block;
    width: 12px;
    height: 12px;
    border-radius: 50%;
    margin-right: 8px;
    vertical-align: middle;
    background: #8e8e93;
  }
  .dot.on {
    background: #34c759;
  }
  .dot.off {
    background: #ff3b30;
  }
  .problem {
    background: #fff4e5;
    color: #8a4b00;
  }
`;

function supplyDot(supply: Supply): string {
  return supply.on === true ? "dot on" : supply.on === false ? "dot off" : "dot";
}

abstract class PortalBase<T extends { refresh_seconds: number }> extends LitElement {
  static override properties = {
    data: { state: true },
    language: { state: true },
    problem: { state: true },
    updatedAt: { state: true },
  };

  data: T | null = null;
  language: Language = initialLanguage();
  problem: Problem = null;
  updatedAt: Date | null = null;
  private timer: number | undefined;

  get words(): Words {
    return WORDS[this.language];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.documentElement.lang = this.language;
    document.body.style.margin = "0";
    document.body.style.background = "#f2f2f7";
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    let next = 30;
    try {
      const response = await fetch(`${base}/data?lang=${encodeURIComponent(this.language)}`, {
        cache: "no-store",
        credentials: "omit",
      });
      if (response.status === 404) {
        // Rotated or revoked: the page ends here and stops asking.
        this.data = null;
        this.problem = "gone";
        return;
      }
      if (response.status === 429) {
        this.problem = "tooMany";
        next = Number(response.headers.get("Retry-After") ?? "60");
      } else if (!response.ok) {
        this.problem = "offline";
      } else {
        this.data = (await response.json()) as T;
        this.problem = null;
        this.updatedAt = new Date();
        next = this.data.refresh_seconds;
      }
    } catch {
      this.problem = "offline";
    }
    this.timer = window.setTimeout(() => void this.refresh(), next * 1000);
  }

  switchLanguage(): void {
    this.language = this.language === "en" ? "zh-Hans" : "en";
    rememberLanguage(this.language);
    document.documentElement.lang = this.language;
    void this.refresh();
  }

  header(title: string): TemplateResult {
    return html`<header>
      <h1>${title}</h1>
      <button class="lang" data-pp="lang" @click=${() => this.switchLanguage()}>${this.words.switchTo}</button>
    </header>`;
  }

  problemCard(): TemplateResult | typeof nothing {
    return this.problem ? html`<div class="card problem" role="alert">${this.words[this.problem]}</div>` : nothing;
  }
}

export class PrepaidPowerPortal extends PortalBase<RoomData> {
  static override properties = {
    ...PortalBase.properties,
    message: { state: true },
    busy: { state: true },
    pending: { state: true },
  };

  static override styles = [
    shared,
    css`
      .reference {
        font-size: 1.4rem;
        font-weight: 650;
        letter-spacing: 0.04em;
        margin: 4px 0 8px;
        user-select: all;
      }
      .qr svg {
        display: block;
        width: 180px;
        height: 180px;
        margin: 8px auto 0;
      }
      .row {
        display: flex;
        justify-content: space-between;
        padding: 6px 0;
        border-bottom: 1px solid #f2f2f7;
      }
      .row:last-child {
        border-bottom: 0;
      }
      .actions button {
        display: block;
        width: 100%;
        font: inherit;
        font-size: 1.05rem;
        padding: 14px;
        margin-top: 8px;
        border-radius: 12px;
        border: 0;
        background: #007aff;
        color: #fff;
      }
      .actions button.secondary {
        background: #e5e5ea;
        color: #1c1c1e;
      }
      .actions button[disabled] {
        opacity: 0.5;
      }
      .message {
        margin-top: 10px;
      }
      svg {
        width: 100%;
        height: 120px;
        display: block;
      }
      .bar {
        fill: #007aff;
      }
      .axis {
        fill: #6c6c70;
        font-size: 9px;
      }
      a {
        color: #007aff;
        margin-left: 12px;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
      }
    `,
  ];

  message: string | null = null;
  busy = false;
  // The button whose confirmation is shown (a second tap presses it).
  pending: string | null = null;

  async press(button: string): Promise<void> {
    const words = this.words;
    this.pending = null;
    if (!this.data) return;
    this.busy = true;
    this.message = null;
    try {
      const response = await fetch(`${base}/press?lang=${encodeURIComponent(this.language)}`, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "X-Portal-CSRF": this.data.csrf },
        body: JSON.stringify({ button }),
      });
      const answer = (await response.json().catch(() => ({}))) as { message?: string; error?: string };
      if (response.status === 404) {
        this.problem = "gone";
        this.data = null;
        return;
      }
      this.message = response.ok ? (words.done[button] ?? "") : `${words.pressFailed} ${answer.message ?? answer.error ?? response.status}`;
    } catch {
      this.message = `${words.pressFailed} ${words.offline}`;
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  chart(days: RoomData["daily_usage"]): TemplateResult {
    const width = 300;
    const height = 110;
    const values = days.map((d) => Number(d.kwh));
    const top = Math.max(...values, 0.001);
    const step = width / Math.max(days.length, 1);
    return html`<svg viewBox="0 0 ${width} ${height + 12}" role="img" aria-label=${this.words.usage30}>
      ${days.map((day, i) => {
        const h = (values[i] / top) * height;
        return svg`<rect class="bar" x=${i * step + 1} y=${height - h} width=${Math.max(step - 2, 1)} height=${h}><title>${day.date}: ${day.kwh} kWh</title></rect>`;
      })}
      ${days.length
        ? svg`<text class="axis" x="0" y=${height + 10}>${days[0].date.slice(5)}</text>
            <text class="axis" x=${width} y=${height + 10} text-anchor="end">${days[days.length - 1].date.slice(5)}</text>
            <text class="axis" x="0" y="8">${top.toFixed(2)}</text>`
        : nothing}
    </svg>`;
  }

  private paymentCard(payment: NonNullable<RoomData["payment"]>): TemplateResult {
    const words = this.words;
    return html`<section class="card" data-pp="payment">
      <h2>${words.payment}</h2>
      ${payment.reference
        ? html`<div class="muted">${words.paymentReference}</div>
            <div class="reference" data-pp="reference">${payment.reference}</div>`
        : nothing}
      ${payment.payee
        ? html`<div class="row"><span>${words.paymentTo}</span><span>${payment.payee}</span></div>
            <div class="row"><span>IBAN</span><span class="iban">${payment.iban}</span></div>
            ${payment.bic ? html`<div class="row"><span>BIC</span><span>${payment.bic}</span></div>` : nothing}`
        : nothing}
      ${payment.qr_svg
        ? html`<div class="muted">${words.paymentScan}</div>
            <div class="qr" data-pp="payment-qr">${unsafeHTML(payment.qr_svg)}</div>`
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    const words = this.words;
    const data = this.data;
    if (!data) return html`${this.header(words.title)}${this.problemCard()}`;
    const money = (value: string | null) => (value === null ? "—" : `${value} ${data.currency}`);
    const lang = encodeURIComponent(this.language);
    // Only the buttons that can apply now (the policy still decides when pressed).
    const buttons = data.buttons.filter((b) =>
      b === "restore_after_warning"
        ? data.supply.state === "warning_cut"
        : !(Number(data.emergency_credit_outstanding ?? "0") > 0),
    );
    return html`
      ${this.header(data.room)} ${this.problemCard()}
      <section class="card" aria-label=${words.balance}>
        <div class="muted">${words.balance}${data.tenant ? html` · ${data.tenant}` : nothing}</div>
        <div class="big" data-pp="balance">${money(data.live_balance)}</div>
        ${data.days_of_credit_left !== null ? html`<div class="muted">${words.daysLeft(data.days_of_credit_left)}</div>` : nothing}
        ${data.emergency_credit_outstanding && Number(data.emergency_credit_outstanding) > 0
          ? html`<div class="muted">${words.emergencyOwed(money(data.emergency_credit_outstanding))}</div>`
          : nothing}
        ${data.occupied ? nothing : html`<div class="muted">${words.noTenancy}</div>`}
      </section>
      <section class="card" aria-label=${words.supply}>
        <h2>${words.supply}</h2>
        <div data-pp="supply"><span class=${supplyDot(data.supply)}></span>${words.states[data.supply.state ?? ""] ?? "—"}</div>
        <div class="muted" data-pp="reason">${words.reasons[data.supply.reason ?? ""] ?? ""}</div>
        ${buttons.length
          ? html`<div class="actions">
              ${this.pending
                ? html`<div class="message">${words.confirm[this.pending] ?? ""}</div>
                    <button data-pp="confirm" ?disabled=${this.busy} @click=${() => void this.press(this.pending ?? "")}>${words.buttons[this.pending] ?? ""}</button>
                    <button data-pp="cancel" class="secondary" @click=${() => (this.pending = null)}>${words.cancel}</button>`
                : buttons.map(
                    (b) => html`<button data-pp=${b} ?disabled=${this.busy} @click=${() => (this.pending = b)}>${words.buttons[b] ?? b}</button>`,
                  )}
            </div>`
          : nothing}
        ${this.message ? html`<div class="message" role="status" data-pp="message">${this.message}</div>` : nothing}
      </section>
      <section class="card">
        <h2>${words.thisCycle}</h2>
        <div class="row"><span>${words.energy}</span><span>${data.energy_this_cycle_kwh ?? "—"} kWh</span></div>
        <div class="row"><span>${words.cost}</span><span>${money(data.cost_this_cycle)}</span></div>
        ${data.has_allowance ? html`<div class="row"><span>${words.freeLeft}</span><span>${data.allowance_left_kwh ?? "—"} kWh</span></div>` : nothing}
        <div class="row"><span>${words.priceNow}</span><span>${money(data.price)} ${words.perKwh}</span></div>
        ${data.meters.length
          ? html`<h3>${words.byMeter}</h3>
              <ul data-pp="meters">
                ${data.meters.map(
                  (m) => html`<li class="row"><span>${m.room}</span><span>${m.energy_this_cycle_kwh ?? "—"} kWh · ${money(m.cost_this_cycle)}</span></li>`,
                )}
              </ul>`
          : nothing}
      </section>
      <section class="card">
        <h2>${words.usage30}</h2>
        ${this.chart(data.daily_usage)}
      </section>
      <section class="card">
        <h2>${words.topUps}</h2>
        ${data.top_ups.length
          ? html`<ul>
              ${data.top_ups.map(
                (t) => html`<li class="row"><span>${t.at.slice(0, 16).replace("T", " ")} · ${words.methods[t.method ?? ""] ?? t.method ?? ""}</span><span>+${money(t.amount)}</span></li>`,
              )}
            </ul>`
          : html`<div class="muted">${words.noTopUps}</div>`}
      </section>
      ${data.payment ? this.paymentCard(data.payment) : nothing}
      <section class="card">
        <h2>${words.statements}</h2>
        ${data.statements.length
          ? html`<ul>
              ${data.statements.map(
                (s) => html`<li class="row"><span>${words.cycleTo(s.cycle, s.last_day)}</span><span>
                  <a href="${base}/statement/${s.cycle}?lang=${lang}" target="_blank" rel="noreferrer">${words.view}</a>
                  <a href="${base}/statement/${s.cycle}?lang=${lang}&download=1" download>${words.download}</a>
                </span></li>`,
              )}
            </ul>`
          : html`<div class="muted">${words.noStatements}</div>`}
      </section>
      <div class="muted">${this.updatedAt ? words.updated(this.updatedAt.toLocaleTimeString(this.language)) : nothing}</div>
    `;
  }
}

export class PrepaidPowerKiosk extends PortalBase<KioskData> {
  static override styles = [
    shared,
    css`
      :host {
        max-width: none;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
        gap: 12px;
      }
      .card {
        margin: 0;
      }
      .big {
        font-size: 1.7rem;
      }
    `,
  ];

  override render(): TemplateResult {
    const words = this.words;
    const data = this.data;
    return html`
      ${this.header(data?.name || words.kiosk)} ${this.problemCard()}
      <div class="grid">
        ${(data?.rooms ?? []).map(
          (room) => html`<section class="card" data-pp="kiosk-room">
            <h2>${room.room}</h2>
            <div class="big">${room.live_balance === null ? "—" : `${room.live_balance} ${room.currency}`}</div>
            <div><span class=${supplyDot(room.supply)}></span>${words.states[room.supply.state ?? ""] ?? "—"}</div>
            ${room.days_of_credit_left !== null ? html`<div class="muted">${words.daysLeft(room.days_of_credit_left)}</div>` : nothing}
          </section>`,
        )}
      </div>
    `;
  }
}

customElements.define("prepaid-power-portal", PrepaidPowerPortal);
customElements.define("prepaid-power-kiosk", PrepaidPowerKiosk);
