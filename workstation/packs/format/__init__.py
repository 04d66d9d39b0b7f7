"""The alert-pack format: what is inside a pack, how it is sealed and how it is opened.
See docs/pack-format.md."""
