"""The cash-assistance program's post-employment services (TA-01..TA-11): its vocabulary
(`values`), the state a case keeps (`records`), its events, commands and decisions.

`DECISIONS` (in `decisions`) maps each cash-assistance command to the decision that handles it
(`domain.handling`).
"""
