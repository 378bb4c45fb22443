"""Training systems beyond ``DAModule``'s one-optimizer step, chosen by ``method.system``:
alternating updates (MCD) and source-free adaptation (SHOT)."""
