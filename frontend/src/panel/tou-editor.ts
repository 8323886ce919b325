// A 24-hour interval editor for a time-of-use tariff: a bar of the day (tap a stretch to give
// it the next period) and one row per interval (its end, its period; split or remove). The
// intervals always cover the day without gaps; the integration checks them again.
import { LitElement, css, html } from "lit";
import type { TouInterval } from "../common/ws";
import type { Strings } from "./strings";
import { fieldStyles } from "./styles";

export const MAX_INTERVALS = 14;
const DAY = 24 * 60;
const COLOURS = ["#ef5350", "#ffa726", "#66bb6a", "#42a5f5", "#ab47bc", "#8d6e63"];

export function minutes(text: string): number {
  const [h, m] = text.split(":").map(Number);
  return h * 60 + m;
}

export function clock(value: number): string {
  return `${String(Math.floor(value / 60)).padStart(2, "0")}:${String(value % 60).padStart(2, "0")}`;
}

export class TouEditor extends LitElement {
  static override properties = {
    intervals: { attribute: false },
    periods: { attribute: false },
    t: { attribute: false },
    label: {},
  };

  intervals: TouInterval[] = [];
  periods: string[] = [];
  t!: Strings;
  label = "";

  private change(intervals: TouInterval[]): void {
    this.intervals = intervals;
    this.dispatchEvent(new CustomEvent("intervals-changed", { detail: intervals }));
  }

  private cycle(index: number): void {
    const current = this.periods.indexOf(this.intervals[index].period);
    const period = this.periods[(current + 1) % this.periods.length];
    this.change(this.intervals.map((iv, i) => (i === index ? { ...iv, period } : iv)));
  }

  private setEnd(index: number, value: string): void {
    const end = minutes(value);
    const start = minutes(this.intervals[index].start);
    // "24:00" is minute 1440.
    const nextEnd = minutes(this.intervals[index + 1].end);
    if (!(end > start && end < nextEnd)) {
      this.requestUpdate();
      return;
    }
    this.change(
      this.intervals.map((iv, i) =>
        i === index ? { ...iv, end: clock(end) } : i === index + 1 ? { ...iv, start: clock(end) } : iv,
      ),
    );
  }

  private split(index: number): void {
    if (this.intervals.length >= MAX_INTERVALS) return;
    const iv = this.intervals[index];
    const start = minutes(iv.start);
    const end = iv.end === "24:00" ? DAY : minutes(iv.end);
    const middle = Math.round((start + end) / 2 / 30) * 30;
    if (middle <= start || middle >= end) return;
    const copy = [...this.intervals];
    copy.splice(index, 1, { ...iv, end: clock(middle) }, { ...iv, start: clock(middle) });
    this.change(copy);
  }

  private removeAt(index: number): void {
    if (this.intervals.length <= 1) return;
    const copy = [...this.intervals];
    const [gone] = copy.splice(index, 1);
    if (index === 0) copy[0] = { ...copy[0], start: "00:00" };
    else copy[index - 1] = { ...copy[index - 1], end: gone.end };
    this.change(copy);
  }

  override render() {
    const t = this.t;
    return html`
      <div class="label">${this.label}</div>
      <div class="bar" role="group" aria-label=${this.label}>
        ${this.intervals.map((iv, i) => {
          const start = minutes(iv.start);
          const end = iv.end === "24:00" ? DAY : minutes(iv.end);
          const colour = COLOURS[Math.max(this.periods.indexOf(iv.period), 0) % COLOURS.length];
          return html`<button
            class="stretch"
            data-index=${i}
            style="flex: ${end - start}; background: ${colour}"
            title="${iv.start}–${iv.end} ${iv.period}"
            @click=${() => this.cycle(i)}
          >
            ${iv.period}
          </button>`;
        })}
      </div>
      <div class="hours"><span>00</span><span>06</span><span>12</span><span>18</span><span>24</span></div>
      ${this.intervals.map(
        (iv, i) => html`<div class="row" data-index=${i}>
          <span class="from">${iv.start}</span>–
          ${i === this.intervals.length - 1
            ? html`<span class="to">24:00</span>`
            : html`<input
                class="to"
                type="time"
                step="900"
                .value=${iv.end}
                @change=${(e: Event) => this.setEnd(i, (e.target as HTMLInputElement).value)}
              />`}
          <select
            class="period"
            @change=${(e: Event) =>
              this.change(
                this.intervals.map((x, j) =>
                  j === i ? { ...x, period: (e.target as HTMLSelectElement).value } : x,
                ),
              )}
          >
            ${this.periods.map((p) => html`<option value=${p} ?selected=${p === iv.period}>${p}</option>`)}
          </select>
          <button class="split" ?disabled=${this.intervals.length >= MAX_INTERVALS} @click=${() => this.split(i)}>
            ${t("split")}
          </button>
          <button class="remove" ?disabled=${this.intervals.length <= 1} @click=${() => this.removeAt(i)}>
            ${t("remove")}
          </button>
        </div>`,
      )}
    `;
  }

  static override styles = [
    fieldStyles,
    css`
    :host {
      display: block;
      margin: 8px 0;
    }
    .label {
      font-weight: 500;
      margin-bottom: 4px;
    }
    .bar {
      display: flex;
      height: 32px;
      border-radius: 6px;
      overflow: hidden;
      border: 1px solid var(--divider-color, #ccc);
    }
    .stretch {
      border: none;
      color: #fff;
      font-size: 11px;
      overflow: hidden;
      white-space: nowrap;
      cursor: pointer;
      min-width: 0;
      padding: 0;
    }
    .hours {
      display: flex;
      justify-content: space-between;
      font-size: 11px;
      color: var(--secondary-text-color);
    }
    .row {
      display: flex;
      align-items: center;
      gap: 6px;
      margin: 4px 0;
      flex-wrap: wrap;
    }
  `,
  ];
}

if (!customElements.get("prepaid-power-tou-editor")) {
  customElements.define("prepaid-power-tou-editor", TouEditor);
}
