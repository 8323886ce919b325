// The console's *Create dashboards*: the landlord overview (admins only) and the tenants'
// views written into Home Assistant's own dashboard storage by the integration
// (prepaid_power/create_dashboards runs the create_dashboards operation). Every rule — paths,
// a hand-made dashboard at the same path, the portal links' opt-in — is the integration's;
// this view only asks and shows.
import { LitElement, css, html, nothing } from "lit";
import { translator } from "../common/i18n";
import { Console, refusalText, type Hass, type WsError } from "../common/ws";
import { fieldStyles } from "./styles";

const en = {
  heading: "Create dashboards",
  intro:
    "Writes two dashboards into Home Assistant: a landlord overview of every room (admins only) and a view per room for its tenant's wall display. Running it again updates them.",
  portal_qr: "Put each room's tenant-portal link in its QR code",
  portal_qr_warning:
    "Every Home Assistant user can read a dashboard. With this on, each room gets a NEW tenant link (its old link stops working) and that link is written into the room's view: every user of this Home Assistant could open any room's portal. Leave it off if other people have accounts here.",
  base_url: "Address of Home Assistant in the QR codes (optional)",
  create: "Create dashboards",
  overwrite: "Overwrite it",
  done: "Dashboards saved",
  created: "created",
  updated: "updated",
  views: "views",
  open: "Open",
};
type Key = keyof typeof en;
const zhHans: Record<Key, string> = {
  heading: "创建仪表盘",
  intro: "在 Home Assistant 中写入两个仪表盘:所有房间的房东总览(仅管理员)和每个房间给租户墙上显示屏的视图。再次运行会更新它们。",
  portal_qr: "在每个房间的二维码中放入租户门户链接",
  portal_qr_warning:
    "每个 Home Assistant 用户都能读取仪表盘。开启后,每个房间会得到一个新的租户链接(旧链接失效),并写入该房间的视图:本 Home Assistant 的每个用户都能打开任何房间的门户。如果这里还有其他人的账户,请保持关闭。",
  base_url: "二维码中 Home Assistant 的地址(可选)",
  create: "创建仪表盘",
  overwrite: "覆盖它",
  done: "仪表盘已保存",
  created: "已创建",
  updated: "已更新",
  views: "个视图",
  open: "打开",
};

const words = translator(en, zhHans);

interface SavedDashboard {
  url_path: string;
  kind: string;
  created: boolean;
  views: number;
}

interface CreatedDashboards {
  dashboards: SavedDashboard[];
}

export class PrepaidPowerDashboards extends LitElement {
  static override properties = {
    hass: { attribute: false },
    portalQr: { state: true },
    baseUrl: { state: true },
    busy: { state: true },
    error: { state: true },
    mayOverwrite: { state: true },
    saved: { state: true },
  };

  hass!: Hass;
  portalQr = false;
  baseUrl = "";
  busy = false;
  error = "";
  // A hand-made dashboard is at one of the paths: the landlord may confirm overwriting it.
  mayOverwrite = false;
  saved: SavedDashboard[] | null = null;

  private t(key: Key): string {
    return words(this.hass.language, key);
  }

  private async create(overwrite: boolean): Promise<void> {
    this.busy = true;
    this.error = "";
    this.saved = null;
    const data: Record<string, unknown> = { portal_links_in_qr: this.portalQr, overwrite };
    if (this.baseUrl.trim()) data.base_url = this.baseUrl.trim();
    try {
      const made = await new Console(this.hass).call<CreatedDashboards>("create_dashboards", data);
      this.saved = made.dashboards;
      this.mayOverwrite = false;
    } catch (err) {
      this.error = await refusalText(this.hass, err);
      this.mayOverwrite = (err as Partial<WsError>).translation_key === "dashboard_not_ours";
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const t = (key: Key) => this.t(key);
    return html`<section class="dashboards">
      <h2>${t("heading")}</h2>
      <p>${t("intro")}</p>
      <label class="check">
        <input
          type="checkbox"
          name="portal_links_in_qr"
          .checked=${this.portalQr}
          @change=${(e: Event) => (this.portalQr = (e.target as HTMLInputElement).checked)}
        />
        ${t("portal_qr")}
      </label>
      ${this.portalQr ? html`<p class="warning" role="note">${t("portal_qr_warning")}</p>` : nothing}
      <label
        >${t("base_url")}
        <input
          name="base_url"
          type="url"
          inputmode="url"
          placeholder="http://192.168.1.20:8123"
          .value=${this.baseUrl}
          @input=${(e: Event) => (this.baseUrl = (e.target as HTMLInputElement).value)}
        />
      </label>
      <div class="actions">
        <button class="create" ?disabled=${this.busy} @click=${() => void this.create(false)}>
          ${t("create")}
        </button>
        ${this.mayOverwrite
          ? html`<button class="overwrite" ?disabled=${this.busy} @click=${() => void this.create(true)}>
              ${t("overwrite")}
            </button>`
          : nothing}
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      ${this.saved
        ? html`<div class="saved" role="status">
            <strong>${t("done")}</strong>
            <ul>
              ${this.saved.map(
                (d) => html`<li>
                  <a href="/${d.url_path}" target="_top">/${d.url_path}</a> —
                  ${d.created ? t("created") : t("updated")}, ${d.views} ${t("views")}
                </li>`,
              )}
            </ul>
          </div>`
        : nothing}
    </section>`;
  }

  static override styles = [
    fieldStyles,
    css`
      .dashboards {
        max-width: 640px;
      }
      label {
        display: block;
        margin: 12px 0;
      }
      label.check input {
        width: auto;
        margin-right: 8px;
      }
      .warning {
        border-left: 4px solid var(--warning-color, #ffa600);
        padding: 8px 12px;
        background: var(--secondary-background-color);
      }
      .error {
        color: var(--error-color, #db4437);
        margin: 12px 0;
      }
      .actions button {
        margin-right: 8px;
      }
    `,
  ];
}

if (!customElements.get("prepaid-power-dashboards")) {
  customElements.define("prepaid-power-dashboards", PrepaidPowerDashboards);
}
