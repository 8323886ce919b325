"""Pure-Python billing core of prepaid_power: money, tariffs, cycles, ledger, statements.

Nothing here imports Home Assistant; the HA layer adapts these types to actions and entities.
"""
