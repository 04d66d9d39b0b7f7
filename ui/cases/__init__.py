"""Cases in the window: the case view (captures with exhibit references, packs,
outcomes, timeline) and the Case menu's actions."""
