// One dialog per landlord operation. A dialog only collects input, asks the integration for
// a preview where there is one, and shows the result or the integration's translated
// refusal: every rule is the integration's.
import { LitElement, css, html, nothing } from "lit";
import type { TemplateResult } from "lit";
import {
  Console,
  refusalText,
  type Hass,
  type LedgerEntry,
  type MoveOutPreview,
  type Operated,
  type PricePreview,
  type RoomPage,
  type Tariff,
  type TopUpPreview,
  type TouInterval,
} from "../common/ws";
import { PAYMENT_METHODS, strings, type Key, type Strings } from "./strings";
import { fieldStyles } from "./styles";
import "./tou-editor";

export type Operation =
  | "top_up"
  | "reverse_top_up"
  | "refund"
  | "adjust"
  | "move_in"
  | "move_out"
  | "set_tariff"
  | "set_supply"
  | "preset_vacant_energy";

export const OPERATIONS: Operation[] = [
  "top_up",
  "reverse_top_up",
  "refund",
  "adjust",
  "move_in",
  "move_out",
  "set_tariff",
  "set_supply",
  "preset_vacant_energy",
];

const DEFAULT_INTERVALS: TouInterval[] = [
  { start: "00:00", end: "08:00", period: "valley" },
  { start: "08:00", end: "19:00", period: "flat" },
  { start: "19:00", end: "23:00", period: "peak" },
  { start: "23:00", end: "24:00", period: "valley" },
];

type Fields = Record<string, string | boolean>;

export class OperationDialog extends LitElement {
  static override properties = {
    hass: { attribute: false },
    page: { attribute: false },
    operation: {},
    fields: { state: true },
    error: { state: true },
    busy: { state: true },
    topUpPreview: { state: true },
    moveOutPreview: { state: true },
    pricePreview: { state: true },
    done: { state: true },
    tariffKind: { state: true },
    prices: { state: true },
    weekday: { state: true },
    weekend: { state: true },
    sameWeekend: { state: true },
    blocks: { state: true },
  };

  hass!: Hass;
  page!: RoomPage;
  operation: Operation = "top_up";
  fields: Fields = {};
  error = "";
  busy = false;
  topUpPreview: TopUpPreview | null = null;
  moveOutPreview: MoveOutPreview | null = null;
  pricePreview: { now: PricePreview; evening: PricePreview; sampled?: string | null } | null = null;
  done: Record<string, unknown> | null = null;
  tariffKind: "flat" | "tou" | "tiered" | "entity" = "flat";
  prices: [string, string][] = [
    ["valley", "0.3"],
    ["flat", "0.6"],
    ["peak", "1.2"],
  ];
  weekday: TouInterval[] = DEFAULT_INTERVALS;
  weekend: TouInterval[] = DEFAULT_INTERVALS;
  sameWeekend = true;
  blocks: [string, string][] = [
    ["50", "0.5"],
    ["", "0.8"],
  ];
  private previewTimer: number | undefined;

  private get t(): Strings {
    return strings(this.hass.language);
  }

  private get console(): Console {
    return new Console(this.hass);
  }

  private get device(): string {
    return this.page.room.device_id;
  }

  override firstUpdated(): void {
    (this.renderRoot.querySelector("dialog") as HTMLDialogElement).showModal();
    this.fields = this.operation === "top_up" || this.operation === "move_in" ? { method: "cash" } : {};
    if (this.operation === "set_supply") this.fields = { state: "auto" };
    if (this.operation === "move_out") void this.previewMoveOut();
    if (this.operation === "set_tariff") this.startTariff();
  }

  private startTariff(): void {
    const tariff = this.page.tariff;
    if (tariff?.kind === "tou") {
      this.tariffKind = "tou";
      this.prices = Object.entries(tariff.prices);
      this.weekday = tariff.weekday;
      this.weekend = tariff.weekend ?? tariff.weekday;
      this.sameWeekend = !tariff.weekend;
    } else if (tariff?.kind === "tiered") {
      this.tariffKind = "tiered";
      this.blocks = tariff.blocks.map((b) => [b.up_to_kwh ?? "", b.price]);
    } else if (tariff?.kind === "entity") {
      this.tariffKind = "entity";
      this.fields = { entity_id: tariff.entity_id, min_price: tariff.min_price, max_price: tariff.max_price };
    } else if (tariff?.kind === "flat") {
      this.fields = { price: tariff.price };
    }
    this.schedulePreview();
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent("closed", { bubbles: true, composed: true }));
  }

  private set(name: string, value: string | boolean): void {
    this.fields = { ...this.fields, [name]: value };
    if (this.operation === "top_up" && (name === "amount" || name === "reference")) {
      this.schedulePreview();
    }
    if (this.operation === "set_tariff") this.schedulePreview();
  }

  private schedulePreview(): void {
    window.clearTimeout(this.previewTimer);
    this.previewTimer = window.setTimeout(() => void this.preview(), 250);
  }

  private async preview(): Promise<void> {
    this.error = "";
    try {
      if (this.operation === "top_up") {
        const amount = String(this.fields.amount ?? "").trim();
        this.topUpPreview = amount
          ? await this.console.call<TopUpPreview>("top_up/preview", {
              device_id: this.device,
              amount,
              ...(this.fields.reference ? { reference: this.fields.reference } : {}),
            })
          : null;
      } else if (this.operation === "set_tariff") {
        this.pricePreview = await this.console.call("set_tariff/preview", {
          device_id: this.device,
          tariff: this.tariff(),
        });
      }
    } catch (err) {
      this.topUpPreview = null;
      this.pricePreview = null;
      this.error = await refusalText(this.hass, err);
    }
  }

  private async previewMoveOut(): Promise<void> {
    try {
      this.moveOutPreview = await this.console.call<MoveOutPreview>("move_out/preview", {
        device_id: this.device,
      });
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private tariff(): Tariff {
    if (this.tariffKind === "tou") {
      return {
        kind: "tou",
        prices: Object.fromEntries(this.prices),
        weekday: this.weekday,
        ...(this.sameWeekend ? {} : { weekend: this.weekend }),
      };
    }
    if (this.tariffKind === "tiered") {
      return {
        kind: "tiered",
        blocks: this.blocks.map(([upTo, price]) => ({ up_to_kwh: upTo.trim() || null, price })),
      };
    }
    if (this.tariffKind === "entity") {
      return {
        kind: "entity",
        entity_id: String(this.fields.entity_id ?? this.priceEntities()[0] ?? ""),
        min_price: String(this.fields.min_price ?? ""),
        max_price: String(this.fields.max_price ?? ""),
      };
    }
    return { kind: "flat", price: String(this.fields.price ?? "") };
  }

  /** Sensors whose unit looks like a price per kWh (the integration checks the currency). */
  private priceEntities(): string[] {
    return Object.entries(this.hass.states ?? {})
      .filter(([id, s]) => id.startsWith("sensor.") && /\/\s*kWh$/.test(String(s.attributes.unit_of_measurement ?? "")))
      .map(([id]) => id)
      .sort();
  }

  private entityFields(): TemplateResult {
    const t = this.t;
    const ids = this.priceEntities();
    const chosen = String(this.fields.entity_id ?? ids[0] ?? "");
    return html`<label
        >${t("price_entity")}
        ${ids.length
          ? html`<select name="entity_id" @change=${(e: Event) => this.set("entity_id", (e.target as HTMLSelectElement).value)}>
              ${ids.map((id) => {
                const s = this.hass.states?.[id];
                const name = String(s?.attributes.friendly_name ?? id);
                return html`<option value=${id} ?selected=${id === chosen}>
                  ${name} (${s?.state} ${String(s?.attributes.unit_of_measurement ?? "")})
                </option>`;
              })}
            </select>`
          : html`<p class="no-price-entities">${t("no_price_entities", { currency: this.page.room.currency })}</p>`}
      </label>
      ${this.input("min_price", "min_price", "decimal")} ${this.input("max_price", "max_price", "decimal")}`;
  }

  private data(): Record<string, unknown> {
    const f = this.fields;
    const text = (name: string): Record<string, string> =>
      typeof f[name] === "string" && (f[name] as string).trim() ? { [name]: (f[name] as string).trim() } : {};
    switch (this.operation) {
      case "top_up":
        return { amount: f.amount ?? "", method: f.method, ...text("reference"), ...text("note") };
      case "reverse_top_up":
        return { entry_id: Number(f.entry_id ?? 0), ...text("reason") };
      case "refund":
        return { amount: f.amount ?? "", ...text("reason") };
      case "adjust":
        return { amount: f.amount ?? "", reason: f.reason ?? "", record_debt: !!f.record_debt };
      case "move_in":
        return {
          tenant: f.tenant ?? "",
          method: f.method,
          ...text("first_top_up"),
          ...text("reference"),
          ...(f.allowance_pro_rata !== undefined ? { allowance_pro_rata: !!f.allowance_pro_rata } : {}),
        };
      case "move_out":
        return {};
      case "set_tariff":
        return {
          tariff: this.tariff(),
          ...(f.effective_from ? { effective_from: f.effective_from } : {}),
        };
      case "set_supply":
        return { state: f.state, ...text("reason") };
      case "preset_vacant_energy":
        return { kwh: f.kwh ?? "" };
    }
  }

  private async confirm(): Promise<void> {
    this.busy = true;
    this.error = "";
    try {
      const reply = await this.console.call<Operated<Record<string, unknown> | null>>(this.operation, {
        device_id: this.device,
        ...this.data(),
      });
      this.dispatchEvent(new CustomEvent("operated", { detail: reply, bubbles: true, composed: true }));
      if (this.operation === "top_up" || this.operation === "move_out") {
        this.done = reply.result ?? {};
      } else {
        this.close();
      }
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    } finally {
      this.busy = false;
    }
  }

  private async grace(): Promise<void> {
    this.busy = true;
    this.error = "";
    try {
      const reply = await this.console.call<Operated<null>>("grant_grace", {
        device_id: this.device,
        duration: { hours: Number(this.fields.grace_hours ?? 0) },
      });
      this.dispatchEvent(new CustomEvent("operated", { detail: reply, bubbles: true, composed: true }));
      this.close();
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    } finally {
      this.busy = false;
    }
  }

  private input(name: string, label: Key, type = "text", attrs: { readonly?: boolean; value?: string } = {}) {
    return html`<label
      >${this.t(label)}
      <input
        name=${name}
        type=${type}
        inputmode=${type === "decimal" ? "decimal" : nothing}
        ?readonly=${attrs.readonly}
        .value=${attrs.value ?? String(this.fields[name] ?? "")}
        @input=${(e: Event) => this.set(name, (e.target as HTMLInputElement).value)}
      />
    </label>`;
  }

  private checkbox(name: string, label: Key) {
    return html`<label class="check"
      ><input
        name=${name}
        type="checkbox"
        .checked=${!!this.fields[name]}
        @change=${(e: Event) => this.set(name, (e.target as HTMLInputElement).checked)}
      />${this.t(label)}</label
    >`;
  }

  private methods() {
    const t = this.t;
    return html`<label
      >${t("method")}
      <select name="method" @change=${(e: Event) => this.set("method", (e.target as HTMLSelectElement).value)}>
        ${PAYMENT_METHODS.map(
          (m) => html`<option value=${m} ?selected=${this.fields.method === m}>${t(`method_${m}` as Key)}</option>`,
        )}
      </select>
    </label>`;
  }

  private money(value: string): string {
    return `${value} ${this.page.room.currency}`;
  }

  private body(): TemplateResult {
    const t = this.t;
    const room = this.page.room;
    switch (this.operation) {
      case "top_up": {
        const p = this.topUpPreview;
        return html`${this.input("amount", "amount", "decimal")} ${this.methods()}
          ${this.input("reference", "reference")} ${this.input("note", "note")}
          ${p
            ? html`<div class="preview">
                ${p.existing
                  ? html`<div class="existing">
                      ${t("existing")}: #${p.existing.entry_id} ${this.money(p.existing.amount)}
                      ${p.existing.at.slice(0, 16).replace("T", " ")}
                    </div>`
                  : nothing}
                <div>${t("new_balance")}: <b class="new-balance">${this.money(p.new_balance)}</b></div>
                ${p.emergency_credit_recovered !== "0.00" && !p.existing
                  ? html`<div>${t("recovered")}: ${this.money(p.emergency_credit_recovered)}</div>`
                  : nothing}
              </div>`
            : nothing}`;
      }
      case "reverse_top_up": {
        const topUps = this.page.ledger.entries.filter((e: LedgerEntry) => e.kind === "top_up" && !e.reversed);
        return topUps.length
          ? html`<fieldset>
                <legend>${t("pick_top_up")}</legend>
                ${topUps.map(
                  (e) => html`<label class="check"
                    ><input
                      type="radio"
                      name="entry_id"
                      value=${e.entry_id}
                      @change=${() => this.set("entry_id", String(e.entry_id))}
                    />#${e.entry_id} ${this.money(e.amount)} ${e.at.slice(0, 16).replace("T", " ")}
                    ${e.reference ?? ""}</label
                  >`,
                )}
              </fieldset>
              ${this.input("reason", "reason")}`
          : html`<p>${t("no_top_ups")}</p>`;
      }
      case "refund":
        return html`${this.input("amount", "amount", "decimal")} ${this.input("reason", "reason")}`;
      case "adjust":
        return html`${this.input("amount", "amount", "decimal")} ${this.input("reason", "reason")}
        ${this.checkbox("record_debt", "record_debt")}`;
      case "move_in":
        return html`${this.input("tenant", "tenant")}
        ${this.input("opening_reading", "opening_reading", "text", { readonly: true, value: room.reading ?? "" })}
        ${this.input("first_top_up", "first_top_up", "decimal")} ${this.methods()}
        ${this.input("reference", "reference")} ${this.checkbox("allowance_pro_rata", "pro_rata")}`;
      case "move_out": {
        const p = this.moveOutPreview;
        if (!p) return html`<p>${this.error ? "" : t("loading")}</p>`;
        const s = p.statement_data;
        return html`<div class="preview">
          <div>${t("tenant")}: ${p.tenant}</div>
          <div>${t("balance")}: <b>${this.money(p.balance)}</b></div>
          ${(["final_charges", "waiting_fees", "debt_plan_left"] as const).map((key) => {
            const value = p[key === "debt_plan_left" ? "debt_plan" : key];
            return value !== "0.00" ? html`<div class=${key}>${t(key)}: ${this.money(value)}</div>` : nothing;
          })}
          <div>${t("refund_owed")}: <b class="refund-owed">${this.money(p.refund_owed)}</b></div>
          <div>${t("debt")}: <b class="debt">${this.money(p.debt)}</b></div>
          <div>${t("statement")} ${s.cycle}: ${s.energy_kwh} kWh, ${this.money(s.energy_cost)}</div>
        </div>`;
      }
      case "set_tariff":
        return this.tariffBody();
      case "set_supply":
        return html`<label
            >${t("state")}
            <select name="state" @change=${(e: Event) => this.set("state", (e.target as HTMLSelectElement).value)}>
              <option value="auto" ?selected=${this.fields.state === "auto"}>${t("auto")}</option>
              <option value="on" ?selected=${this.fields.state === "on"}>${t("keep_on")}</option>
              <option value="off" ?selected=${this.fields.state === "off"}>${t("off")}</option>
            </select>
          </label>
          ${this.input("reason", "reason")}
          <hr />
          ${this.input("grace_hours", "grace_hours", "decimal")}
          <button class="grace" ?disabled=${this.busy} @click=${() => void this.grace()}>${t("grant_grace")}</button>`;
      case "preset_vacant_energy":
        return html`${this.input("kwh", "kwh", "decimal")}`;
    }
  }

  private tariffBody(): TemplateResult {
    const t = this.t;
    const periods = this.prices.map(([name]) => name);
    const kinds = ["flat", "tou", "tiered", "entity"] as const;
    return html`<label
        >${t("kind")}
        <select
          name="kind"
          @change=${(e: Event) => {
            this.tariffKind = (e.target as HTMLSelectElement).value as typeof this.tariffKind;
            this.schedulePreview();
          }}
        >
          ${kinds.map((k) => html`<option value=${k} ?selected=${this.tariffKind === k}>${t(`kind_${k}`)}</option>`)}
        </select>
      </label>
      ${this.tariffKind === "flat" ? this.input("price", "price", "decimal") : nothing}
      ${this.tariffKind === "entity" ? this.entityFields() : nothing}
      ${this.tariffKind === "tou"
        ? html`<fieldset class="prices">
              <legend>${t("periods")}</legend>
              ${this.prices.map(
                ([name, price], i) => html`<div class="pair">
                  <input
                    class="period-name"
                    .value=${name}
                    @change=${(e: Event) => this.renamePeriod(i, (e.target as HTMLInputElement).value)}
                  />
                  <input
                    class="period-price"
                    inputmode="decimal"
                    .value=${price}
                    @input=${(e: Event) => {
                      this.prices = this.prices.map((p, j) =>
                        j === i ? [p[0], (e.target as HTMLInputElement).value] : p,
                      );
                      this.schedulePreview();
                    }}
                  />
                </div>`,
              )}
              <button
                @click=${() => {
                  this.prices = [...this.prices, [`p${this.prices.length + 1}`, "0.5"]];
                }}
              >
                ${t("add_period")}
              </button>
            </fieldset>
            <prepaid-power-tou-editor
              class="weekday"
              .label=${t("weekday")}
              .t=${t}
              .periods=${periods}
              .intervals=${this.weekday}
              @intervals-changed=${(e: CustomEvent<TouInterval[]>) => {
                this.weekday = e.detail;
                this.schedulePreview();
              }}
            ></prepaid-power-tou-editor>
            <label class="check"
              ><input
                type="checkbox"
                .checked=${this.sameWeekend}
                @change=${(e: Event) => {
                  this.sameWeekend = (e.target as HTMLInputElement).checked;
                  this.schedulePreview();
                }}
              />${t("same_weekend")}</label
            >
            ${this.sameWeekend
              ? nothing
              : html`<prepaid-power-tou-editor
                  class="weekend"
                  .label=${t("weekend")}
                  .t=${t}
                  .periods=${periods}
                  .intervals=${this.weekend}
                  @intervals-changed=${(e: CustomEvent<TouInterval[]>) => {
                    this.weekend = e.detail;
                    this.schedulePreview();
                  }}
                ></prepaid-power-tou-editor>`}`
        : nothing}
      ${this.tariffKind === "tiered"
        ? html`<fieldset>
            <legend>${t("kind_tiered")}</legend>
            ${this.blocks.map(
              ([upTo, price], i) => html`<div class="pair">
                <input
                  placeholder=${t("up_to")}
                  .value=${upTo}
                  @input=${(e: Event) => {
                    this.blocks = this.blocks.map((b, j) => (j === i ? [(e.target as HTMLInputElement).value, b[1]] : b));
                    this.schedulePreview();
                  }}
                />
                <input
                  inputmode="decimal"
                  .value=${price}
                  @input=${(e: Event) => {
                    this.blocks = this.blocks.map((b, j) => (j === i ? [b[0], (e.target as HTMLInputElement).value] : b));
                    this.schedulePreview();
                  }}
                />
              </div>`,
            )}
            <button @click=${() => (this.blocks = [...this.blocks, ["", "1"]])}>${t("add_block")}</button>
          </fieldset>`
        : nothing}
      ${this.input("effective_from", "effective_from", "datetime-local")}
      ${this.pricePreview && this.tariffKind === "entity"
        ? html`<div class="preview">
            <div class="price-now">
              ${t("price_now")}: ${this.pricePreview.now.price}
              (${this.pricePreview.sampled != null
                ? `${t("sampled")} ${this.pricePreview.sampled}`
                : t("no_price_now")})
            </div>
          </div>`
        : this.pricePreview
          ? html`<div class="preview">
              <div class="price-now">
                ${t("price_now")}: ${this.pricePreview.now.price} (${this.pricePreview.now.period})
              </div>
              <div class="price-evening">
                ${t("price_evening")}: ${this.pricePreview.evening.price} (${this.pricePreview.evening.period})
              </div>
            </div>`
          : nothing}`;
  }

  private renamePeriod(index: number, name: string): void {
    const old = this.prices[index][0];
    const rename = (ivs: TouInterval[]) => ivs.map((iv) => (iv.period === old ? { ...iv, period: name } : iv));
    this.prices = this.prices.map((p, j) => (j === index ? [name, p[1]] : p));
    this.weekday = rename(this.weekday);
    this.weekend = rename(this.weekend);
    this.schedulePreview();
  }

  private receipt(): TemplateResult {
    const t = this.t;
    const d = this.done ?? {};
    if (this.operation === "move_out") {
      return html`<pre class="statement">${String(d.statement ?? "")}</pre>`;
    }
    return html`<div class="receipt">
      <h3>${t("receipt")}</h3>
      <div>${this.page.room.name} · ${this.page.room.tenant ?? ""}</div>
      <div>#${String(d.entry_id)} · ${String(d.at ?? "").slice(0, 16).replace("T", " ")}</div>
      <div>${t("amount")}: <b>${this.money(String(d.amount))}</b> · ${t(`method_${String(d.method ?? "cash")}` as Key)}</div>
      ${d.why && d.why !== "top-up" ? html`<div class="note">${t("note")}: ${String(d.why)}</div>` : nothing}
      ${d.created === false ? html`<div class="existing">${t("existing")}</div>` : nothing}
      ${d.emergency_credit_recovered && d.emergency_credit_recovered !== "0.00"
        ? html`<div>${t("recovered")}: ${this.money(String(d.emergency_credit_recovered))}</div>`
        : nothing}
    </div>`;
  }

  override render() {
    const t = this.t;
    return html`<dialog @cancel=${() => this.close()}>
      <h2>${t(this.operation)} · ${this.page.room.name}</h2>
      <div class="content">${this.done ? this.receipt() : this.body()}</div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      <div class="actions">
        ${this.done
          ? html`<button @click=${() => window.print()}>${t("print")}</button>
              <button class="close" @click=${() => this.close()}>${t("close")}</button>`
          : html`<button class="cancel" @click=${() => this.close()}>${t("cancel")}</button>
              <button class="confirm primary" ?disabled=${this.busy} @click=${() => void this.confirm()}>
                ${t("confirm")}
              </button>`}
      </div>
    </dialog>`;
  }

  static override styles = [
    fieldStyles,
    css`
    dialog {
      border: none;
      border-radius: var(--ha-card-border-radius, 12px);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color);
      width: min(560px, calc(100vw - 24px));
      max-height: calc(100vh - 24px);
      padding: 16px;
      box-sizing: border-box;
    }
    dialog::backdrop {
      background: rgba(0, 0, 0, 0.45);
    }
    h2 {
      margin: 0 0 12px;
      font-size: 1.2em;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 2px;
      margin: 8px 0;
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    label.check {
      flex-direction: row;
      align-items: center;
      gap: 6px;
      color: var(--primary-text-color);
    }
    input[readonly] {
      background: var(--secondary-background-color, #f5f5f5);
    }
    fieldset {
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 6px;
      margin: 8px 0;
    }
    .pair {
      display: flex;
      gap: 6px;
      margin: 4px 0;
    }
    .pair input {
      flex: 1;
      min-width: 0;
    }
    .preview,
    .receipt {
      background: var(--secondary-background-color, #f5f5f5);
      border-radius: 6px;
      padding: 8px 12px;
      margin: 8px 0;
      line-height: 1.6;
    }
    .existing {
      color: var(--warning-color, #f57c00);
    }
    .error {
      color: var(--error-color, #db4437);
      margin: 8px 0;
    }
    .actions {
      display: flex;
      justify-content: flex-end;
      gap: 8px;
      margin-top: 12px;
    }
    button.primary {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
      border-color: transparent;
    }
    pre.statement {
      white-space: pre-wrap;
      font-size: 12px;
      max-height: 50vh;
      overflow: auto;
    }
  `,
  ];
}

if (!customElements.get("prepaid-power-dialog")) {
  customElements.define("prepaid-power-dialog", OperationDialog);
}
