// The room page's debt: what the tenancy owes and where its recovery plan stands (read-only;
// the plan is set by the set_debt_plan action).
import { html, nothing } from "lit";
import type { TemplateResult } from "lit";
import type { RoomPage } from "../common/ws";
import type { Strings } from "./strings";

export function debtView(t: Strings, page: RoomPage): TemplateResult | typeof nothing {
  const debt = page.debt;
  if (!debt || (debt.owed === "0.00" && !debt.plan)) return nothing;
  const money = (value: string) => `${value} ${page.room.currency}`;
  const plan = debt.plan;
  return html`<ha-card class="debt">
    <h3>${t("debt_plan")}</h3>
    <div class="facts">
      <div><span>${t("debt")}</span><b class="owed">${money(debt.owed)}</b></div>
      ${plan
        ? html`<div><span>${t("plan_recovered")}</span><b class="recovered">${money(plan.recovered)}</b></div>
            <div><span>${t("plan_remaining")}</span><b class="remaining">${money(plan.remaining)}</b></div>`
        : nothing}
    </div>
    ${plan
      ? html`<p class="terms">
          ${t("plan_terms", {
            percent: plan.terms.percent,
            fixed: money(plan.terms.fixed),
            every: t(plan.terms.every === "week" ? "every_week" : "every_day"),
            floor: money(plan.terms.floor),
          })}
          · ${plan.since.slice(0, 10)}
        </p>`
      : nothing}
  </ha-card>`;
}
