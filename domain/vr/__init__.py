"""The VR program's post-employment services (VR-01..VR-12): its events, commands and decisions.

`DECISIONS` maps each VR command to the decision that handles it (`domain.handling`).
"""
