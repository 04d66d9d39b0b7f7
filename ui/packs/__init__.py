"""Alert packs in the window: the composer (choose, preview, seal, export or queue)
and the outbox (states, outcomes, figures)."""
