// The landlord console: HA's sidebar panel "Prepaid Power" (admins only). The rooms table is
// live (a websocket subscription); a room's page has its summary, usage chart, ledger and
// statements, and a dialog per operation. Everything it shows or changes goes through the
// integration's prepaid_power/... websocket commands.
import { isChinese } from "../common/i18n";
import { LitElement, css, html, nothing, svg } from "lit";
import type { TemplateResult } from "lit";
import {
  Console,
  refusalText,
  type Hass,
  type LedgerPage,
  type Payments,
  type RoomPage,
  type RoomRow,
} from "../common/ws";
import { OPERATIONS, type Operation } from "./dialogs";
import { strings, type Key, type Strings } from "./strings";
import { fieldStyles, tableStyles } from "./styles";
import "./dialogs";
import { debtView } from "./debt";
import { supplyStateText } from "./reports";
import "./dashboards";
import "./kiosks";
import "./links";

type SortKey = "name" | "place" | "tenant" | "balance" | "supply" | "days" | "reading";
const PAGE = 20;
const PERIOD_COLOURS = ["#42a5f5", "#ef5350", "#66bb6a", "#ffa726", "#ab47bc", "#8d6e63"];

function isoDay(day: Date): string {
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
}

/** This month so far: from the 1st to today (both included). */
function defaultRange(): { start: string; last: string } {
  const today = new Date();
  return { start: isoDay(new Date(today.getFullYear(), today.getMonth(), 1)), last: isoDay(today) };
}

/** The day after a day: the integration's ranges end before their `end`. */
function dayAfter(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  return isoDay(new Date(y, m - 1, d + 1));
}

export class PrepaidPowerPanel extends LitElement {
  static override properties = {
    hass: { attribute: false },
    narrow: { type: Boolean },
    panel: { attribute: false },
    rows: { state: true },
    search: { state: true },
    sortKey: { state: true },
    sortUp: { state: true },
    selected: { state: true },
    page: { state: true },
    days: { state: true },
    dialog: { state: true },
    statement: { state: true },
    error: { state: true },
    now: { state: true },
    view: { state: true },
    payments: { state: true },
    range: { state: true },
  };

  hass!: Hass;
  narrow = false;
  rows = new Map<string, RoomRow>();
  search = "";
  sortKey: SortKey = "place";
  sortUp = true;
  selected: string | null = null;
  page: RoomPage | null = null;
  days = 30;
  dialog: Operation | null = null;
  statement: { cycle: string; text: string } | null = null;
  error = "";
  now = Date.now();
  view: "rooms" | "payments" | "report" | "dashboards" = "rooms";
  payments: Payments | null = null;
  range = defaultRange();
  private unsubscribe: Promise<() => Promise<void>> | null = null;
  private clock: number | undefined;
  // Server time minus browser time, from each update: reading ages use the server's clock.
  private skew = 0;

  private get t(): Strings {
    return strings(this.hass.language);
  }

  private get console(): Console {
    return new Console(this.hass);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.clock = window.setInterval(() => (this.now = Date.now()), 5000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.clock);
    void this.unsubscribe?.then((unsub) => unsub());
    this.unsubscribe = null;
  }

  override updated(): void {
    if (this.hass && !this.unsubscribe && this.isConnected) {
      this.unsubscribe = this.console.subscribeRooms((update) => {
        this.skew = Date.parse(update.now) - Date.now();
        const rows = new Map(this.rows);
        for (const row of update.rooms) rows.set(row.room_id, row);
        this.rows = rows;
        if (this.page && update.rooms.some((r) => r.device_id === this.page?.room.device_id)) {
          const row = update.rooms.find((r) => r.device_id === this.page?.room.device_id);
          if (row) this.page = { ...this.page, room: row };
        }
      });
      this.unsubscribe.catch(async (err) => {
        this.error = await refusalText(this.hass, err);
      });
    }
  }

  private async open(deviceId: string): Promise<void> {
    this.selected = deviceId;
    this.page = null;
    await this.load();
  }

  private async load(): Promise<void> {
    if (!this.selected) return;
    try {
      this.page = await this.console.call<RoomPage>("room", { device_id: this.selected, days: this.days });
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private async ledgerAt(offset: number): Promise<void> {
    if (!this.page) return;
    const ledger = await this.console.call<LedgerPage>("ledger", {
      device_id: this.page.room.device_id,
      offset: Math.max(offset, 0),
      limit: PAGE,
    });
    this.page = { ...this.page, ledger };
  }

  private async showStatement(cycle: string): Promise<void> {
    if (!this.page) return;
    try {
      const reply = await this.console.call<{ result: { statement: string } }>("statement", {
        device_id: this.page.room.device_id,
        cycle,
        language: isChinese(this.hass.language) ? "zh-Hans" : "en",
      });
      this.statement = { cycle, text: reply.result.statement };
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private download(): void {
    if (!this.statement || !this.page) return;
    const blob = new Blob([this.statement.text], { type: "text/plain;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${this.page.room.name}_${this.statement.cycle}.txt`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  private async loadPayments(): Promise<void> {
    this.error = "";
    try {
      this.payments = await this.console.call<Payments>("payments", {
        start: this.range.start,
        end: dayAfter(this.range.last),
      });
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private async downloadPayments(): Promise<void> {
    const query = `start=${this.range.start}&end=${dayAfter(this.range.last)}`;
    const response = await this.hass.fetchWithAuth(`/api/prepaid_power/payments.csv?${query}`);
    if (!response.ok) {
      this.error = (await response.json().catch(() => ({ message: response.statusText }))).message;
      return;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = `payments_${this.range.start}_${this.range.last}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  private paymentsView(): TemplateResult {
    const t = this.t;
    const p = this.payments;
    const day = (name: "start" | "last", label: Key) =>
      html`<label
        >${t(label)}
        <input
          type="date"
          name=${name}
          .value=${this.range[name]}
          @change=${(e: Event) => (this.range = { ...this.range, [name]: (e.target as HTMLInputElement).value })}
      /></label>`;
    return html`<ha-card class="payments">
      <div class="toolbar">
        ${day("start", "from_day")} ${day("last", "to_day")}
        <button class="show" @click=${() => void this.loadPayments()}>${t("show")}</button>
        <button class="csv" @click=${() => void this.downloadPayments()}>${t("download_csv")}</button>
      </div>
      ${p
        ? html`<table class="totals">
              <thead>
                <tr>
                  <th>${t("method")}</th>
                  <th class="num">${t("count")}</th>
                  <th class="num">${t("paid")}</th>
                  <th class="num">${t("undone_total")}</th>
                  <th class="num">${t("net")}</th>
                </tr>
              </thead>
              <tbody>
                ${Object.entries(p.totals).map(
                  ([method, total]) => html`<tr class="method ${method}">
                    <td>${t(`method_${method}` as Key)}</td>
                    <td class="num">${total.count}</td>
                    <td class="num">${total.paid}</td>
                    <td class="num">${total.undone}</td>
                    <td class="num">${total.net} ${p.currency}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
            <table class="payment-list">
              <thead>
                <tr>
                  <th>${t("when")}</th>
                  <th>${t("room")}</th>
                  <th>${t("tenant")}</th>
                  <th>${t("method")}</th>
                  <th>${t("reference")}</th>
                  <th class="num">${t("amount")}</th>
                </tr>
              </thead>
              <tbody>
                ${p.payments.map(
                  (x) => html`<tr class="payment">
                    <td>${x.at.slice(0, 16).replace("T", " ")}</td>
                    <td>${x.room}</td>
                    <td>${x.tenant}</td>
                    <td>${t(`method_${x.method}` as Key)}</td>
                    <td>${x.reference ?? ""}</td>
                    <td class="num">${x.amount}${x.undone_at ? html` <i>(${t("undone")})</i>` : nothing}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
        : nothing}
    </ha-card>`;
  }

  private supplyText(row: RoomRow): string {
    return supplyStateText(this.hass, row.supply_state);
  }

  private age(row: RoomRow): string {
    if (!row.reading_at) return this.t("never");
    const seconds = Math.max(0, Math.round((this.now + this.skew - Date.parse(row.reading_at)) / 1000));
    if (seconds < 120) return this.t("ago_s", { n: seconds });
    if (seconds < 7200) return this.t("ago_m", { n: Math.round(seconds / 60) });
    return this.t("ago_h", { n: Math.round(seconds / 3600) });
  }

  private place(row: RoomRow): string {
    return [row.floor, row.area].filter(Boolean).join(" / ");
  }

  private sorted(): RoomRow[] {
    const query = this.search.trim().toLowerCase();
    const rows = [...this.rows.values()].filter(
      (r) =>
        !query ||
        r.name.toLowerCase().includes(query) ||
        (r.tenant ?? "").toLowerCase().includes(query) ||
        this.place(r).toLowerCase().includes(query),
    );
    const number = (v: string | null) => (v === null ? -Infinity : Number(v));
    const value = (r: RoomRow): string | number => {
      switch (this.sortKey) {
        case "place":
          return `${this.place(r) || "\uffff"}\u0000${r.name}`;
        case "tenant":
          return r.tenant ?? "\uffff";
        case "balance":
          return number(r.balance);
        case "supply":
          return r.supply_state ?? "";
        case "days":
          return number(r.days_of_credit_left);
        case "reading":
          return r.reading_at ? Date.parse(r.reading_at) : 0;
        default:
          return r.name;
      }
    };
    const collator = this.collator();
    rows.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order = typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y));
      return this.sortUp ? order : -order;
    });
    return rows;
  }

  private collators = new Map<string, Intl.Collator>();

  /** One collator per language: making one costs more than sorting 640 rooms with it. */
  private collator(): Intl.Collator {
    const language = this.hass.language;
    let collator = this.collators.get(language);
    if (!collator) {
      collator = new Intl.Collator(language, { numeric: true });
      this.collators.set(language, collator);
    }
    return collator;
  }

  private sortBy(key: SortKey): void {
    this.sortUp = this.sortKey === key ? !this.sortUp : true;
    this.sortKey = key;
  }

  private header(key: SortKey, label: Key): TemplateResult {
    const arrow = this.sortKey === key ? (this.sortUp ? " ▲" : " ▼") : "";
    return html`<th class="sortable ${key}" @click=${() => this.sortBy(key)}>${this.t(label)}${arrow}</th>`;
  }

  private alerts(row: RoomRow): TemplateResult {
    return html`${row.alerts.map(
      (a) => html`<span class="alert ${a}">${this.t(`alert_${a}` as Key)}</span>`,
    )}`;
  }

  private money(value: string | null, currency: string): string {
    return value === null ? "–" : `${value} ${currency}`;
  }

  /** The rooms whose meters bill to this room's account (a shared account's other meters). */
  private linked(row: RoomRow): RoomRow[] {
    return [...this.rows.values()].filter((r) => r.payer === row.room_id);
  }

  /** How many rooms bill to each payer: counted once per render of the rooms table (a
   * search of every row for every row would be quadratic in a 640-room building). */
  private linkedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.rows.values()) if (r.payer) counts.set(r.payer, (counts.get(r.payer) ?? 0) + 1);
    return counts;
  }

  private accountNote(row: RoomRow, linkedCounts: Map<string, number>): TemplateResult | typeof nothing {
    if (row.payer) {
      const payer = this.rows.get(row.payer);
      return html` <small class="payer">→ ${payer?.name ?? "?"}</small>`;
    }
    const linked = linkedCounts.get(row.room_id) ?? 0;
    return linked ? html` <small class="pays-for">${this.t("pays_for", { n: linked + 1 })}</small>` : nothing;
  }

  /** A shared account on a room's page: where a linked room's account is, or the payer's
   * meters with this cycle's energy and cost each. Nothing for a room with its own account. */
  private accountView(room: RoomRow): TemplateResult | typeof nothing {
    const t = this.t;
    if (room.payer) {
      const payer = this.rows.get(room.payer);
      return html`<ha-card class="account">
        <h3>${t("account")}</h3>
        <p class="billed-to">${t("billed_to", { name: payer?.name ?? "?" })}</p>
        ${payer
          ? html`<button class="open-payer" @click=${() => void this.open(payer.device_id)}>
              ${t("open_payer", { name: payer.name })}
            </button>`
          : nothing}
      </ha-card>`;
    }
    const linked = this.linked(room);
    if (!linked.length) return nothing;
    const meters = [room, ...linked.sort((a, b) => this.collator().compare(a.name, b.name))];
    return html`<ha-card class="account">
      <h3>${t("account")}</h3>
      <p>${t("account_meters")}</p>
      <table>
        <thead>
          <tr>
            <th>${t("room")}</th>
            <th class="num">${t("energy_cycle")}</th>
            <th class="num">${t("cost_cycle")}</th>
            <th>${t("supply")}</th>
          </tr>
        </thead>
        <tbody>
          ${meters.map(
            (m) => html`<tr class="meter" data-room=${m.name}>
              <td>
                ${m === room
                  ? m.name
                  : html`<a href="#" @click=${(e: Event) => (e.preventDefault(), void this.open(m.device_id))}>${m.name}</a>`}
              </td>
              <td class="num">${m.energy_this_cycle_kwh ?? "–"} kWh</td>
              <td class="num">${this.money(m.cost_this_cycle, m.currency)}</td>
              <td><span class="dot ${m.supply_on ? "on" : "off"}"></span>${this.supplyText(m)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </ha-card>`;
  }

  private roomsView(): TemplateResult {
    const t = this.t;
    const rows = this.sorted();
    const linkedCounts = this.linkedCounts();
    let group: string | null = null;
    const grouped = this.sortKey === "place";
    return html`<ha-card>
      <div class="toolbar">
        <input
          class="search"
          type="search"
          placeholder=${t("search")}
          .value=${this.search}
          @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)}
        />
        <span class="count">${rows.length} / ${this.rows.size}</span>
      </div>
      <table class="rooms">
        <thead>
          <tr>
            ${this.header("name", "room")} ${this.header("place", "place")} ${this.header("tenant", "tenant")}
            ${this.header("balance", "balance")} ${this.header("supply", "supply")} ${this.header("days", "days_left")}
            ${this.header("reading", "last_reading")}
            <th>${t("alerts")}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((row) => {
            const place = this.place(row) || t("no_group");
            const head =
              grouped && place !== group
                ? html`<tr class="group">
                    <td colspan="8">${place}</td>
                  </tr>`
                : nothing;
            group = place;
            return html`${head}
              <tr class="room" data-room=${row.name} @click=${() => void this.open(row.device_id)}>
                <td class="name">${row.name}${this.accountNote(row, linkedCounts)}</td>
                <td class="place">${this.place(row)}</td>
                <td class="tenant">${row.tenant ?? html`<i>${t("vacant")}</i>`}</td>
                <td class="balance num">${this.money(row.balance, row.currency)}</td>
                <td class="supply state-${row.supply_state ?? "none"}">
                  <span class="dot ${row.supply_on ? "on" : "off"}"></span>${this.supplyText(row)}
                </td>
                <td class="days num">${row.days_of_credit_left ?? "–"}</td>
                <td class="reading">${this.age(row)}</td>
                <td class="alerts">${this.alerts(row)}</td>
              </tr>`;
          })}
        </tbody>
      </table>
    </ha-card>`;
  }

  private chart(page: RoomPage): TemplateResult {
    const days = page.history.days;
    const periods = page.history.periods;
    const width = 600;
    const height = 160;
    const max = Math.max(0.001, ...days.map((d) => Number(d.kwh)));
    const bar = width / days.length;
    return html`<svg class="chart" viewBox="0 0 ${width} ${height + 20}" role="img" aria-label=${this.t("usage")}>
        ${days.map((d, i) => {
          let y = height;
          return svg`${periods.map((p, j) => {
            const kwh = Number(d.by_period[p]?.kwh ?? 0);
            const h = (kwh / max) * (height - 10);
            y -= h;
            return kwh
              ? svg`<rect class="bar" x=${i * bar + 1} y=${y} width=${Math.max(bar - 2, 1)} height=${h}
                  fill=${PERIOD_COLOURS[j % PERIOD_COLOURS.length]}><title>${d.date} ${p}: ${kwh} kWh, ${
                    d.by_period[p]?.cost
                  } ${page.room.currency}</title></rect>`
              : nothing;
          })}`;
        })}
        <text x="0" y=${height + 16} class="axis">${days[0]?.date ?? ""}</text>
        <text x=${width} y=${height + 16} class="axis" text-anchor="end">${days[days.length - 1]?.date ?? ""}</text>
        <text x="0" y="10" class="axis">${max.toFixed(2)} kWh</text>
      </svg>
      <div class="legend">
        ${periods.map(
          (p, j) => html`<span><i style="background:${PERIOD_COLOURS[j % PERIOD_COLOURS.length]}"></i>${p}</span>`,
        )}
        <span class="total"
          >${days.reduce((s, d) => s + Number(d.kwh), 0).toFixed(3)} kWh ·
          ${days.reduce((s, d) => s + Number(d.cost), 0).toFixed(2)} ${page.room.currency}</span
        >
      </div>`;
  }

  private roomView(page: RoomPage): TemplateResult {
    const t = this.t;
    const room = page.room;
    const ledger = page.ledger;
    const occupied = room.tenant !== null;
    const allowed = (op: Operation) =>
      op === "move_in" || op === "preset_vacant_energy" ? !occupied : op === "set_tariff" || op === "set_supply" || occupied;
    return html`<div class="room-page">
      <button class="back" @click=${() => ((this.selected = null), (this.page = null))}>← ${t("back")}</button>
      <ha-card class="summary">
        <h2>${room.name} <span class="sub">${this.place(room)}</span></h2>
        <div class="facts">
          <div><span>${t("tenant")}</span><b class="tenant">${room.tenant ?? t("vacant")}</b></div>
          <div><span>${t("balance")}</span><b class="balance">${this.money(room.balance, room.currency)}</b></div>
          <div>
            <span>${t("supply")}</span
            ><b class="supply"
              ><span class="dot ${room.supply_on ? "on" : "off"}"></span>${this.supplyText(room)}
              ${room.supply_detail ? html`(${room.supply_detail})` : nothing}</b
            >
            <small class="relay">${room.supply_on ? t("relay_on") : t("relay_off")}</small>
          </div>
          <div><span>${t("days_left")}</span><b>${room.days_of_credit_left ?? "–"}</b></div>
          <div><span>${t("price")}</span><b class="price">${room.current_price ?? "–"}</b></div>
          <div><span>${t("reading")}</span><b>${room.reading ?? "–"} kWh</b> <small>${this.age(room)}</small></div>
          <div><span>${t("energy_cycle")}</span><b>${room.energy_this_cycle_kwh ?? "–"} kWh</b></div>
        </div>
        <div class="alerts">${this.alerts(room)}</div>
        <div class="operations">
          ${OPERATIONS.filter(allowed).map(
            (op) => html`<button class="op ${op}" @click=${() => (this.dialog = op)}>${t(op)}</button>`,
          )}
        </div>
      </ha-card>
      ${this.accountView(room)} ${debtView(t, page)}
      <prepaid-power-room-link .hass=${this.hass} .deviceId=${page.room.device_id}></prepaid-power-room-link>
      <ha-card class="usage">
        <h3>
          ${t("usage")}
          <span class="switch">
            ${[30, 90].map(
              (d) => html`<button
                class=${this.days === d ? "active" : ""}
                @click=${() => {
                  this.days = d;
                  void this.load();
                }}
              >
                ${t(d === 30 ? "days_30" : "days_90")}
              </button>`,
            )}
          </span>
        </h3>
        ${this.chart(page)}
      </ha-card>
      <ha-card class="ledger">
        <h3>${t("ledger")} <small>(${ledger.total})</small></h3>
        <table>
          <thead>
            <tr>
              <th>${t("when")}</th>
              <th>${t("kind")}</th>
              <th class="num">${t("amount")}</th>
              <th>${t("details")}</th>
            </tr>
          </thead>
          <tbody>
            ${ledger.entries.map(
              (e) => html`<tr class="entry ${e.kind}" data-entry=${e.entry_id}>
                <td>${e.at.slice(0, 16).replace("T", " ")}</td>
                <td>${t(`entry_${e.kind}` as Key)}${e.reversed ? html` <i>(${t("undone")})</i>` : nothing}</td>
                <td class="num">${e.amount}</td>
                <td class="details">
                  ${e.kwh ? `${e.kwh} kWh ${e.period ?? ""} @ ${e.price ?? ""}` : ""}
                  ${e.method ? t(`method_${e.method}` as Key) : ""} ${e.reference ?? ""} ${e.why}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
        <div class="pager">
          <button ?disabled=${ledger.offset === 0} @click=${() => void this.ledgerAt(ledger.offset - PAGE)}>
            ${t("newer")}
          </button>
          <span>${ledger.offset + 1}–${ledger.offset + ledger.entries.length} / ${ledger.total}</span>
          <button
            ?disabled=${ledger.offset + ledger.entries.length >= ledger.total}
            @click=${() => void this.ledgerAt(ledger.offset + ledger.entries.length)}
          >
            ${t("older")}
          </button>
        </div>
      </ha-card>
      <ha-card class="statements">
        <h3>${t("statements")}</h3>
        ${page.statements.map(
          (s) => html`<div class="statement-row">
            <span>${s.first_day} – ${s.last_day}</span>
            <button class="view" data-cycle=${s.cycle} @click=${() => void this.showStatement(s.cycle)}>
              ${t("view")}
            </button>
          </div>`,
        )}
        ${this.statement
          ? html`<div class="statement-view">
              <pre class="statement">${this.statement.text}</pre>
              <button @click=${() => window.print()}>${t("print")}</button>
              <button @click=${() => this.download()}>${t("download")}</button>
            </div>`
          : nothing}
      </ha-card>
    </div>`;
  }

  override render() {
    if (!this.hass) return nothing;
    const t = this.t;
    if (this.hass.user && !this.hass.user.is_admin) return html`<p>${t("not_admin")}</p>`;
    return html`<div class="header">
        <h1>${t("title")}</h1>
        <nav>
          ${(["rooms", "payments", "report", "dashboards"] as const).map(
            (view) => html`<button
              class="tab ${view} ${this.view === view ? "active" : ""}"
              @click=${() => {
                this.view = view;
                this.selected = null;
                this.page = null;
                if (view === "payments" && !this.payments) void this.loadPayments();
              }}
            >
              ${t(view)}
            </button>`,
          )}
        </nav>
      </div>
      ${this.error
        ? html`<div class="error" role="alert" @click=${() => (this.error = "")}>${this.error}</div>`
        : nothing}
      <div class="body">
        ${this.view === "payments"
          ? this.paymentsView()
          : this.view === "report"
          ? html`<prepaid-power-reports .hass=${this.hass}></prepaid-power-reports>`
          : this.view === "dashboards"
          ? html`<prepaid-power-dashboards .hass=${this.hass}></prepaid-power-dashboards>
              <prepaid-power-kiosks .hass=${this.hass} .rooms=${[...this.rows.values()]}></prepaid-power-kiosks>`
          : this.selected
          ? this.page
            ? this.roomView(this.page)
            : html`<p>${t("loading")}</p>`
          : this.roomsView()}
      </div>
      ${this.dialog && this.page
        ? html`<prepaid-power-dialog
            .hass=${this.hass}
            .page=${this.page}
            .operation=${this.dialog}
            @closed=${() => {
              this.dialog = null;
              void this.load();
            }}
            @operated=${(e: CustomEvent<{ room: RoomRow }>) => {
              const rows = new Map(this.rows);
              rows.set(e.detail.room.room_id, e.detail.room);
              this.rows = rows;
              if (this.page) this.page = { ...this.page, room: e.detail.room };
            }}
          ></prepaid-power-dialog>`
        : nothing}`;
  }

  static override styles = [
    fieldStyles,
    tableStyles,
    css`
    :host {
      display: block;
      min-height: 100vh;
      background: var(--primary-background-color);
      color: var(--primary-text-color);
      font-family: var(--paper-font-body1_-_font-family, Roboto, sans-serif);
    }
    .header {
      display: flex;
      align-items: center;
      height: var(--header-height, 56px);
      padding: 0 16px;
      background: var(--app-header-background-color, var(--primary-color));
      color: var(--app-header-text-color, #fff);
    }
    h1 {
      font-size: 20px;
      font-weight: 400;
      margin: 0;
      flex: 1;
    }
    nav button.tab {
      background: transparent;
      color: inherit;
      border-color: transparent;
    }
    nav button.tab.active {
      border-bottom: 2px solid currentColor;
      border-radius: 0;
    }
    .body {
      padding: 12px;
      max-width: 1200px;
      margin: 0 auto;
    }
    ha-card {
      display: block;
      background: var(--card-background-color, #fff);
      border-radius: var(--ha-card-border-radius, 12px);
      box-shadow: var(--ha-card-box-shadow, none);
      border: 1px solid var(--divider-color, #e0e0e0);
      padding: 12px;
      margin-bottom: 12px;
      overflow-x: auto;
    }
    .toolbar {
      display: flex;
      gap: 8px;
      align-items: center;
      margin-bottom: 8px;
    }
    button.op {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
      border-color: transparent;
    }
    button.active {
      border-color: var(--primary-color);
      color: var(--primary-color);
    }
    .search {
      flex: 1;
      min-width: 0;
    }
    .count {
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    th.sortable {
      cursor: pointer;
      user-select: none;
    }
    tr.room {
      cursor: pointer;
    }
    tr.room:hover {
      background: var(--secondary-background-color, #f5f5f5);
    }
    tr.group td {
      font-weight: 500;
      color: var(--secondary-text-color);
      background: var(--secondary-background-color, #f5f5f5);
    }
    .dot {
      display: inline-block;
      width: 8px;
      height: 8px;
      border-radius: 50%;
      margin-right: 6px;
      background: var(--disabled-text-color, #999);
    }
    .dot.on {
      background: var(--success-color, #43a047);
    }
    .alert {
      display: inline-block;
      font-size: 12px;
      padding: 1px 6px;
      margin-right: 4px;
      border-radius: 8px;
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .alert.relay_fault,
    .alert.debt {
      background: var(--error-color, #db4437);
    }
    .error {
      color: var(--error-color, #db4437);
      padding: 8px 16px;
    }
    .summary h2 {
      margin: 0 0 8px;
    }
    .sub {
      font-size: 0.7em;
      color: var(--secondary-text-color);
    }
    .operations {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      margin-top: 12px;
    }
    .back {
      margin-bottom: 8px;
    }
    .chart {
      width: 100%;
      height: auto;
    }
    .axis {
      font-size: 11px;
      fill: var(--secondary-text-color);
    }
    .legend {
      display: flex;
      gap: 12px;
      flex-wrap: wrap;
      font-size: 12px;
    }
    .legend i {
      display: inline-block;
      width: 10px;
      height: 10px;
      margin-right: 4px;
    }
    .legend .total {
      margin-left: auto;
    }
    .pager {
      display: flex;
      gap: 8px;
      align-items: center;
      justify-content: flex-end;
      margin-top: 8px;
    }
    .statement-row {
      display: flex;
      justify-content: space-between;
      align-items: center;
      padding: 4px 0;
    }
    pre.statement {
      white-space: pre-wrap;
      font-size: 12px;
      background: var(--secondary-background-color, #f5f5f5);
      padding: 8px;
      border-radius: 6px;
    }
    @media (max-width: 640px) {
      .body {
        padding: 6px;
      }
      th.place,
      td.place,
      th.days,
      td.days,
      th.reading,
      td.reading {
        display: none;
      }
      th,
      td {
        padding: 6px 4px;
      }
    }
    @media print {
      .header,
      .back,
      .operations,
      .usage,
      .ledger,
      button {
        display: none;
      }
      :host {
        background: #fff;
        color: #000;
      }
    }
  `,
  ];
}

if (!customElements.get("prepaid-power-panel")) {
  customElements.define("prepaid-power-panel", PrepaidPowerPanel);
}
