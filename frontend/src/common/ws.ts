// The landlord console's websocket client: typed calls of the integration's prepaid_power/...
// commands over HA's own connection (hass.connection), and refusals shown in the user's
// language from the integration's exception translations.
import { fill } from "./i18n";

export interface HassConnection {
  sendMessagePromise<T>(message: Record<string, unknown>): Promise<T>;
  subscribeMessage<T>(
    callback: (message: T) => void,
    message: Record<string, unknown>,
  ): Promise<() => Promise<void>>;
}

export interface Hass {
  connection: HassConnection;
  language: string;
  locale?: { language: string };
  themes?: { darkMode?: boolean };
  user?: { is_admin: boolean; name: string };
  states?: Record<string, { state: string; attributes: Record<string, unknown> }>;
  callWS<T>(message: Record<string, unknown>): Promise<T>;
  fetchWithAuth(path: string, init?: Record<string, unknown>): Promise<Response>;
}

export interface RoomRow {
  room_id: string;
  device_id: string;
  entry_id: string;
  gateway: string;
  name: string;
  area: string | null;
  floor: string | null;
  tenant: string | null;
  tenancy_id: number | null;
  currency: string;
  balance: string | null;
  current_price: string | null;
  energy_this_cycle_kwh: string | null;
  cost_this_cycle: string | null;
  days_of_credit_left: string | null;
  // The room whose account this room's meter bills to (null: its own account).
  payer: string | null;
  supply_state: string | null;
  supply_reason: string | null;
  supply_detail: string | null;
  supply_on: boolean | null;
  reading_at: string | null;
  reading: string | null;
  alerts: string[];
}

export interface LedgerEntry {
  entry_id: number;
  kind: string;
  at: string;
  amount: string;
  kwh: string | null;
  period: string | null;
  price: string | null;
  method: string | null;
  reference: string | null;
  reverses: number | null;
  who: string;
  why: string;
  reversed: boolean;
}

export interface LedgerPage {
  total: number;
  offset: number;
  entries: LedgerEntry[];
}

export interface HistoryDay {
  date: string;
  kwh: string;
  cost: string;
  by_period: Record<string, { kwh: string; cost: string }>;
}

export interface Tenancy {
  tenancy_id: number;
  tenant: string;
  moved_in_at: string;
  moved_out_at: string | null;
  opening_reading: string;
}

export interface TouInterval {
  start: string;
  end: string;
  period: string;
}

export type Tariff =
  | { kind: "flat"; price: string }
  | {
      kind: "tou";
      prices: Record<string, string>;
      weekday: TouInterval[];
      weekend?: TouInterval[];
    }
  | { kind: "tiered"; blocks: { up_to_kwh: string | null; price: string }[] }
  | { kind: "entity"; entity_id: string; min_price: string; max_price: string };

export interface RoomPage {
  room: RoomRow;
  tenancy: Tenancy | null;
  tariff: Tariff | null;
  tariff_from: string | null;
  ledger: LedgerPage;
  statements: { cycle: string; first_day: string; last_day: string }[];
  history: { currency: string; periods: string[]; days: HistoryDay[] };
  debt: TenancyDebt | null;
}

export interface TopUpPreview {
  amount: string;
  balance: string;
  new_balance: string;
  emergency_credit_recovered: string;
  existing: LedgerEntry | null;
}

export interface StatementData {
  tenant: string;
  room: string;
  cycle: string;
  opening_balance: string;
  closing_balance: string;
  energy_kwh: string;
  energy_cost: string;
  currency: string;
  [key: string]: unknown;
}

export interface MoveOutPreview {
  tenancy_id: number;
  tenant: string;
  balance: string;
  refund_owed: string;
  debt: string;
  final_charges: string;
  waiting_fees: string;
  debt_plan: string;
  entries: LedgerEntry[];
  statement_data: StatementData;
}

export interface PricePreview {
  at: string;
  period: string;
  price: string;
}

export interface Operated<T> {
  result: T;
  room: RoomRow;
}

export interface Payment {
  entry_id: number;
  at: string;
  gateway: string;
  room: string;
  tenant: string;
  method: string;
  reference: string | null;
  amount: string;
  undone_at: string | null;
}

export interface Payments {
  currency: string;
  payments: Payment[];
  totals: Record<string, { count: number; paid: string; undone: string; net: string }>;
}

export interface Report {
  currency: string;
  income: string;
  charged: string;
  energy_kwh: string;
  outstanding_debt: string;
  debt_owed_after_move_out: string;
  rooms: {
    room: string;
    gateway: string;
    cycle: string;
    income: string;
    energy_kwh: string;
    charged: string;
    debt: string;
  }[];
  supply_states: Record<string, number>;
  month: string | null;
  months: string[];
}

/** The month-end statements of all rooms (each tenancy's, for its room's cycle). */
export interface CycleStatements {
  month: string;
  language: string;
  statements: {
    room_id: string;
    room: string;
    gateway: string;
    tenancy_id: number;
    tenant: string;
    cycle: string;
    cycle_last_day: string;
    closing_balance: string;
    text: string;
  }[];
}

/** What a tenancy owes and where its recovery plan stands. */
export interface TenancyDebt {
  owed: string;
  plan: {
    recorded: string;
    recovered: string;
    remaining: string;
    terms: { percent: string; fixed: string; every: string; floor: string };
    since: string;
  } | null;
}

export interface RoomsUpdate {
  now: string;
  rooms: RoomRow[];
}

/** A refusal from the integration: HA's websocket error with its translation. */
export interface WsError {
  code: string;
  message: string;
  translation_key?: string;
  translation_placeholders?: Record<string, string>;
}

const DOMAIN = "prepaid_power";

export class Console {
  constructor(private readonly hass: Hass) {}

  call<T>(command: string, data: Record<string, unknown> = {}): Promise<T> {
    return this.hass.connection.sendMessagePromise<T>({ type: `${DOMAIN}/${command}`, ...data });
  }

  subscribeRooms(callback: (update: RoomsUpdate) => void): Promise<() => Promise<void>> {
    return this.hass.connection.subscribeMessage<RoomsUpdate>(callback, {
      type: `${DOMAIN}/rooms/subscribe`,
    });
  }
}

let exceptions: Promise<Record<string, string>> | undefined;
let exceptionsLanguage = "";

/** The integration's exception messages in the user's language (HA's translation cache). */
function exceptionMessages(hass: Hass): Promise<Record<string, string>> {
  if (!exceptions || exceptionsLanguage !== hass.language) {
    exceptionsLanguage = hass.language;
    exceptions = hass
      .callWS<{ resources: Record<string, string> }>({
        type: "frontend/get_translations",
        language: hass.language,
        category: "exceptions",
        integration: [DOMAIN],
      })
      .then((reply) => reply.resources)
      .catch(() => ({}));
  }
  return exceptions;
}

/** A refusal as the user reads it: the translation of its key in their language, else the
 * message the server formatted (English). */
export async function refusalText(hass: Hass, error: unknown): Promise<string> {
  const err = error as Partial<WsError>;
  if (err.translation_key) {
    const messages = await exceptionMessages(hass);
    const template = messages[`component.${DOMAIN}.exceptions.${err.translation_key}.message`];
    if (template) {
      return fill(template, err.translation_placeholders);
    }
  }
  return err.message ?? String(error);
}
