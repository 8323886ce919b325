// The console's form fields, in HA's theme colours (shared by the panel, dialogs and editor).
import { css } from "lit";

export const fieldStyles = css`
  input,
  select,
  button {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 6px;
    padding: 6px 8px;
  }
  button {
    cursor: pointer;
  }
`;

// Tables of figures and the label-over-value facts (the panel's pages and its reports).
export const tableStyles = css`
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 14px;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
    white-space: nowrap;
  }
  .num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
    gap: 8px;
  }
  .facts span {
    display: block;
    font-size: 12px;
    color: var(--secondary-text-color);
  }
`;
