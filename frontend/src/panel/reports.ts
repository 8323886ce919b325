// The console's Reports: income, energy and charges per room and for the building in each
// room's cycle now or in a past cycle (picked by the month it starts in), debt, rooms per
// supply state; and the month-end statements of all rooms as one printable page (a page per
// statement). Every figure is the integration's (prepaid_power/report, prepaid_power/statements).
import { LitElement, css, html, nothing } from "lit";
import type { TemplateResult } from "lit";
import { isChinese, translator } from "../common/i18n";
import { Console, refusalText, type CycleStatements, type Hass, type Report } from "../common/ws";
import { strings } from "./strings";
import { fieldStyles, tableStyles } from "./styles";

const en = {
  this_cycle: "This cycle",
  cycles_of: "Cycles starting in",
  month_statements: "Month-end statements",
  print_all: "Print all",
  back_report: "Back to the report",
  no_statements: "No tenant lived in any room in this cycle.",
  debt_at_end: "Debt at cycle end",
  debt_now: "now",
  statements_of: "Statements of the cycles starting in {month}: {n}",
};
type ReportKey = keyof typeof en;
const zhHans: Record<ReportKey, string> = {
  this_cycle: "本账期",
  cycles_of: "账期开始月份",
  month_statements: "月末账单",
  print_all: "全部打印",
  back_report: "返回报表",
  no_statements: "本账期内没有任何房间有租户。",
  debt_at_end: "账期末欠款",
  debt_now: "当前",
  statements_of: "{month} 开始的账期账单:{n} 份",
};

/** A supply state in the user's language (the integration's entity translations). */
export function supplyStateText(hass: Hass, state: string | null): string {
  if (!state) return "–";
  const key = `component.prepaid_power.entity.sensor.supply_state.state.${state}`;
  const localize = (hass as unknown as { localize?: (k: string) => string }).localize;
  return (localize && localize(key)) || state;
}

const words = translator(en, zhHans);

function statementLanguage(language: string): string {
  return isChinese(language) ? "zh-Hans" : "en";
}

export class PrepaidPowerReports extends LitElement {
  static override properties = {
    hass: { attribute: false },
    report: { state: true },
    month: { state: true },
    statements: { state: true },
    error: { state: true },
  };

  hass!: Hass;
  report: Report | null = null;
  // "": each room's cycle now; else "2026-11": the cycles starting in that month.
  month = "";
  statements: CycleStatements | null = null;
  error = "";

  private words(key: ReportKey, values: Record<string, string | number> = {}): string {
    return words(this.hass.language, key, values);
  }

  private get console(): Console {
    return new Console(this.hass);
  }

  override firstUpdated(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    this.error = "";
    try {
      this.report = await this.console.call<Report>("report", this.month ? { month: this.month } : {});
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private async loadStatements(): Promise<void> {
    this.error = "";
    const month = this.month || this.report?.months[0];
    if (!month) return;
    try {
      this.statements = await this.console.call<CycleStatements>("statements", {
        month,
        language: statementLanguage(this.hass.language),
      });
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private statementsView(page: CycleStatements): TemplateResult {
    return html`<div class="toolbar">
        <button class="back" @click=${() => (this.statements = null)}>← ${this.words("back_report")}</button>
        <span class="count">${this.words("statements_of", { month: page.month, n: page.statements.length })}</span>
        <button class="print" ?disabled=${!page.statements.length} @click=${() => window.print()}>
          ${this.words("print_all")}
        </button>
      </div>
      ${page.statements.length
        ? page.statements.map(
            (s) => html`<section class="statement-page" data-room=${s.room_id} data-tenancy=${s.tenancy_id}>
              <h3>${s.room} · ${s.tenant} <small>${s.gateway} · ${s.cycle} – ${s.cycle_last_day}</small></h3>
              <pre class="statement">${s.text}</pre>
            </section>`,
          )
        : html`<p class="empty">${this.words("no_statements")}</p>`}`;
  }

  private reportView(r: Report): TemplateResult {
    const t = strings(this.hass.language);
    const money = (value: string) => `${value} ${r.currency}`;
    return html`<div class="toolbar">
        <label
          >${this.words("cycles_of")}
          <select
            class="month"
            @change=${(e: Event) => {
              this.month = (e.target as HTMLSelectElement).value;
              void this.load();
            }}
          >
            <option value="" ?selected=${!this.month}>${this.words("this_cycle")}</option>
            ${r.months.map((m) => html`<option value=${m} ?selected=${this.month === m}>${m}</option>`)}
          </select>
        </label>
        <button class="month-statements" @click=${() => void this.loadStatements()}>
          ${this.words("month_statements")}
        </button>
      </div>
      <div class="card report">
        <div class="facts">
          <div><span>${t("income")}</span><b class="income">${money(r.income)}</b></div>
          <div><span>${t("kwh")}</span><b class="energy">${r.energy_kwh} kWh</b></div>
          <div><span>${t("charged")}</span><b>${money(r.charged)}</b></div>
          <div>
            <span>${t("outstanding_debt")} (${this.words("debt_now")})</span><b>${money(r.outstanding_debt)}</b>
          </div>
          <div><span>${t("former_debt")}</span><b>${money(r.debt_owed_after_move_out)}</b></div>
        </div>
        <h3>${t("rooms_per_state")}</h3>
        <div class="facts states">
          ${Object.entries(r.supply_states).map(
            ([name, count]) =>
              html`<div class="state ${name}"><span>${supplyStateText(this.hass, name)}</span><b>${count}</b></div>`,
          )}
        </div>
      </div>
      <div class="card">
        <table class="report-rooms">
          <thead>
            <tr>
              <th>${t("room")}</th>
              <th>${t("cycle")}</th>
              <th class="num">${t("income")}</th>
              <th class="num">${t("kwh")}</th>
              <th class="num">${t("charged")}</th>
              <th class="num">${this.words("debt_at_end")}</th>
            </tr>
          </thead>
          <tbody>
            ${r.rooms.map(
              (row) => html`<tr>
                <td>${row.room}</td>
                <td>${row.cycle}</td>
                <td class="num">${row.income}</td>
                <td class="num">${row.energy_kwh}</td>
                <td class="num">${row.charged}</td>
                <td class="num">${row.debt}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    if (!this.hass) return nothing;
    return html`${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    ${this.statements
      ? this.statementsView(this.statements)
      : this.report
      ? this.reportView(this.report)
      : html`<p>${strings(this.hass.language)("loading")}</p>`}`;
  }

  static override styles = [
    fieldStyles,
    tableStyles,
    css`
      :host {
        display: block;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        margin-bottom: 8px;
      }
      .toolbar .count {
        flex: 1;
        color: var(--secondary-text-color);
      }
      .card,
      .statement-page {
        background: var(--card-background-color, #fff);
        border: 1px solid var(--divider-color, #e0e0e0);
        border-radius: var(--ha-card-border-radius, 12px);
        padding: 12px;
        margin-bottom: 12px;
        overflow-x: auto;
      }
      h3 small {
        font-weight: 400;
        color: var(--secondary-text-color);
      }
      pre.statement {
        white-space: pre-wrap;
        font-size: 12px;
        margin: 0;
      }
      .error {
        color: var(--error-color, #db4437);
        padding: 8px 0;
      }
      @media print {
        .toolbar,
        .error {
          display: none;
        }
        .statement-page {
          border: none;
          padding: 0;
          margin: 0;
          color: #000;
          background: #fff;
          break-after: page;
        }
        .statement-page:last-of-type {
          break-after: auto;
        }
      }
    `,
  ];
}

if (!customElements.get("prepaid-power-reports")) {
  customElements.define("prepaid-power-reports", PrepaidPowerReports);
}
