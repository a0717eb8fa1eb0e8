"""The authorization and money lifecycle both programs share: a service authorized (VR-09, or a
cash-assistance purchase under TA-10), provided or cancelled, invoiced, paid, and its balance
released (VR-10). `DECISIONS` maps its commands to their decisions (`domain.handling`)."""
