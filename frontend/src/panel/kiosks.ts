// The console's kiosk links: a corridor tablet's page showing chosen rooms' balances and
// supply states only. Lists the kiosks (name, since when, rooms), makes a new one from the
// rooms ticked (its address and QR code are shown once: only a hash is kept) and ends one.
// Every rule is the integration's (prepaid_power/kiosk_links, kiosk_link/create,
// kiosk_link/revoke).
import { LitElement, css, html, nothing } from "lit";
import { translator } from "../common/i18n";
import { svgImage } from "../common/svg";
import { Console, refusalText, type Hass, type RoomRow } from "../common/ws";
import { fieldStyles } from "./styles";

const en = {
  heading: "Kiosk links",
  intro:
    "A kiosk link opens a page for a corridor tablet that shows the chosen rooms' balances and supply states, nothing else. No Home Assistant login is needed to open it.",
  none: "No kiosk links.",
  since: "since {date}",
  end: "End",
  end_confirm: "End the kiosk link “{name}”? The tablet's page stops working.",
  name: "Name (shown as the page's title)",
  rooms: "Rooms on the kiosk",
  make: "Make kiosk link",
  shown_once: "Shown once: open it on the tablet or copy the address now.",
};
type Key = keyof typeof en;
const zhHans: Record<Key, string> = {
  heading: "查询终端链接",
  intro: "查询终端链接为走廊平板打开一个页面,只显示所选房间的余额和供电状态。打开它不需要 Home Assistant 登录。",
  none: "没有查询终端链接。",
  since: "自 {date} 起",
  end: "停用",
  end_confirm: "停用查询终端链接“{name}”?平板上的页面将无法打开。",
  name: "名称(作为页面标题显示)",
  rooms: "终端显示的房间",
  make: "新建查询终端链接",
  shown_once: "只显示一次:请现在在平板上打开或复制地址。",
};

const words = translator(en, zhHans);

interface Kiosk {
  kiosk_id: string;
  name: string;
  created_at: string;
  rooms: string[];
}

interface ShownKiosk {
  url: string | null;
  path: string;
  kiosk_id: string;
  qr_svg: string;
}

export class PrepaidPowerKiosks extends LitElement {
  static override properties = {
    hass: { attribute: false },
    rooms: { attribute: false },
    kiosks: { state: true },
    chosen: { state: true },
    name: { state: true },
    shown: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  hass!: Hass;
  rooms: RoomRow[] = [];
  kiosks: Kiosk[] | null = null;
  chosen = new Set<string>();
  name = "";
  shown: ShownKiosk | null = null;
  error = "";
  busy = false;
  private requested = false;

  private t(key: Key, values: Record<string, string> = {}): string {
    return words(this.hass.language, key, values);
  }

  private get console(): Console {
    return new Console(this.hass);
  }

  override updated(): void {
    if (this.hass && !this.requested) {
      this.requested = true;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    try {
      this.kiosks = (await this.console.call<{ kiosks: Kiosk[] }>("kiosk_links")).kiosks;
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private toggle(deviceId: string, on: boolean): void {
    const chosen = new Set(this.chosen);
    if (on) chosen.add(deviceId);
    else chosen.delete(deviceId);
    this.chosen = chosen;
  }

  private async make(): Promise<void> {
    this.busy = true;
    this.error = "";
    try {
      this.shown = await this.console.call<ShownKiosk>("kiosk_link/create", {
        device_ids: [...this.chosen],
        name: this.name.trim(),
      });
      this.chosen = new Set();
      this.name = "";
      await this.load();
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    } finally {
      this.busy = false;
    }
  }

  private async end(kiosk: Kiosk): Promise<void> {
    if (!window.confirm(this.t("end_confirm", { name: kiosk.name || kiosk.kiosk_id }))) return;
    this.busy = true;
    this.error = "";
    try {
      await this.console.call("kiosk_link/revoke", { kiosk_id: kiosk.kiosk_id });
      if (this.shown?.kiosk_id === kiosk.kiosk_id) this.shown = null;
      await this.load();
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    if (!this.hass) return nothing;
    const rooms = [...this.rooms].sort((a, b) =>
      `${a.gateway} ${a.name}`.localeCompare(`${b.gateway} ${b.name}`, undefined, { numeric: true }),
    );
    return html`<section class="kiosks">
      <h2>${this.t("heading")}</h2>
      <p>${this.t("intro")}</p>
      ${this.kiosks === null
        ? nothing
        : this.kiosks.length === 0
        ? html`<p class="no-kiosks">${this.t("none")}</p>`
        : html`<ul class="kiosk-list">
            ${this.kiosks.map(
              (kiosk) => html`<li class="kiosk" data-kiosk=${kiosk.kiosk_id}>
                <strong>${kiosk.name || kiosk.kiosk_id}</strong>
                (${this.t("since", { date: kiosk.created_at.slice(0, 10) })}): ${kiosk.rooms.join(", ")}
                <button class="end-kiosk" ?disabled=${this.busy} @click=${() => void this.end(kiosk)}>
                  ${this.t("end")}
                </button>
              </li>`,
            )}
          </ul>`}
      <label
        >${this.t("name")}
        <input
          name="kiosk_name"
          maxlength="100"
          .value=${this.name}
          @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
        />
      </label>
      <fieldset>
        <legend>${this.t("rooms")}</legend>
        ${rooms.map(
          (room) => html`<label class="check">
            <input
              type="checkbox"
              name="kiosk_room"
              value=${room.device_id}
              .checked=${this.chosen.has(room.device_id)}
              @change=${(e: Event) => this.toggle(room.device_id, (e.target as HTMLInputElement).checked)}
            />
            ${room.name}${this.rooms.some((other) => other.gateway !== room.gateway) ? ` · ${room.gateway}` : ""}
          </label>`,
        )}
      </fieldset>
      <button class="make-kiosk" ?disabled=${this.busy || this.chosen.size === 0} @click=${() => void this.make()}>
        ${this.t("make")}
      </button>
      ${this.shown
        ? html`<div class="shown" role="status">
            <img class="qr" src=${svgImage(this.shown.qr_svg)} alt="QR" />
            <p>
              <a class="kiosk-url" href=${this.shown.url ?? this.shown.path} target="_blank" rel="noopener"
                >${this.shown.url ?? this.shown.path}</a
              >
            </p>
            <p class="once">${this.t("shown_once")}</p>
          </div>`
        : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    </section>`;
  }

  static override styles = [
    fieldStyles,
    css`
      .kiosks {
        max-width: 640px;
        margin-top: 32px;
      }
      label {
        display: block;
        margin: 12px 0;
      }
      label.check {
        margin: 6px 0;
      }
      label.check input {
        width: auto;
        margin-right: 8px;
      }
      fieldset {
        border: 1px solid var(--divider-color, #ccc);
        border-radius: 6px;
        max-height: 320px;
        overflow-y: auto;
      }
      .kiosk-list button {
        margin-left: 8px;
      }
      .qr {
        width: 180px;
        background: #fff;
      }
      a {
        word-break: break-all;
        color: var(--primary-color);
      }
      .error {
        color: var(--error-color, #db4437);
        margin: 12px 0;
      }
    `,
  ];
}

if (!customElements.get("prepaid-power-kiosks")) {
  customElements.define("prepaid-power-kiosks", PrepaidPowerKiosks);
}
