"""The demo and the end-to-end tests: a simulated building, a real Home Assistant, real clients.

Both `scripts/demo` and `tests/e2e/` use this package, so the tests exercise exactly what the
demo shows:

- `stack`: a throw-away HA config folder, the add-on's gateway (simulator mode) and `hass` as
  child processes in their own process groups, stopped cleanly (SIGTERM, then SIGKILL).
- `client`: HA's REST and websocket APIs (onboarding, login, config flows, actions, events)
  and the simulator's control API, over aiohttp, as a user's browser or app would use them.
- `scenario`: the demo's set-up steps (onboarding, users, gateway through the config flow,
  rooms ... ) on top of `client`.
- `browser`: headless Chromium through the DevTools protocol (login, screenshots, reading
  the page).

Everything listens on 127.0.0.1 only.
"""
