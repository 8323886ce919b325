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
