"""Alert packs: agency keys, platform contacts, composing and sealing packs, sending
them (folder, e-mail) and importing the platforms' outcomes."""
