// The room page's tenant link: whether the room has a tenant-portal link and since when, the
// room's payment reference (and EPC payment QR code when the gateway has the landlord's
// payee), *Make new link* (the address and QR code are shown once: only a hash is kept; the
// old link ends), *Print card* for the tenant, *End link*. Every rule is the integration's
// (prepaid_power/portal_link, portal_link/rotate, portal_link/revoke).
import { LitElement, css, html, nothing } from "lit";
import { translator } from "../common/i18n";
import { svgImage } from "../common/svg";
import { Console, refusalText, type Hass } from "../common/ws";
import { fieldStyles } from "./styles";

const en = {
  heading: "Tenant link",
  none: "This room has no tenant link.",
  since: "A tenant link exists since {date}. Its address was shown when it was made; make a new one to show it again.",
  make: "Make new link",
  make_confirm: "Make a new tenant link? The old link stops working at once.",
  end: "End link",
  end_confirm: "End this room's tenant link? The tenant's page stops working.",
  shown_once: "Shown once: print the card or copy the address now.",
  print: "Print card",
  reference: "Payment reference",
  payee: "Pay to",
  card_title: "Your electricity account",
  card_scan: "Scan with your phone to see your balance, usage and statements.",
  card_reference: "Put this reference on your bank transfer:",
};
type Key = keyof typeof en;
const zhHans: Record<Key, string> = {
  heading: "租户链接",
  none: "此房间没有租户链接。",
  since: "租户链接自 {date} 起有效。其地址只在创建时显示;要再次显示请新建链接。",
  make: "新建链接",
  make_confirm: "新建租户链接?旧链接会立即失效。",
  end: "停用链接",
  end_confirm: "停用此房间的租户链接?租户的页面将无法打开。",
  shown_once: "只显示一次:请现在打印卡片或复制地址。",
  print: "打印卡片",
  reference: "付款备注",
  payee: "收款人",
  card_title: "您的电费账户",
  card_scan: "用手机扫码查看余额、用电和账单。",
  card_reference: "银行转账时请填写此备注:",
};

const words = translator(en, zhHans);

interface Payment {
  reference: string | null;
  payee: string | null;
  iban: string | null;
  bic: string | null;
  qr_svg: string | null;
}

interface LinkStatus {
  room: string;
  link: { created_at: string } | null;
  payment: Payment | null;
}

interface ShownLink {
  url: string | null;
  path: string;
  created_at: string;
  qr_svg: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class PrepaidPowerRoomLink extends LitElement {
  static override properties = {
    hass: { attribute: false },
    deviceId: { attribute: false },
    status: { state: true },
    shown: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  hass!: Hass;
  deviceId = "";
  status: LinkStatus | null = null;
  shown: ShownLink | null = null;
  error = "";
  busy = false;
  private loadedFor = "";

  private t(key: Key, values: Record<string, string> = {}): string {
    return words(this.hass.language, key, values);
  }

  private get console(): Console {
    return new Console(this.hass);
  }

  override updated(): void {
    if (this.hass && this.deviceId && this.deviceId !== this.loadedFor) {
      this.loadedFor = this.deviceId;
      this.shown = null;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    try {
      this.status = await this.console.call<LinkStatus>("portal_link", { device_id: this.deviceId });
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    }
  }

  private async run(command: "portal_link/rotate" | "portal_link/revoke", question: Key): Promise<void> {
    if (!window.confirm(this.t(question))) return;
    this.busy = true;
    this.error = "";
    try {
      const reply = await this.console.call<ShownLink | { ended: boolean }>(command, {
        device_id: this.deviceId,
      });
      this.shown = "qr_svg" in reply ? reply : null;
      await this.load();
    } catch (err) {
      this.error = await refusalText(this.hass, err);
    } finally {
      this.busy = false;
    }
  }

  /** The tenant's card in a window of its own (no Home Assistant around it), printed. */
  private printCard(): void {
    const shown = this.shown;
    if (!shown || !this.status) return;
    const address = shown.url ?? shown.path;
    const reference = this.status.payment?.reference;
    const card = window.open("", "_blank", "width=480,height=640");
    if (!card) return;
    card.document.write(`<!doctype html><meta charset="utf-8"><title>${escapeHtml(this.status.room)}</title>
<style>body{font-family:sans-serif;text-align:center;margin:24px}img{width:240px}p{margin:8px 0}
code{word-break:break-all;font-size:12px}</style>
<h1>${escapeHtml(this.status.room)}</h1><p>${escapeHtml(this.t("card_title"))}</p>
<img src="${svgImage(shown.qr_svg)}" alt=""><p>${escapeHtml(this.t("card_scan"))}</p>
<p><code>${escapeHtml(address)}</code></p>
${reference ? `<p>${escapeHtml(this.t("card_reference"))} <b>${escapeHtml(reference)}</b></p>` : ""}`);
    card.document.close();
    card.focus();
    card.print();
  }

  override render() {
    const status = this.status;
    if (!status) return this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing;
    const payment = status.payment;
    return html`<ha-card class="room-link">
      <h3>${this.t("heading")}</h3>
      <p class="link-state">
        ${status.link ? this.t("since", { date: status.link.created_at.slice(0, 10) }) : this.t("none")}
      </p>
      ${this.shown
        ? html`<div class="shown">
            <img class="qr" src=${svgImage(this.shown.qr_svg)} alt="QR" />
            <p><code class="url">${this.shown.url ?? this.shown.path}</code></p>
            <p class="once">${this.t("shown_once")}</p>
            <button class="print-card" @click=${() => this.printCard()}>${this.t("print")}</button>
          </div>`
        : nothing}
      ${payment
        ? html`<div class="payment">
            ${payment.reference
              ? html`<p>${this.t("reference")}: <b class="reference">${payment.reference}</b></p>`
              : nothing}
            ${payment.payee ? html`<p>${this.t("payee")}: ${payment.payee} · ${payment.iban}</p>` : nothing}
            ${payment.qr_svg ? html`<img class="qr epc" src=${svgImage(payment.qr_svg)} alt="EPC QR" />` : nothing}
          </div>`
        : nothing}
      <div class="actions">
        <button class="make-link" ?disabled=${this.busy} @click=${() => void this.run("portal_link/rotate", "make_confirm")}>
          ${this.t("make")}
        </button>
        ${status.link
          ? html`<button class="end-link" ?disabled=${this.busy} @click=${() => void this.run("portal_link/revoke", "end_confirm")}>
              ${this.t("end")}
            </button>`
          : nothing}
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    </ha-card>`;
  }

  static override styles = [
    fieldStyles,
    css`
      .room-link {
        display: block;
        padding: 12px 16px;
        margin: 12px 0;
      }
      .qr {
        width: 180px;
        background: #fff;
      }
      code {
        word-break: break-all;
      }
      .actions button {
        margin-right: 8px;
      }
      .error {
        color: var(--error-color, #db4437);
      }
    `,
  ];
}

if (!customElements.get("prepaid-power-room-link")) {
  customElements.define("prepaid-power-room-link", PrepaidPowerRoomLink);
}
